import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { entitlement, grant, group, user } from "../model/builders.ts";
import { type EngineChoice, nativeEngine } from "../storage/index.ts";
import { createC1z, openC1z, openSqlite } from "./open.ts";
import type { SqliteC1zStore } from "./sqlite-store.ts";

const native = await nativeEngine();
const engines: EngineChoice[] = native ? ["sqljs", "native"] : ["sqljs"];

/** Index names of v1_grants in baton-sdk's DDL (test/fixtures/go/baton-sdk-ddl.sql, from its grants.go). */
const GO_GRANT_INDEXES = [
  ...readFileSync(join(import.meta.dirname, "../../test/fixtures/go/baton-sdk-ddl.sql"), "utf8").matchAll(
    /create (?:unique )?index if not exists (\w+) on v1_grants/gi,
  ),
].map((match) => match[1]);
const UNIQUE = "idx_grants_external_sync_v1";

const admins = group({ id: "admins", displayName: "Admins" });
const devs = group({ id: "devs", displayName: "Devs" });
const member = entitlement(admins, "member");
const devMember = entitlement(devs, "member");
const people = Array.from({ length: 300 }, (_, i) => user({ id: `u${i}`, displayName: `User ${i}` }));

function grantIndexes(store: SqliteC1zStore): string[] {
  return store.db
    .prepare("select name from sqlite_master where type = 'index' and tbl_name = 'v1_grants' order by rowid")
    .all()
    .map((row) => String(row.name));
}

function schema(store: SqliteC1zStore): string[] {
  return store.db
    .prepare("select type || ' ' || name || ' ' || coalesce(sql, '') as row from sqlite_master order by rowid")
    .all()
    .map((row) => String(row.row));
}

/** A sync of `people` into admins/devs, paused after the first half of the grants (the state a checkpoint saves). */
async function pausedSync(engine: EngineChoice): Promise<{ sqlite: Uint8Array; syncId: string }> {
  const store = await createC1z({ engine });
  const syncId = store.startSync("full");
  store.putResources([admins, devs, ...people]);
  store.putEntitlements([member, devMember]);
  store.putGrants(people.slice(0, 150).map((p) => grant(admins, member, p)));
  store.setSyncToken('{"step":"half"}');
  const sqlite = store.sqliteBytes();
  store.close();
  return { sqlite, syncId };
}

describe.each(engines)("deferred grant indexes across a reopen (%s)", (engine) => {
  it("the fixture names baton-sdk's seven v1_grants indexes", () => {
    expect(GO_GRANT_INDEXES).toHaveLength(7);
    expect(GO_GRANT_INDEXES).toContain(UNIQUE);
  });

  it("reopening an unfinished sync does not build the indexes the sync deferred; reads still answer", async () => {
    const { sqlite } = await pausedSync(engine);
    const reopened = await openSqlite(sqlite, { engine });
    // Only the unique index, which deduplicates the upserts of the rest of the sync.
    expect(grantIndexes(reopened)).toEqual([UNIQUE]);
    const byEntitlement = reopened.listGrants({ entitlementId: member.id, pageSize: 1000 }).items;
    expect(byEntitlement.map((g) => g.principal?.id?.resource).sort()).toEqual(
      people
        .slice(0, 150)
        .map((p) => p.id?.resource)
        .sort(),
    );
    // The read built the one index it uses, and only that one.
    expect(grantIndexes(reopened).sort()).toEqual([UNIQUE, "idx_grants_entitlement_sync_grant_v1"].sort());
    expect(reopened.listGrants({ entitlementId: devMember.id }).items).toEqual([]);
    reopened.close();
  });

  it("a resumed sync ends with every index, in the schema a sync without a pause has", async () => {
    const { sqlite, syncId } = await pausedSync(engine);
    const resumed = await openSqlite(sqlite, { engine });
    resumed.resumeSync(syncId);
    resumed.putGrants(people.slice(150).map((p) => grant(devs, devMember, p)));
    resumed.endSync();
    resumed.cleanup();

    const straight = await createC1z({ engine });
    straight.startSync("full");
    straight.putResources([admins, devs, ...people]);
    straight.putEntitlements([member, devMember]);
    straight.putGrants(people.slice(0, 150).map((p) => grant(admins, member, p)));
    straight.putGrants(people.slice(150).map((p) => grant(devs, devMember, p)));
    straight.endSync();
    straight.cleanup();

    expect([...grantIndexes(resumed)].sort()).toEqual([...GO_GRANT_INDEXES].sort());
    expect(schema(resumed)).toEqual(schema(straight));
    expect(resumed.stats().grants).toBe(300);
    // The file written afterwards carries them too (what Go's reader and `baton` open).
    const written = await openC1z(resumed.toBytes(), { engine });
    expect([...grantIndexes(written)].sort()).toEqual([...GO_GRANT_INDEXES].sort());
    for (const store of [resumed, straight, written]) store.close();
  });

  it("a finished file missing an index gets it back on open, as Go's InitTables does", async () => {
    const store = await createC1z({ engine });
    store.startSync("full");
    store.putResources([admins, ...people]);
    store.putEntitlements([member]);
    store.putGrants(people.map((p) => grant(admins, member, p)));
    store.endSync();
    store.db.exec("drop index idx_grants_principal_id_v1");
    const reopened = await openSqlite(store.sqliteBytes(), { engine });
    expect([...grantIndexes(reopened)].sort()).toEqual([...GO_GRANT_INDEXES].sort());
    store.close();
    reopened.close();
  });
});
