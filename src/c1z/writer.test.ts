import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { afterAll, describe, expect, it } from "vitest";
import { sqlite3, sqlite3Value, tempDir, toolsPresent, writeAndDecompress } from "../../test/support/c1z-tools.ts";
import { entitlement, grant, group, resourceType, user } from "../model/builders.ts";
import { GrantExpandableSchema, ResourceSchema } from "../model/types.ts";
import { nativeEngine } from "../storage/index.ts";
import { ksuidTimestamp } from "./ksuid.ts";
import { createC1z, openC1z } from "./open.ts";
import type { SqliteC1zStore } from "./sqlite-store.ts";
import { goLocalTime } from "./time.ts";

const tools = toolsPresent("zstd", "sqlite3");
const native = await nativeEngine();
const engines = native ? (["sqljs", "native"] as const) : (["sqljs"] as const);
const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** A clock the test moves by hand. */
function manualClock(start = Date.UTC(2026, 10, 28, 12, 0, 0, 123)) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

/** baton-sdk's DDL (reference §2.2, copied to test/fixtures/go), statement by statement. */
function referenceDdl(): string[] {
  const block = readFileSync(new URL("../../test/fixtures/go/baton-sdk-ddl.sql", import.meta.url), "utf8");
  return block
    .split("\n")
    .map((line) => line.replace(/--.*$/, ""))
    .join("\n")
    .split(";")
    .map(normalizeSql)
    .filter((sql) => sql !== "")
    .map(withoutHeadSyncRunColumns);
}

/**
 * Reference §2.2 is HEAD's DDL; we write v1_sync_runs with the columns of the `baton` CLI's
 * reader (v0.7.27, §2.4), whose `export c1z` clone fails on any column its own table lacks.
 */
function withoutHeadSyncRunColumns(sql: string): string {
  if (!sql.startsWith("create table v1_sync_runs(")) return sql;
  return [
    "grants_backfilled",
    "stats",
    "ingest_invariant_generation",
    "ingest_invariant_coverage",
    "ingest_invariant_mode",
  ].reduce((out, column) => out.replace(new RegExp(`,${column} [^,)]*`), ""), sql);
}

function normalizeSql(sql: string): string {
  // Comments are compared elsewhere (the Go interop test checks sqlite_master byte for byte).
  return sql
    .replace(/--[^\n]*/g, "")
    .toLowerCase()
    .replace(/if not exists/g, "")
    .replace(/\s+/g, " ")
    .replace(/\s*([(),])\s*/g, "$1")
    .trim();
}

const alice = user({ id: "alice", displayName: "Alice", emails: [{ address: "alice@example.com", primary: true }] });
const bob = user({ id: "bob", displayName: "Bob" });
const admins = group({ id: "admins", displayName: "Admins" });
const devs = group({ id: "devs", displayName: "Devs", parent: admins.id });
const member = entitlement(admins, "member");
const devMember = entitlement(devs, "member");

async function sampleSync(
  engine: "sqljs" | "native",
  clock = manualClock(),
  prepare?: (store: SqliteC1zStore) => void,
): Promise<SqliteC1zStore> {
  const store = await createC1z({ engine, now: clock.now });
  prepare?.(store);
  store.startSync("full");
  store.putResourceTypes([
    resourceType({ displayName: "User", traits: ["user"] }),
    resourceType({ displayName: "Group", traits: ["group"] }),
  ]);
  clock.advance(1000);
  store.putResources([alice, bob, admins, devs]);
  store.putEntitlements([member, devMember]);
  store.putGrants([
    grant(admins, "member", alice.id!),
    grant(devs, "member", bob.id!),
    grant(admins, "member", devs.id!, { expandable: { entitlementIds: [devMember.id] } }),
  ]);
  store.markSupportsDiff();
  clock.advance(2500);
  store.endSync();
  return store;
}

