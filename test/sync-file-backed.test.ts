/**
 * 200k direct grants (groups nested in pairs, expansion on) synced on the
 * file-backed native engine and on sql.js in memory: the same expanded-grant count and
 * the same grant ids, and the file-backed c1z passes zstd -t, PRAGMA integrity_check
 * and has baton-sdk's sqlite_master.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeC1zFile } from "../src/c1z/file.ts";
import { createC1z } from "../src/c1z/open.ts";
import type { SqliteC1zStore } from "../src/c1z/sqlite-store.ts";
import { openC1zWorkFile, removeC1zWorkFile } from "../src/c1z/work-file.ts";
import { canUseWorkFile } from "../src/jobs/work-file.ts";
import { runSync } from "../src/sync/index.ts";
import { tempDir } from "./cli-support.ts";
import { batonSdkDdlFile, findCommand, runOk } from "./interop/tools.ts";
import bulk from "./support/plugins/bulk/index.ts";

const fileBacked = await canUseWorkFile();
if (!fileBacked) console.warn("no native SQLite that opens files here: skipping the 200k file-backed sync test");
const zstd = findCommand("zstd");
const sqlite = findCommand("sqlite3");
const work = tempDir("file-backed");
afterAll(() => work.cleanup());

const CONFIG = { users: 20_000, groups: 400, grants: 200_000, chain: 2 };

async function sync(store: SqliteC1zStore): Promise<{ expanded: number; ids: string[] }> {
  const client = await bulk.connect(CONFIG as never, {} as never);
  const result = await runSync({
    plugin: bulk,
    client,
    store,
    clock: { now: () => Date.UTC(2026, 0, 1), sleep: async () => {} },
  });
  const ids: string[] = [];
  let pageToken = "";
  do {
    const page = store.listGrants({ syncId: result.syncId, pageToken });
    for (const g of page.items) ids.push(g.id);
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return { expanded: result.expandedGrants, ids: ids.sort() };
}

/**
 * sqlite_master by name (VACUUM, which Go's cleanup runs too, rewrites it tables first), v1_sync_runs aside: ours
 * stops at the baton CLI reader's columns (src/c1z/schema.ts).
 */
function schema(db: string): unknown[] {
  if (!sqlite.ok) return [];
  const sql =
    "select type, name, tbl_name, sql from sqlite_master where sql is not null and tbl_name != 'v1_sync_runs' order by name";
  return JSON.parse(runOk(sqlite.value, ["-json", db, sql]).toString()) as unknown[];
}

describe.skipIf(!fileBacked)("200k grants on the file-backed native engine", () => {
  it("expands to the same grants as sql.js; the c1z passes zstd -t, integrity_check and has Go's schema", async () => {
    const dbPath = path.join(work.dir, "sync.db");
    const file = await openC1zWorkFile(dbPath);
    const onFile = await sync(file);
    const c1z = path.join(work.dir, "sync.c1z");
    await writeC1zFile(c1z, file);
    file.close();
    await removeC1zWorkFile(dbPath);

    const memory = await createC1z({ engine: "sqljs" });
    const inMemory = await sync(memory);
    memory.close();

    expect(onFile.ids.length).toBeGreaterThan(CONFIG.grants);
    expect(onFile.expanded).toBeGreaterThan(0);
    expect(onFile.expanded).toBe(inMemory.expanded);
    expect(onFile.ids).toEqual(inMemory.ids);

    if (!zstd.ok || !sqlite.ok) return;
    runOk(zstd.value, ["-t", "-q", "-"], { input: readFileSync(c1z).subarray(5) });
    const decoded = path.join(work.dir, "decoded.db");
    execFileSync("sh", ["-c", `tail -c +6 "${c1z}" | "${zstd.value}" -d -q -c > "${decoded}"`]);
    expect(runOk(sqlite.value, [decoded, "PRAGMA integrity_check"]).toString().trim()).toBe("ok");
    const reference = path.join(work.dir, "reference.db");
    runOk(sqlite.value, ["-bail", reference], { input: readFileSync(batonSdkDdlFile, "utf8") });
    expect(schema(decoded)).toEqual(schema(reference));
  }, 600_000);
});
