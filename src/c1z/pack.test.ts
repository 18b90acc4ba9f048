/**
 * The packed copy a file-backed store's c1z is written from, against the facts of the way it
 * was written before (GrantIndexes.restoreAll, then VACUUM in place: what the in-memory store
 * still does) and baton-sdk's DDL order (test/fixtures/go/baton-sdk-ddl.sql).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../../test/support/c1z-tools.ts";
import { entitlement, grant, group, user } from "../model/builders.ts";
import { nativeEngine } from "../storage/index.ts";
import { packedPathFor, writeC1zFile } from "./file.ts";
import { createC1z } from "./open.ts";
import { isPacked, packedSchemaOrder } from "./pack.ts";
import type { SqliteC1zStore } from "./sqlite-store.ts";
import { openC1zWorkFile } from "./work-file.ts";

const native = await nativeEngine();
const tmp = tempDir();
afterAll(() => tmp.cleanup());

const groups = Array.from({ length: 4 }, (_, i) => group({ id: `g${i}`, displayName: `Group ${i}` }));
const members = groups.map((g) => entitlement(g, "member"));
const people = Array.from({ length: 1500 }, (_, i) => user({ id: `u${i}`, displayName: `User ${i}` }));
/** Principals in a scrambled order, so no grant index is in rowid order and only SQLite's transfer copy packs them. */
const grantsOf = (round: number) =>
  people.flatMap((_, i) => {
    const p = people[(i * 613 + round) % people.length];
    return p ? members.map((m, k) => grant(groups[k] as (typeof groups)[number], m, p)) : [];
  });

/** Two full syncs and a third that reads by entitlement mid-way (so that index is built early), retention keeping one. */
function fill(store: SqliteC1zStore): void {
  for (let round = 0; round < 3; round++) {
    store.startSync("full");
    store.putResources([...groups, ...people]);
    store.putEntitlements(members);
    const grants = grantsOf(round);
    store.putGrants(grants.slice(0, grants.length / 2));
    if (round === 2) store.listGrants({ entitlementId: members[1]?.id ?? "", pageSize: 10 });
    store.putGrants(grants.slice(grants.length / 2));
    store.setSyncToken("{}");
    store.cleanup(1);
    store.endSync();
  }
}

const MASTER = "select type, name, tbl_name, sql from sqlite_master order by rowid";
const value = (store: SqliteC1zStore, sql: string) => Object.values(store.db.prepare(sql).get() ?? {})[0];

/** A c1z's database, decoded into its own work file. */
async function decoded(c1zPath: string, name: string): Promise<SqliteC1zStore> {
  return openC1zWorkFile(join(tmp.dir, name), { from: readFileSync(c1zPath) });
}

/** The layout facts of a c1z's database. */
async function layout(c1zPath: string, name: string) {
  const store = await decoded(c1zPath, name);
  try {
    return {
      master: store.db.prepare(MASTER).all(),
      freelist: Number(value(store, "pragma freelist_count")),
      pages: Number(value(store, "pragma page_count")),
      pageSize: Number(value(store, "pragma page_size")),
      integrity: value(store, "pragma integrity_check"),
      // Sync ids are fresh KSUIDs per store: the rest of every row, digested (a diff of 18k rows helps nobody).
      grants: createHash("sha256")
        .update(
          JSON.stringify(
            store.db
              .prepare(
                "select id, external_id, entitlement_id, principal_resource_id, hex(data) as d from v1_grants order by id",
              )
              .all(),
          ),
        )
        .digest("hex"),
    };
  } finally {
    store.close();
  }
}

/** The same syncs written the old way: restoreAll and VACUUM in place (the in-memory native store). */
async function oldWay(name: string) {
  const store = await createC1z({ engine: "native", now: () => Date.UTC(2026, 0, 1) });
  fill(store);
  const c1z = join(tmp.dir, `${name}.c1z`);
  await writeC1zFile(c1z, store);
  store.close();
  return layout(c1z, `${name}-decoded.db`);
}

/** Names in baton-sdk's DDL order as VACUUM leaves it: every table, then every index. */
function goVacuumedOrder(): string[] {
  const ddl = readFileSync(new URL("../../test/fixtures/go/baton-sdk-ddl.sql", import.meta.url), "utf8");
  const names = (kind: RegExp) => [...ddl.matchAll(kind)].map((m) => m[1] as string);
  return [...names(/create table if not exists (\w+)/gi), ...names(/create (?:unique )?index if not exists (\w+)/gi)];
}

