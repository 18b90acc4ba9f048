/**
 * A full sync of a seeded PostgreSQL 15 cluster, written to a c1z file and read back,
 * compared with pg_catalog queries written here (not the plugin's): roles, membership
 * (direct, and expanded as PostgreSQL's INHERIT rules allow), privileges per object,
 * owners and role attributes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres, { type Sql } from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import plugin from "../plugins/postgres/index.ts";
import { createC1z } from "../src/c1z/index.ts";
import type { C1zReader } from "../src/c1z/store.ts";
import { testPlugin } from "../src/conformance/test-plugin.ts";
import { findAnnotation } from "../src/model/index.ts";
import type { Grant, Resource } from "../src/model/types.ts";
import { UserTrait_Status_Status, UserTraitSchema } from "../src/proto/gen/c1/connector/v2/annotation_trait_pb.ts";
import { runSync } from "../src/sync/index.ts";
import { type PostgresServer, postgresUnavailable, startPostgres } from "./support/postgres.ts";
import {
  allEntitlements,
  allGrants,
  allResources,
  connectContext,
  grantKey,
  isDirect,
  syncToReader,
} from "./support/postgres-c1z.ts";
import { DATABASES, HOSTILE, seedCluster } from "./support/postgres-seed.ts";

const unavailable = postgresUnavailable();
if (unavailable) console.warn(`skipping PostgreSQL sync tests: ${unavailable}`);

interface RoleFact {
  oid: string;
  rolname: string;
  rolcanlogin: boolean;
  rolsuper: boolean;
  rolinherit: boolean;
  rolcreaterole: boolean;
  rolcreatedb: boolean;
  expired: boolean;
}

describe.skipIf(unavailable !== undefined)("postgres connector: sync agrees with pg_catalog", () => {
  let pg: PostgresServer;
  let dir: string;
  let reader: C1zReader;
  let admin: Sql;
  let roles: Map<string, RoleFact>;
  let grants: Grant[];
  let resources: Resource[];
  const typeOf = (oid: string) => (roles.get(oid)?.rolcanlogin ? "user" : "group");
  const pgConnect = (database: string) => postgres({ ...pg.options(database), onnotice: () => {}, max: 1 });

  beforeAll(async () => {
    pg = await startPostgres();
    dir = mkdtempSync(join(tmpdir(), "baton-edge-pgsync-"));
    await seedCluster(pgConnect);
    admin = pgConnect("postgres");
    const rows = await admin<RoleFact[]>`
      select oid::text as oid, rolname, rolcanlogin, rolsuper, rolinherit, rolcreaterole, rolcreatedb,
             coalesce(rolvaliduntil < now(), false) as expired
      from pg_roles`;
    roles = new Map(rows.map((row) => [row.oid, row]));
    // A small page size makes every listing span several pages.
    reader = await syncToReader(plugin, { dsn: pg.dsn(), pageSize: 7 }, join(dir, "sync.c1z"));
    grants = allGrants(reader);
    resources = allResources(reader);
  });

  afterAll(async () => {
    await admin?.end();
    await pg?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function c1zGrantKeys(filter: (grant: Grant) => boolean): string[] {
    return grants.filter(filter).map(grantKey).sort();
  }

  it("has every role: LOGIN roles as users, NOLOGIN roles as groups, with attributes and status", () => {
    expect(roles.size).toBeGreaterThanOrEqual(50);
    const expected = [...roles.values()].map((r) => `${r.rolcanlogin ? "user" : "group"}:${r.oid} ${r.rolname}`).sort();
    const actual = resources
      .filter((r) => r.id?.resourceType === "user" || r.id?.resourceType === "group")
      .map((r) => `${r.id?.resourceType}:${r.id?.resource} ${r.displayName}`)
      .sort();
    expect(actual).toEqual(expected);
    for (const r of resources.filter((x) => x.id?.resourceType === "user" || x.id?.resourceType === "group")) {
      const fact = roles.get(r.id?.resource ?? "") as RoleFact;
      expect(r.profile).toMatchObject({
        name: fact.rolname,
        superuser: fact.rolsuper,
        inherit: fact.rolinherit,
        create_role: fact.rolcreaterole,
        create_db: fact.rolcreatedb,
        login: fact.rolcanlogin,
      });
      if (fact.rolcanlogin) {
        const trait = findAnnotation(r.annotations, UserTraitSchema);
        expect(trait?.login).toBe(fact.rolname);
        expect(trait?.status?.status).toBe(
          fact.expired ? UserTrait_Status_Status.DISABLED : UserTrait_Status_Status.ENABLED,
        );
      }
    }
    const expired = [...roles.values()].filter((r) => r.expired).map((r) => r.rolname);
    expect(expired).toEqual(["user_13"]);
  });

  it("reports direct role membership exactly as pg_auth_members holds it", async () => {
    const rows = await admin<{ roleid: string; member: string }[]>`
      select roleid::text as roleid, member::text as member from pg_auth_members`;
    const expected = rows
      .map((m) => `${typeOf(m.roleid)}:${m.roleid}:member <- ${typeOf(m.member)}:${m.member}`)
      .sort();
    const actual = c1zGrantKeys((g) => g.entitlement?.id.endsWith(":member") === true && isDirect(g));
    expect(actual).toEqual(expected);
  });

  it("expands nested membership only through roles that INHERIT", async () => {
    // Membership through a chain whose every intermediate role has INHERIT.
    const rows = await admin<{ member: string; roleid: string }[]>`
      with recursive reach(member, roleid) as (
        select member, roleid from pg_auth_members
        union
        select reach.member, m.roleid
        from reach join pg_auth_members m on m.member = reach.roleid
        join pg_roles via on via.oid = reach.roleid
        where via.rolinherit
      ) select member::text as member, roleid::text as roleid from reach`;
    const expected = rows
      .map((m) => `${typeOf(m.roleid)}:${m.roleid}:member <- ${typeOf(m.member)}:${m.member}`)
      .sort();
    const actual = c1zGrantKeys((g) => g.entitlement?.id.endsWith(":member") === true);
    expect(actual).toEqual(expected);
    expect(rows.length).toBeGreaterThan((await admin`select 1 from pg_auth_members`).length);
  });

  it("matches PostgreSQL's own inheritance check (pg_has_role USAGE) for every inheriting role", async () => {
    const rows = await admin<{ member: string; roleid: string }[]>`
      select u.oid::text as member, r.oid::text as roleid
      from pg_roles u cross join pg_roles r
      where u.rolinherit and not u.rolsuper and r.oid <> u.oid and pg_has_role(u.oid, r.oid, 'USAGE')`;
    const inheriting = new Set([...roles.values()].filter((r) => r.rolinherit && !r.rolsuper).map((r) => r.oid));
    const expected = rows
      .map((m) => `${typeOf(m.roleid)}:${m.roleid}:member <- ${typeOf(m.member)}:${m.member}`)
      .sort();
    const actual = c1zGrantKeys(
      (g) => g.entitlement?.id.endsWith(":member") === true && inheriting.has(g.principal?.id?.resource ?? ""),
    );
    expect(actual).toEqual(expected);
  });

  it("groups nest three deep, and a NOINHERIT group stops the chain", async () => {
    const oid = async (name: string) =>
      (await admin<{ oid: string }[]>`select oid::text as oid from pg_roles where rolname = ${name}`)[0]?.oid as string;
    const [u06, u04, backend, eng, org, contractors] = await Promise.all(
      ["user_06", "user_04", "g_backend", "g_eng", "g_org", "g_contractors"].map(oid),
    );
    const held = (role: string, member: string) =>
      grants.find((g) => g.entitlement?.id === `group:${role}:member` && g.principal?.id?.resource === member);
    // user_06 -> g_backend -> g_eng -> g_org
    expect(held(backend as string, u06 as string) && isDirect(held(backend as string, u06 as string) as Grant)).toBe(
      true,
    );
    const viaTwo = held(org as string, u06 as string);
    expect(viaTwo).toBeDefined();
    expect(isDirect(viaTwo as Grant)).toBe(false);
    // user_04 -> g_contractors (NOINHERIT) -> g_eng: a member in PostgreSQL, without its privileges.
    expect(held(contractors as string, u04 as string)).toBeDefined();
    expect(held(eng as string, u04 as string)).toBeUndefined();
    const [check] = await admin<{ member: boolean; usage: boolean }[]>`
      select pg_has_role('user_04', 'g_eng', 'MEMBER') as member, pg_has_role('user_04', 'g_eng', 'USAGE') as usage`;
    expect(check).toEqual({ member: true, usage: false });
  });

  it("reports SUPERUSER, CREATEROLE and CREATEDB as cluster entitlements", () => {
    const expected: string[] = [];
    for (const r of roles.values()) {
      const who = `${r.rolcanlogin ? "user" : "group"}:${r.oid}`;
      if (r.rolsuper) expected.push(`cluster:cluster:superuser <- ${who}`);
      if (r.rolcreaterole) expected.push(`cluster:cluster:createrole <- ${who}`);
      if (r.rolcreatedb) expected.push(`cluster:cluster:createdb <- ${who}`);
    }
    expect(c1zGrantKeys((g) => g.entitlement?.resource?.id?.resourceType === "cluster")).toEqual(expected.sort());
    expect(expected.length).toBeGreaterThan(5);
  });

  it("has the databases with CONNECT/CREATE/TEMPORARY grants and owners from pg_database ACLs", async () => {
    const dbs = await admin<{ oid: string; datname: string }[]>`
      select oid::text as oid, datname from pg_database where datallowconn and not datistemplate`;
    expect(dbs.map((d) => d.datname).sort()).toEqual([...DATABASES, "postgres"].sort());
    expect(
      resources
        .filter((r) => r.id?.resourceType === "database")
        .map((r) => `${r.id?.resource} ${r.displayName}`)
        .sort(),
    ).toEqual(dbs.map((d) => `${d.oid} ${d.datname}`).sort());
    const acl = await admin<{ db: string; grantee: string; privilege: string }[]>`
      select d.oid::text as db, a.grantee::text as grantee, lower(a.privilege_type) as privilege
      from pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
      where d.datallowconn and not d.datistemplate and a.grantee <> 0
      union
      select oid::text, datdba::text, 'owner' from pg_database where datallowconn and not datistemplate`;
    const expected = acl.map((a) => `database:${a.db}:${a.privilege} <- ${typeOf(a.grantee)}:${a.grantee}`).sort();
    expect(c1zGrantKeys((g) => g.entitlement?.resource?.id?.resourceType === "database")).toEqual(expected);
    // An independent spot check through has_database_privilege.
    const [reports] = await admin<{ ro: boolean; backend: boolean }[]>`
      select has_database_privilege('g_readonly', 'app_reports', 'CONNECT') as ro,
             has_database_privilege('g_backend', 'app_reports', 'CONNECT') as backend`;
    expect(reports).toEqual({ ro: true, backend: false });
  });

  it("has schemas, tables, views and sequences per database with their privileges and owners", async () => {
    const dbs = await admin<{ oid: string; datname: string }[]>`
      select oid::text as oid, datname from pg_database where datallowconn and not datistemplate`;
    const expectedResources: string[] = [];
    const expectedGrants: string[] = [];
    let informationSchemaRows = 0;
    for (const db of dbs) {
      const sql = pgConnect(db.datname);
      try {
        const objects = await sql<{ kind: string; oid: string; name: string; parent: string }[]>`
          select 'schema' as kind, n.oid::text as oid, n.nspname as name, ${db.oid} as parent
          from pg_namespace n where n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
          union all
          select case when c.relkind in ('v', 'm') then 'view' when c.relkind = 'S' then 'sequence' else 'table' end,
                 c.oid::text, c.relname, ${db.oid} || '.' || c.relnamespace::text
          from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where c.relkind in ('r', 'p', 'f', 'v', 'm', 'S') and n.nspname !~ '^pg_'
            and n.nspname <> 'information_schema'`;
        for (const o of objects) expectedResources.push(`${o.kind}:${db.oid}.${o.oid} ${o.name} in ${o.parent}`);
        const acl = await sql<{ kind: string; oid: string; grantee: string; privilege: string }[]>`
          select 'schema' as kind, n.oid::text as oid, a.grantee::text as grantee, lower(a.privilege_type) as privilege
          from pg_namespace n, aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
          where n.nspname !~ '^pg_' and n.nspname <> 'information_schema' and a.grantee <> 0
          union
          select 'schema', n.oid::text, n.nspowner::text, 'owner' from pg_namespace n
          where n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
          union
          select case when c.relkind in ('v', 'm') then 'view' when c.relkind = 'S' then 'sequence' else 'table' end,
                 c.oid::text, a.grantee::text, lower(a.privilege_type)
          from pg_class c join pg_namespace n on n.oid = c.relnamespace,
               aclexplode(coalesce(c.relacl, acldefault(case when c.relkind = 'S' then 's'::"char" else 'r'::"char" end, c.relowner))) a
          where c.relkind in ('r', 'p', 'f', 'v', 'm', 'S') and n.nspname !~ '^pg_'
            and n.nspname <> 'information_schema' and a.grantee <> 0
          union
          select case when c.relkind in ('v', 'm') then 'view' when c.relkind = 'S' then 'sequence' else 'table' end,
                 c.oid::text, c.relowner::text, 'owner'
          from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where c.relkind in ('r', 'p', 'f', 'v', 'm', 'S') and n.nspname !~ '^pg_'
            and n.nspname <> 'information_schema'`;
        for (const a of acl) {
          expectedGrants.push(`${a.kind}:${db.oid}.${a.oid}:${a.privilege} <- ${typeOf(a.grantee)}:${a.grantee}`);
        }
        // information_schema is a second, independent view of table and view privileges.
        const isPrivileges = await sql<{ oid: string; grantee: string; privilege: string; kind: string }[]>`
          select c.oid::text as oid, r.oid::text as grantee, lower(tp.privilege_type) as privilege,
                 case when c.relkind in ('v', 'm') then 'view' else 'table' end as kind
          from information_schema.table_privileges tp
          join pg_namespace n on n.nspname = tp.table_schema
          join pg_class c on c.relnamespace = n.oid and c.relname = tp.table_name
          join pg_roles r on r.rolname = tp.grantee
          where tp.table_schema !~ '^pg_' and tp.table_schema <> 'information_schema'`;
        for (const p of isPrivileges) {
          const key = `${p.kind}:${db.oid}.${p.oid}:${p.privilege} <- ${typeOf(p.grantee)}:${p.grantee}`;
          expect(
            grants.some((g) => grantKey(g) === key),
            key,
          ).toBe(true);
        }
        informationSchemaRows += isPrivileges.length;
      } finally {
        await sql.end();
      }
    }
    expect(informationSchemaRows).toBeGreaterThan(30);
    const actualResources = resources
      .filter((r) => ["schema", "table", "view", "sequence"].includes(r.id?.resourceType ?? ""))
      .map((r) => `${r.id?.resourceType}:${r.id?.resource} ${r.displayName} in ${r.parentResourceId?.resource}`)
      .sort();
    expect(actualResources).toEqual(expectedResources.sort());
    const actualGrants = c1zGrantKeys((g) =>
      ["schema", "table", "view", "sequence"].includes(g.entitlement?.resource?.id?.resourceType ?? ""),
    );
    expect(actualGrants).toEqual(expectedGrants.sort());
    expect(actualGrants.length).toBeGreaterThan(100);
  });

  it("defines the privilege and ownership entitlements for each object", () => {
    const entitlements = allEntitlements(reader);
    const slugsOf = (type: string) =>
      new Set(entitlements.filter((e) => e.resource?.id?.resourceType === type).map((e) => e.slug));
    expect([...slugsOf("table")].sort()).toEqual(
      ["delete", "insert", "owner", "references", "select", "trigger", "truncate", "update"].sort(),
    );
    expect([...slugsOf("sequence")].sort()).toEqual(["owner", "select", "update", "usage"]);
    expect([...slugsOf("schema")].sort()).toEqual(["create", "owner", "usage"]);
    expect([...slugsOf("database")].sort()).toEqual(["connect", "create", "owner", "temporary"]);
    expect([...slugsOf("cluster")].sort()).toEqual(["createdb", "createrole", "superuser"]);
    const owner = entitlements.find((e) => e.resource?.id?.resourceType === "table" && e.slug === "owner");
    expect(owner?.purpose).toBe(3); // OWNERSHIP
    const select = entitlements.find((e) => e.resource?.id?.resourceType === "table" && e.slug === "select");
    expect(select?.purpose).toBe(2); // PERMISSION
  });

  it("carries hostile names through unchanged", () => {
    const names = new Set(resources.map((r) => r.displayName));
    for (const name of Object.values(HOSTILE)) expect(names.has(name), name).toBe(true);
  });

  it("passes the plugin conformance harness (ids, paging, traits, parents) read-only", async () => {
    const report = await testPlugin(plugin, { config: { dsn: pg.dsn(), pageSize: 5 }, provisioning: false });
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
    expect(report.counts.pages).toBeGreaterThan(20);
  });

  it("answers targeted gets with the resource the sync wrote, and undefined for a missing OID", async () => {
    const client = await plugin.connect({ dsn: pg.dsn() }, connectContext());
    try {
      const ctx = { ...connectContext(), client };
      for (const definition of plugin.resourceTypes) {
        const type = definition.resourceType.id;
        const sample =
          resources.find((r) => r.id?.resourceType === type && r.displayName.includes('"')) ??
          resources.find((r) => r.id?.resourceType === type);
        expect(sample, type).toBeDefined();
        const got = await definition.get?.(sample?.id as NonNullable<Resource["id"]>, sample?.parentResourceId, ctx);
        expect(got?.displayName, type).toBe(sample?.displayName);
        expect(got?.parentResourceId?.resource, type).toBe(sample?.parentResourceId?.resource);
        if (type === "cluster") continue;
        const missing = (sample?.id?.resource ?? "").replace(/\d+$/, "4000000000");
        expect(
          await definition.get?.({ ...(sample?.id as NonNullable<Resource["id"]>), resource: missing }, undefined, ctx),
        ).toBeUndefined();
      }
    } finally {
      await plugin.close?.(client);
    }
  });

  it("resumes an interrupted sync from its checkpointed page tokens to the same result", async () => {
    const client = await plugin.connect({ dsn: pg.dsn(), pageSize: 7 }, connectContext());
    const store = await createC1z();
    try {
      const controller = new AbortController();
      const interrupted = runSync({
        plugin,
        client,
        store,
        checkpointIntervalMs: 0,
        signal: controller.signal,
        onProgress: (event) => {
          if (event.type === "progress" && event.pages >= 60) controller.abort();
        },
      });
      await expect(interrupted).rejects.toThrow();
      expect(store.latestUnfinishedSync()?.syncToken).not.toBe("");
      const resumed = await runSync({ plugin, client, store, checkpointIntervalMs: 0 });
      expect(resumed.resumed).toBe(true);
      expect(allGrants(store).map(grantKey).sort()).toEqual(grants.map(grantKey).sort());
      expect(
        allResources(store)
          .map((r) => `${r.id?.resourceType}:${r.id?.resource}`)
          .sort(),
      ).toEqual(resources.map((r) => `${r.id?.resourceType}:${r.id?.resource}`).sort());
    } finally {
      store.close();
      await plugin.close?.(client);
    }
  });
});