describe.skipIf(!tools).each(engines)("a c1z we write (%s)", (engine) => {
  it("passes zstd -t and PRAGMA integrity_check; sqlite_master equals baton-sdk's DDL in creation order", async () => {
    const store = await sampleSync(engine);
    const bytes = store.toBytes();
    expect(Array.from(bytes.subarray(0, 5))).toEqual([0x43, 0x31, 0x5a, 0x46, 0x00]);
    const db = writeAndDecompress(bytes, tmp.dir, `ddl-${engine}`); // throws if zstd -d fails
    const test = spawnSync("sh", ["-c", `tail -c +6 "${join(tmp.dir, `ddl-${engine}.c1z`)}" | zstd -t -q`]);
    expect(test.status, test.stderr.toString()).toBe(0);
    expect(sqlite3Value(db, "pragma integrity_check")).toBe("ok");
    const master = sqlite3(db, "select sql from sqlite_master where sql is not null order by rowid").map((r) =>
      normalizeSql(String(r.sql)),
    );
    expect(master).toEqual(referenceDdl());
    expect(sqlite3Value(db, "pragma page_size")).toBe(4096);
    store.close();
  });

  it("fills HEAD's grants_backfilled and stats where a file already has those columns", async () => {
    const store = await sampleSync(engine, manualClock(), ({ db }) => {
      db.exec("alter table v1_sync_runs add column grants_backfilled integer not null default 0");
      db.exec("alter table v1_sync_runs add column stats text");
    });
    const db = writeAndDecompress(store.toBytes(), tmp.dir, `head-columns-${engine}`);
    const [run] = sqlite3(db, "select * from v1_sync_runs");
    expect(run.grants_backfilled).toBe(1);
    // Snake_case stats in Go's field order, counts as sqlite3 sees them.
    expect(JSON.parse(String(run.stats))).toEqual({
      resource_types: 2,
      resources: 4,
      entitlements: 2,
      grants: 3,
      resources_by_resource_type: { group: 2, user: 2 },
      grants_by_resource_type: { group: 3 },
      entitlements_by_resource_type: { group: 2 },
    });
    expect(Object.keys(JSON.parse(String(run.stats)))[4]).toBe("resources_by_resource_type");
    expect(store.getSync(String(run.sync_id))?.stats?.grants).toBe(3);
    store.close();
  });

  it("fills every column as Go does", async () => {
    const clock = manualClock();
    const store = await sampleSync(engine, clock);
    const db = writeAndDecompress(store.toBytes(), tmp.dir, `columns-${engine}`);
    const [run] = sqlite3(db, "select * from v1_sync_runs");
    expect(run.sync_id).toMatch(/^[0-9A-Za-z]{27}$/);
    expect(ksuidTimestamp(String(run.sync_id))).toBe(Math.floor(Date.UTC(2026, 10, 28, 12, 0, 0) / 1000));
    expect(run.started_at).toBe(goLocalTime(Date.UTC(2026, 10, 28, 12, 0, 0, 123)));
    expect(run.ended_at).toBe(goLocalTime(Date.UTC(2026, 10, 28, 12, 0, 3, 623)));
    expect(run).toMatchObject({
      sync_token: "",
      sync_type: "full",
      parent_sync_id: "",
      linked_sync_id: "",
      supports_diff: 1,
    });
    // v0.7.27's column set (reference §2.4): its `baton export c1z` cannot clone any other.
    expect(Object.keys(run)).toEqual([
      "id",
      "sync_id",
      "started_at",
      "ended_at",
      "sync_token",
      "sync_type",
      "parent_sync_id",
      "linked_sync_id",
      "supports_diff",
    ]);

    expect(sqlite3(db, "select external_id from v1_resource_types order by id").map((r) => r.external_id)).toEqual([
      "user",
      "group",
    ]);
    expect(
      sqlite3(
        db,
        "select resource_type_id, external_id, parent_resource_type_id, parent_resource_id from v1_resources order by id",
      ),
    ).toEqual([
      { resource_type_id: "user", external_id: "user:alice", parent_resource_type_id: null, parent_resource_id: null },
      { resource_type_id: "user", external_id: "user:bob", parent_resource_type_id: null, parent_resource_id: null },
      {
        resource_type_id: "group",
        external_id: "group:admins",
        parent_resource_type_id: null,
        parent_resource_id: null,
      },
      {
        resource_type_id: "group",
        external_id: "group:devs",
        parent_resource_type_id: "group",
        parent_resource_id: "admins",
      },
    ]);
    expect(sqlite3(db, "select resource_type_id, resource_id, external_id from v1_entitlements order by id")).toEqual([
      { resource_type_id: "group", resource_id: "admins", external_id: "group:admins:member" },
      { resource_type_id: "group", resource_id: "devs", external_id: "group:devs:member" },
    ]);
    const grants = sqlite3(
      db,
      "select resource_type_id, resource_id, entitlement_id, principal_resource_type_id, principal_resource_id, external_id, hex(expansion) as expansion, needs_expansion from v1_grants order by id",
    );
    expect(grants[0]).toEqual({
      resource_type_id: "group",
      resource_id: "admins",
      entitlement_id: "group:admins:member",
      principal_resource_type_id: "user",
      principal_resource_id: "alice",
      external_id: "group:admins:member:user:alice",
      expansion: "",
      needs_expansion: 0,
    });
    expect(grants[2].external_id).toBe("group:admins:member:group:devs");
    expect(grants[2].needs_expansion).toBe(1);
    // Bare GrantExpandable bytes (not an Any), and no trace of it left in `data`.
    const expansion = fromBinary(GrantExpandableSchema, Buffer.from(String(grants[2].expansion), "hex"));
    expect(expansion.entitlementIds).toEqual(["group:devs:member"]);
    expect(sqlite3Value(db, "select count(*) from v1_grants where instr(data, 'GrantExpandable') > 0")).toBe(0);
    // Time columns: Go's zone-less layout, one value per put batch.
    expect(sqlite3(db, "select distinct discovered_at from v1_resources").map((r) => r.discovered_at)).toEqual([
      goLocalTime(Date.UTC(2026, 10, 28, 12, 0, 1, 123)),
    ]);
    store.close();
  });

  it("upserts last-write-wins on (external_id, sync_id), keeping id and discovered_at", async () => {
    const clock = manualClock();
    const store = await createC1z({ engine, now: clock.now });
    store.startSync("full");
    store.putResources([alice]);
    clock.advance(5000);
    const renamed = user({ id: "alice", displayName: "Alice Renamed" });
    store.putResources([renamed]);
    store.endSync();
    const db = writeAndDecompress(store.toBytes(), tmp.dir, `upsert-${engine}`);
    const rows = sqlite3(db, "select id, hex(data) as data, discovered_at from v1_resources");
    expect(rows).toHaveLength(1);
    expect(rows[0].id).toBe(1);
    expect(rows[0].discovered_at).toBe(goLocalTime(Date.UTC(2026, 10, 28, 12, 0, 0, 123)));
    expect(fromBinary(ResourceSchema, Buffer.from(String(rows[0].data), "hex")).displayName).toBe("Alice Renamed");
    store.close();
  });

  it("applies Go's needs_expansion conflict rule to grants", async () => {
    const store = await createC1z({ engine });
    store.startSync("full");
    const expandable = (ids: string[]) => grant(admins, "member", devs.id!, { expandable: { entitlementIds: ids } });
    const needs = () => Number(store.db.prepare("select needs_expansion as n from v1_grants").get()!.n);
    store.putGrants([expandable(["group:devs:member"])]);
    expect(needs()).toBe(1);
    store.db.exec("update v1_grants set needs_expansion = 0"); // as if the expander had processed it
    store.putGrants([expandable(["group:devs:member"])]);
    expect(needs()).toBe(0); // same expansion: keep the old value
    store.putGrants([expandable(["group:devs:member", "group:admins:member"])]);
    expect(needs()).toBe(1); // changed expansion
    store.putGrants([grant(admins, "member", devs.id!)]);
    expect(needs()).toBe(0); // expansion gone
    expect(store.db.prepare("select expansion from v1_grants").get()!.expansion).toBeNull();
    store.putGrants([expandable(["  "])]); // only blank ids: not expandable, but still stripped from data
    expect(needs()).toBe(0);
    expect(store.getGrant(expandable(["x"]).id)!.annotations).toHaveLength(0);
    // Expanded grants replace data only.
    store.putGrants([expandable(["group:devs:member"])]);
    store.putExpandedGrants([grant(admins, "member", devs.id!)]);
    const item = store.listGrantsWithExpansion().items[0];
    expect(item.expansion?.entitlementIds).toEqual(["group:devs:member"]);
    expect(item.needsExpansion).toBe(true);
    store.close();
  });

  it("keeps unknown protobuf fields through write → read → re-serialize", async () => {
    const known = toBinary(ResourceSchema, alice);
    // Field 99, wire type 2 (length-delimited) "xyz": unknown to our schema.
    const withUnknown = new Uint8Array([...known, 0x9a, 0x06, 0x03, 0x78, 0x79, 0x7a]);
    const store = await createC1z({ engine });
    store.startSync("full");
    store.putResources([fromBinary(ResourceSchema, withUnknown)]);
    store.endSync();
    const reopened = await openC1z(store.toBytes(), { engine });
    const db = writeAndDecompress(reopened.toBytes(), tmp.dir, `unknown-${engine}`);
    expect(String(sqlite3Value(db, "select hex(data) from v1_resources"))).toBe(
      Buffer.from(withUnknown).toString("hex").toUpperCase(),
    );
    const read = reopened.getResource(alice.id!)!;
    expect(toBinary(ResourceSchema, read)).toEqual(withUnknown);
    store.close();
    reopened.close();
  });
});