describe.skipIf(!native)("packing a file-backed store's c1z", () => {
  it("lays the c1z out as restoreAll + VACUUM did: same sqlite_master, no free pages, as few pages", async () => {
    const old = await oldWay("old");
    const work = await openC1zWorkFile(join(tmp.dir, "new.db"), { now: () => Date.UTC(2026, 0, 1) });
    fill(work);
    // Retention and the deferred indexes left free pages and a schema out of Go's order in the work file.
    expect(Number(value(work, "pragma freelist_count"))).toBeGreaterThan(0);
    expect(work.packsOnWrite).toBe(true);
    // The work file's pages are 64 KiB (fewer system calls), the c1z's Go's 4096 bytes.
    expect(Number(value(work, "pragma page_size"))).toBe(65536);
    const c1z = join(tmp.dir, "new.c1z");
    await writeC1zFile(c1z, work);
    work.close();
    const packed = await layout(c1z, "new-decoded.db");

    expect(packed.integrity).toBe("ok");
    expect(old.pageSize).toBe(4096);
    expect(packed.pageSize).toBe(4096);
    expect(packed.master).toEqual(old.master);
    expect(packed.grants).toEqual(old.grants);
    expect(old.freelist).toBe(0);
    expect(packed.freelist).toBe(0);
    // Rows copied without SQLite's transfer optimization would fill the scrambled indexes to about 2/3.
    expect(packed.pages).toBeLessThanOrEqual(Math.ceil(old.pages * 1.01));
    expect(packed.pages).toBeGreaterThanOrEqual(Math.floor(old.pages * 0.99));
    // Every table and index of baton-sdk's DDL, in its order (ours may add none between them).
    const names = packed.master.map((row) => String(row.name)).filter((n) => !n.startsWith("sqlite_autoindex_"));
    expect(names).toEqual(goVacuumedOrder());
  });

  it("packs a store re-opened after its cleanup (the process restarted before the c1z was written)", async () => {
    const old = await oldWay("old-restart");
    const dbPath = join(tmp.dir, "restart.db");
    const first = await openC1zWorkFile(dbPath, { now: () => Date.UTC(2026, 0, 1) });
    fill(first);
    first.close();
    const reopened = await openC1zWorkFile(dbPath);
    expect(reopened.packsOnWrite).toBe(true);
    const c1z = join(tmp.dir, "restart.c1z");
    await writeC1zFile(c1z, reopened);
    reopened.close();
    const packed = await layout(c1z, "restart-decoded.db");
    expect(packed.master).toEqual(old.master);
    expect(packed.freelist).toBe(0);
    expect(packed.integrity).toBe("ok");
  });

  it("reads the work file only, removes a stale packed copy, and on failure keeps the old c1z", async () => {
    const dbPath = join(tmp.dir, "keep.db");
    const work = await openC1zWorkFile(dbPath, { now: () => Date.UTC(2026, 0, 1) });
    fill(work);
    const hash = () => createHash("sha256").update(readFileSync(dbPath)).digest("hex");
    const before = hash();
    // Left by a process killed while packing.
    writeFileSync(packedPathFor(dbPath), "not a database");
    const c1z = join(tmp.dir, "keep.c1z");
    await writeC1zFile(c1z, work);
    expect(hash()).toBe(before);
    expect(existsSync(packedPathFor(dbPath))).toBe(false);
    const good = readFileSync(c1z);

    // A packed copy that cannot be made: the write fails and the c1z there stays as it was.
    mkdirSync(join(packedPathFor(dbPath), "in-the-way"), { recursive: true });
    await expect(writeC1zFile(c1z, work)).rejects.toThrow();
    expect(readFileSync(c1z).equals(good)).toBe(true);
    expect(hash()).toBe(before);
    work.close();
  });

  it("writes a snapshot taken while a sync runs as it is, and leaves in-memory stores to VACUUM", async () => {
    const work = await openC1zWorkFile(join(tmp.dir, "running.db"));
    work.startSync("full");
    work.putResources(groups);
    expect(work.packsOnWrite).toBe(false);
    work.close();
    const memory = await createC1z({ engine: "sqljs" });
    fill(memory);
    expect(memory.packsOnWrite).toBe(false);
    expect(Number(value(memory, "pragma freelist_count"))).toBe(0);
    // In place, VACUUM left exactly the layout packing would make.
    expect(isPacked(memory.db, (t) => (t === "v1_grants" ? goVacuumedOrder() : []))).toBe(true);
    memory.close();
  });
});

describe("packedSchemaOrder", () => {
  const row = (type: string, name: string, tbl_name: string, sql: string | null) => ({ type, name, tbl_name, sql });
  it("puts tables first, then each table's indexes in table order, the named ones first", () => {
    const rows = [
      row("table", "a", "a", "CREATE TABLE a (x)"),
      row("index", "sqlite_autoindex_a_1", "a", null),
      row("index", "a2", "a", "CREATE INDEX a2 on a (x)"),
      row("table", "b", "b", "CREATE TABLE b (x)"),
      row("index", "b1", "b", "CREATE INDEX b1 on b (x)"),
      row("index", "a1", "a", "CREATE UNIQUE INDEX a1 on a (x)"),
    ];
    const order = packedSchemaOrder(rows, (t) => (t === "a" ? ["a1"] : []));
    expect(order?.map((r) => r.name)).toEqual(["a", "b", "a1", "a2", "b1"]);
  });
  it("declines schemas it cannot lay out: views, triggers, SQLite's own tables", () => {
    expect(packedSchemaOrder([row("view", "v", "v", "CREATE VIEW v as select 1")])).toBeUndefined();
    expect(
      packedSchemaOrder([row("table", "sqlite_sequence", "sqlite_sequence", "CREATE TABLE sqlite_sequence(name,seq)")]),
    ).toBeUndefined();
    expect(packedSchemaOrder([row("index", "i", "gone", "CREATE INDEX i on gone (x)")])).toBeUndefined();
  });
});
