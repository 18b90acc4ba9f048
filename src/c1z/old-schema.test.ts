import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { toBinary } from "@bufbuild/protobuf";
import { afterAll, describe, expect, it } from "vitest";
import { sqlite3, sqlite3Value, tempDir, toolsPresent, writeAndDecompress } from "../../test/support/c1z-tools.ts";
import { grant, group, resourceType, user } from "../model/builders.ts";
import { GrantSchema, ResourceSchema, ResourceTypeSchema } from "../model/types.ts";
import { encodeC1z } from "./envelope.ts";
import { openC1z } from "./open.ts";

const tools = toolsPresent("sqlite3", "zstd");
const tmp = tempDir();
afterAll(() => tmp.cleanup());

const hex = (bytes: Uint8Array) => `X'${Buffer.from(bytes).toString("hex")}'`;

/** A file shaped like baton-sdk v0.2.51 writes: 5-column sync_runs, no expansion columns, no sessions table. */
function demo251File(): Uint8Array {
  const path = join(tmp.dir, "demo251.db");
  const admins = group({ id: "admins", displayName: "Admins" });
  const devs = group({ id: "devs", displayName: "Devs" });
  const alice = user({ id: "alice", displayName: "Alice" });
  const expandable = grant(admins, "member", devs.id!, { expandable: { entitlementIds: ["group:devs:member"] } });
  const plain = grant(admins, "member", alice.id!);
  const at = "'2025-01-21 10:00:00.5'";
  execFileSync("sqlite3", [
    path,
    [
      "pragma journal_mode = wal",
      "create table v1_resource_types (id integer primary key, external_id text not null, data blob not null, sync_id text not null, discovered_at datetime not null)",
      "create table v1_resources (id integer primary key, resource_type_id text not null, external_id text not null, parent_resource_type_id text, parent_resource_id text, data blob not null, sync_id text not null, discovered_at datetime not null)",
      "create table v1_entitlements (id integer primary key, resource_type_id text not null, resource_id text not null, external_id text not null, data blob not null, sync_id text not null, discovered_at datetime not null)",
      "create table v1_grants (id integer primary key, resource_type_id text not null, resource_id text not null, entitlement_id text not null, principal_resource_type_id text not null, principal_resource_id text not null, external_id text not null, data blob not null, sync_id text not null, discovered_at datetime not null)",
      "create index idx_resource_types_external_sync_v1 on v1_grants (resource_type_id, resource_id)",
      "create table v1_sync_runs (id integer primary key, sync_id text not null, started_at datetime not null, ended_at datetime, sync_token text not null)",
      "create table v1_assets (id integer primary key, external_id text not null, content_type text not null, data blob not null, sync_id text not null, discovered_at datetime not null)",
      `insert into v1_sync_runs values (1, '2s8fOAoWMxQdISbixanQCRBiX7E', '2025-01-21 10:00:00', '2025-01-21 10:01:00', '')`,
      `insert into v1_resource_types values (1, 'group', ${hex(toBinary(ResourceTypeSchema, resourceType({ displayName: "Group", traits: ["group"] })))}, '2s8fOAoWMxQdISbixanQCRBiX7E', ${at})`,
      `insert into v1_resources values (1, 'group', 'group:admins', null, null, ${hex(toBinary(ResourceSchema, admins))}, '2s8fOAoWMxQdISbixanQCRBiX7E', ${at})`,
      `insert into v1_grants values (1, 'group', 'admins', 'group:admins:member', 'group', 'devs', '${expandable.id}', ${hex(toBinary(GrantSchema, expandable))}, '2s8fOAoWMxQdISbixanQCRBiX7E', ${at})`,
      `insert into v1_grants values (2, 'group', 'admins', 'group:admins:member', 'user', 'alice', '${plain.id}', ${hex(toBinary(GrantSchema, plain))}, '2s8fOAoWMxQdISbixanQCRBiX7E', ${at})`,
      "pragma wal_checkpoint(truncate)",
    ].join(";"),
  ]);
  return new Uint8Array(readFileSync(path));
}

describe.skipIf(!tools)("a file from an old writer (baton-sdk v0.2.51 shape)", () => {
  it("opens in WAL mode, migrates like Go, and reads GrantExpandable out of old grant data", async () => {
    const sqlite = demo251File();
    expect(Array.from(sqlite.subarray(18, 20))).toEqual([2, 2]);
    const plainData = sqlite3(join(tmp.dir, "demo251.db"), "select hex(data) as d from v1_grants where id = 2")[0].d;
    const store = await openC1z(encodeC1z(sqlite), { engine: "sqljs" });
    const run = store.latestFinishedSync("full");
    expect(run).toMatchObject({
      syncId: "2s8fOAoWMxQdISbixanQCRBiX7E",
      syncType: "full",
      parentSyncId: "",
      supportsDiff: false,
    });
    expect(store.resolveSyncId()).toBe("2s8fOAoWMxQdISbixanQCRBiX7E");
    const grants = store.listGrantsWithExpansion().items;
    expect(grants.map((g) => [g.grant.id, g.expansion?.entitlementIds ?? null, g.needsExpansion])).toEqual([
      ["group:admins:member:group:devs", ["group:devs:member"], true],
      ["group:admins:member:user:alice", null, false],
    ]);
    expect(store.listGrants().items[0].annotations).toHaveLength(0);

    const db = writeAndDecompress(store.toBytes(), tmp.dir, "demo251-migrated");
    expect(sqlite3Value(db, "pragma integrity_check")).toBe("ok");
    expect(sqlite3(db, "select name from pragma_table_info('v1_sync_runs')").map((r) => r.name)).toEqual([
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
    expect(sqlite3Value(db, "select count(*) from sqlite_master where name = 'v1_connector_sessions'")).toBe(1);
    expect(
      sqlite3Value(db, "select count(*) from sqlite_master where name = 'idx_grants_sync_needs_expansion_v1'"),
    ).toBe(1);
    // The grant without the annotation keeps its bytes; the other lost exactly the annotation.
    expect(sqlite3Value(db, "select hex(data) from v1_grants where id = 2")).toBe(plainData);
    expect(sqlite3Value(db, "select needs_expansion from v1_grants where id = 1")).toBe(1);
    store.close();
  });
});
