import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  sqlite3,
  sqlite3Value,
  tempDir,
  toolsPresent,
  VECTOR_DIR,
  writeAndDecompress,
} from "../../test/support/c1z-tools.ts";
import { entitlement, grant, group, resourceId, user } from "../model/builders.ts";
import { nativeEngine } from "../storage/index.ts";
import { readC1zFile, writeC1zFile } from "./file.ts";
import { createC1z, openC1z } from "./open.ts";
import { openC1zWorkFile, removeC1zWorkFile } from "./work-file.ts";

const native = await nativeEngine();
if (!native) console.warn("no native SQLite engine: skipping the file-backed store tests");
const tools = toolsPresent("zstd", "sqlite3");
const tmp = tempDir();
afterAll(() => tmp.cleanup());

const admins = group({ id: "admins", displayName: "Admins" });
const member = entitlement(admins, "member");
const people = Array.from({ length: 2500 }, (_, i) => user({ id: `u${i}`, displayName: `User ${i}` }));
const grants = people.map((p) => grant(admins, member, p));

describe.skipIf(!native)("file-backed c1z store", () => {
  it.skipIf(!tools)(
    "writes the same c1z content as the in-memory store; zstd, sqlite3 and our reader agree",
    async () => {
      const dbPath = join(tmp.dir, "work.db");
      const work = await openC1zWorkFile(dbPath, { now: () => Date.UTC(2026, 0, 1) });
      const memory = await createC1z({ engine: "sqljs", now: () => Date.UTC(2026, 0, 1) });
      for (const store of [work, memory]) {
        store.startSync("full");
        store.putResources([admins, ...people]);
        store.putEntitlements([member]);
        store.putGrants(grants);
        store.setSyncToken("{}");
        // As runSync ends: the file-backed store packs on write what the in-memory one vacuums here.
        store.cleanup();
        store.endSync();
      }
      const c1z = join(tmp.dir, "work.c1z");
      const written = await writeC1zFile(c1z, work);
      expect(written.bytes).toBe(readFileSync(c1z).length);
      const fromMemory = join(tmp.dir, "memory.c1z");
      await writeC1zFile(fromMemory, memory);
      expect(spawnSync("sh", ["-c", `tail -c +6 "${c1z}" | zstd -t -q`]).status).toBe(0);
      const db = writeAndDecompress(readFileSync(c1z), tmp.dir, "work-decoded");
      const memoryDb = writeAndDecompress(readFileSync(fromMemory), tmp.dir, "memory-decoded");
      expect(sqlite3Value(db, "PRAGMA integrity_check")).toBe("ok");
      const master = "select type, name, tbl_name, sql from sqlite_master order by rowid";
      expect(sqlite3(db, master)).toEqual(sqlite3(memoryDb, master));
      const rows =
        "select external_id, entitlement_id, principal_resource_id, hex(data) as d from v1_grants order by id";
      expect(sqlite3(db, rows)).toEqual(sqlite3(memoryDb, rows));
      const reopened = await readC1zFile(c1z, { engine: "sqljs" });
      expect(reopened.listGrants({ pageSize: 5000 }).items.map((g) => g.id)).toEqual(grants.map((g) => g.id));
      reopened.close();
      work.close();
      memory.close();
      await removeC1zWorkFile(dbPath);
      expect(existsSync(dbPath)).toBe(false);
    },
  );

  it("after kill -9 keeps exactly what the last checkpoint committed, and resumes that sync", () => {
    const dbPath = join(tmp.dir, "killed.db");
    const script = join(tmp.dir, "kill.mjs");
    writeFileSync(
      script,
      `import { openC1zWorkFile } from ${JSON.stringify(resolve("src/c1z/work-file.ts"))};
       import { entitlement, grant, group, resourceId } from ${JSON.stringify(resolve("src/model/builders.ts"))};
       const admins = group({ id: "admins", displayName: "Admins" });
       const member = entitlement(admins, "member");
       const store = await openC1zWorkFile(${JSON.stringify(dbPath)});
       store.startSync("full");
       store.putResources([admins]);
       store.putEntitlements([member]);
       const batch = (from) => Array.from({ length: 1000 }, (_, i) => grant(admins, member, resourceId("user", "u" + (from + i))));
       store.putGrants(batch(0));
       store.setSyncToken("after-first-thousand");
       store.putGrants(batch(1000));
       process.kill(process.pid, "SIGKILL");`,
    );
    const run = spawnSync(process.execPath, ["--import", resolve("node_modules/tsx/dist/loader.mjs"), script], {
      encoding: "utf8",
    });
    expect(run.signal, run.stderr).toBe("SIGKILL");
    return (async () => {
      const store = await openC1zWorkFile(dbPath);
      const unfinished = store.latestUnfinishedSync();
      expect(unfinished?.syncToken).toBe("after-first-thousand");
      store.resumeSync(unfinished?.syncId ?? "");
      expect(store.stats(unfinished?.syncId).grants).toBe(1000);
      store.putGrants([grant(admins, member, resourceId("user", "late"))]);
      store.endSync();
      expect(store.listGrants({ entitlementId: member.id }).items).toHaveLength(1001);
      store.close();
      await removeC1zWorkFile(dbPath);
    })();
  });

  it("opens a Go-written c1z into a work file with the same content as in memory", async () => {
    const bytes = new Uint8Array(readFileSync(join(VECTOR_DIR, "go-36zf-expanded.c1z")));
    const dbPath = join(tmp.dir, "go.db");
    const work = await openC1zWorkFile(dbPath, { from: bytes });
    const memory = await openC1z(bytes, { engine: "sqljs" });
    expect(work.stats()).toEqual(memory.stats());
    const ids = (store: typeof work) => {
      const out: string[] = [];
      let pageToken = "";
      do {
        const page = store.listGrants({ pageToken });
        out.push(...page.items.map((g) => g.id));
        pageToken = page.nextPageToken;
      } while (pageToken !== "");
      return out;
    };
    expect(ids(work)).toEqual(ids(memory));
    work.close();
    memory.close();
    await removeC1zWorkFile(dbPath);
  });

  it("refuses a corrupt c1z with a C1zError and leaves no work file behind", async () => {
    const bytes = new Uint8Array(readFileSync(join(VECTOR_DIR, "go-sync-in-progress.c1z")));
    bytes[bytes.length - 2] ^= 0xff;
    const dbPath = join(tmp.dir, "bad.db");
    await expect(openC1zWorkFile(dbPath, { from: bytes })).rejects.toMatchObject({ name: "C1zError" });
    expect(existsSync(dbPath)).toBe(false);
  });
});