describe("paging and sync selection", () => {
  it("pages like Go: decimal next-row-id tokens, 10000 cap, `id >= token`", async () => {
    const store = await createC1z({ engine: "sqljs" });
    store.startSync("full");
    store.putResources(Array.from({ length: 25 }, (_, i) => user({ id: `u${i}`, displayName: `U${i}` })));
    const first = store.listResources({ pageSize: 10 });
    expect(first.items.map((r) => r.id!.resource)).toEqual(Array.from({ length: 10 }, (_, i) => `u${i}`));
    expect(first.nextPageToken).toBe("11"); // rows 1..10 returned, next starts at 11
    const second = store.listResources({ pageSize: 10, pageToken: first.nextPageToken });
    expect(second.items[0].id!.resource).toBe("u10");
    const third = store.listResources({ pageSize: 10, pageToken: second.nextPageToken });
    expect(third.items).toHaveLength(5);
    expect(third.nextPageToken).toBe("");
    expect(store.listResources({ pageSize: 0 }).items).toHaveLength(25);
    expect(() => store.listResources({ pageToken: "abc" })).toThrow(/page token/);
    store.putResourceTypes(
      Array.from({ length: 10_001 }, (_, i) => resourceType({ id: `t${i}`, displayName: `T${i}` })),
    );
    const capped = store.listResourceTypes({ pageSize: 50_000 });
    expect(capped.items).toHaveLength(10_000);
    expect(capped.nextPageToken).toBe("10001");
    store.close();
  });

  it("chooses the sync as Go does: current, latest finished full, latest recent unfinished, else all", async () => {
    const clock = manualClock();
    const store = await createC1z({ engine: "sqljs", now: clock.now });
    expect(store.resolveSyncId()).toBeUndefined();
    const unfinished = store.startSync("full");
    store.putResources([alice]);
    expect(store.resolveSyncId()).toBe(unfinished);
    // Simulate a crashed run: the sync stays unfinished but is no longer current.
    (store as unknown as { syncs: { current: string | undefined } }).syncs.current = undefined;
    expect(store.resolveSyncId()).toBe(unfinished); // recent unfinished
    clock.advance(8 * 24 * 3600 * 1000);
    expect(store.resolveSyncId()).toBeUndefined(); // older than 7 days: no filter
    expect(store.listResources().items).toHaveLength(1);
    const full = store.startSync("full");
    store.putResources([bob]);
    clock.advance(1000);
    store.endSync();
    const partial = store.startSync("partial", full);
    store.putResources([admins]);
    clock.advance(1000);
    store.endSync();
    expect(store.resolveSyncId()).toBe(full);
    expect(store.latestFinishedSync()?.syncId).toBe(partial);
    expect(store.listResources().items.map((r) => r.id!.resource)).toEqual(["bob"]);
    expect(store.listResources({ syncId: partial }).items.map((r) => r.id!.resource)).toEqual(["admins"]);
    // Get of a resource type/entitlement/grant uses the latest finished sync of any type.
    expect(store.getResource(admins.id!)).toBeUndefined();
    expect(store.getResource(bob.id!)?.displayName).toBe("Bob");
    store.close();
  });
});

describe.skipIf(!tools)("cleanup", () => {
  it("keeps the newest N finished full syncs, drops older partials, then vacuums", async () => {
    const clock = manualClock();
    const store = await createC1z({ engine: "sqljs", now: clock.now });
    const ids: string[] = [];
    const sync = (type: "full" | "partial") => {
      clock.advance(1000);
      const id = store.startSync(type);
      store.putResources(
        Array.from({ length: 200 }, (_, i) => user({ id: `${id}-${i}`, displayName: "x".repeat(200) })),
      );
      clock.advance(1000);
      store.endSync();
      ids.push(id);
      return id;
    };
    const oldFull = sync("full");
    const oldPartial = sync("partial");
    const keptFull1 = sync("full");
    const newPartial = sync("partial");
    const keptFull2 = sync("full");
    store.cleanup(2);
    expect(store.listSyncs().map((s) => s.syncId)).toEqual([keptFull1, newPartial, keptFull2]);
    const db = writeAndDecompress(store.toBytes(), tmp.dir, "cleanup");
    expect(sqlite3Value(db, `select count(*) from v1_resources where sync_id in ('${oldFull}', '${oldPartial}')`)).toBe(
      0,
    );
    expect(sqlite3Value(db, "select count(*) from v1_resources")).toBe(600);
    expect(sqlite3Value(db, "pragma freelist_count")).toBe(0);
    expect(sqlite3Value(db, "pragma integrity_check")).toBe("ok");
    // With a sync open, one fewer finished full sync is kept.
    const open = store.startSync("full");
    store.cleanup(2);
    expect(store.listSyncs().map((s) => s.syncId)).toEqual([newPartial, keptFull2, open]);
    store.close();
  });
});
