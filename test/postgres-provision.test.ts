/**
 * Provisioning against a real PostgreSQL: each grant shows up in pg_catalog and, after a
 * re-sync, in the c1z; each revoke likewise; repeating either answers alreadyExists /
 * alreadyRevoked. Names are hostile throughout. Account creation, rotation and deletion
 * are checked by logging in, and the server runs with log_statement=all to show the
 * password never reaches it in clear.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres, { type Sql } from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PgClient } from "../plugins/postgres/index.ts";
import plugin from "../plugins/postgres/index.ts";
import type { C1zReader } from "../src/c1z/store.ts";
import type { Entitlement, Grant, Resource } from "../src/model/types.ts";
import type { Logger, PluginContext, ResourceTypeDefinition } from "../src/plugins/contract.ts";
import { type PostgresServer, postgresUnavailable, startPostgres } from "./support/postgres.ts";
import { allEntitlements, allGrants, allResources, connectContext, syncToReader } from "./support/postgres-c1z.ts";
import { HOSTILE, seedCluster } from "./support/postgres-seed.ts";

const unavailable = postgresUnavailable();
if (unavailable) console.warn(`skipping PostgreSQL provisioning tests: ${unavailable}`);

interface Case {
  title: string;
  type: string;
  /** Display name of the object, and of its database for per-database objects. */
  object: string;
  database?: string;
  slug: string;
  principal: string;
  /** Independent check in pg_catalog: does the principal hold it directly? */
  holds(sql: Sql, objectOid: string, roleOid: string): Promise<boolean>;
}

const aclHolds =
  (catalog: "pg_class" | "pg_namespace" | "pg_database", privilege: string) =>
  async (sql: Sql, objectOid: string, roleOid: string) => {
    const acl = { pg_class: "relacl", pg_namespace: "nspacl", pg_database: "datacl" }[catalog];
    const rows = await sql.unsafe(
      `select 1 from ${catalog} o, aclexplode(o.${acl}) a
       where o.oid = $1::oid and a.grantee = $2::oid and a.privilege_type = $3`,
      [objectOid, roleOid, privilege],
    );
    return rows.length > 0;
  };

const CASES: Case[] = [
  {
    title: "role membership",
    type: "group",
    object: "g_ops",
    slug: "member",
    principal: "user_01",
    holds: async (sql, role, member) =>
      (await sql`select 1 from pg_auth_members where roleid = ${role}::oid and member = ${member}::oid`).length > 0,
  },
  {
    title: "membership of a hostile role in a hostile role",
    type: "group",
    object: HOSTILE.roleDot,
    slug: "member",
    principal: HOSTILE.roleApostrophe,
    holds: async (sql, role, member) =>
      (await sql`select 1 from pg_auth_members where roleid = ${role}::oid and member = ${member}::oid`).length > 0,
  },
  {
    title: "CREATEDB on the cluster",
    type: "cluster",
    object: "",
    slug: "createdb",
    principal: HOSTILE.roleQuote,
    holds: async (sql, _cluster, role) =>
      (await sql`select rolcreatedb from pg_roles where oid = ${role}::oid`)[0]?.rolcreatedb === true,
  },
  {
    title: "CONNECT on a hostile database",
    type: "database",
    object: HOSTILE.database,
    slug: "connect",
    principal: HOSTILE.roleApostrophe,
    holds: aclHolds("pg_database", "CONNECT"),
  },
  {
    title: "USAGE on a hostile schema",
    type: "schema",
    object: HOSTILE.schemaUnicode,
    database: HOSTILE.database,
    slug: "usage",
    principal: HOSTILE.roleInjection,
    holds: aclHolds("pg_namespace", "USAGE"),
  },
  {
    title: "SELECT on a hostile table",
    type: "table",
    object: HOSTILE.tableInjection,
    database: HOSTILE.database,
    slug: "select",
    principal: HOSTILE.roleApostrophe,
    holds: aclHolds("pg_class", "SELECT"),
  },
  {
    title: "TRUNCATE on a table with a dot in its name",
    type: "table",
    object: HOSTILE.tableDot,
    database: "app_main",
    slug: "truncate",
    principal: HOSTILE.roleUnicode,
    holds: aclHolds("pg_class", "TRUNCATE"),
  },
  {
    title: "SELECT on a view",
    type: "view",
    object: "daily",
    database: "app_reports",
    slug: "select",
    principal: "user_02",
    holds: aclHolds("pg_class", "SELECT"),
  },
  {
    title: "USAGE on a sequence",
    type: "sequence",
    object: "ticket_no",
    database: "app_main",
    slug: "usage",
    principal: HOSTILE.roleQuote,
    holds: aclHolds("pg_class", "USAGE"),
  },
];

describe.skipIf(unavailable !== undefined)("postgres connector: provisioning", () => {
  let pg: PostgresServer;
  let dir: string;
  let client: PgClient;
  let reader: C1zReader;
  const logged: string[] = [];
  const log: Logger = {
    debug: (m, f) => logged.push(`${m} ${JSON.stringify(f ?? {})}`),
    info: (m, f) => logged.push(`${m} ${JSON.stringify(f ?? {})}`),
    warn: (m, f) => logged.push(`${m} ${JSON.stringify(f ?? {})}`),
    error: (m, f) => logged.push(`${m} ${JSON.stringify(f ?? {})}`),
  };
  const opened: Sql[] = [];
  const pgConnect = (database: string, login?: { user: string; password: string }) => {
    const sql = postgres({ ...pg.options(database), ...login, onnotice: () => {}, max: 1 });
    opened.push(sql);
    return sql;
  };
  const ctx = (): PluginContext<PgClient> => ({ client, fetch, log, signal: new AbortController().signal });
  const definition = (type: string) =>
    plugin.resourceTypes.find((d) => d.resourceType.id === type) as ResourceTypeDefinition<PgClient>;
  const config = () => ({ dsn: pg.dsn() });
  let syncs = 0;
  const resync = async () => {
    reader = await syncToReader(plugin, config(), join(dir, `sync-${++syncs}.c1z`));
  };
  const resourceNamed = (type: string, name: string, database?: string): Resource => {
    const all = allResources(reader).filter(
      (r) => r.id?.resourceType === type && (name === "" || r.displayName === name),
    );
    const databaseOid = database
      ? allResources(reader).find((r) => r.id?.resourceType === "database" && r.displayName === database)?.id?.resource
      : undefined;
    const found = all.find((r) => !databaseOid || r.id?.resource.startsWith(`${databaseOid}.`));
    if (!found) throw new Error(`no ${type} ${name} in the c1z`);
    return found;
  };
  const roleNamed = (name: string): Resource => {
    const found = allResources(reader).find(
      (r) => (r.id?.resourceType === "user" || r.id?.resourceType === "group") && r.displayName === name,
    );
    if (!found) throw new Error(`no role ${name} in the c1z`);
    return found;
  };
  const entitlementOf = (owner: Resource, slug: string): Entitlement => {
    const found = allEntitlements(reader).find(
      (e) =>
        e.resource?.id?.resourceType === owner.id?.resourceType &&
        e.resource?.id?.resource === owner.id?.resource &&
        e.slug === slug,
    );
    if (!found) throw new Error(`no entitlement ${slug} on ${owner.displayName}`);
    return found;
  };
  const grantIn = (entitlementId: string, principal: Resource): Grant | undefined =>
    allGrants(reader).find(
      (g) => g.entitlement?.id === entitlementId && g.principal?.id?.resource === principal.id?.resource,
    );

  beforeAll(async () => {
    pg = await startPostgres({ settings: { log_statement: "all", log_min_error_statement: "error" } });
    dir = mkdtempSync(join(tmpdir(), "baton-edge-pgprov-"));
    await seedCluster((database) => pgConnect(database));
    client = await plugin.connect(config(), connectContext(log));
    await resync();
  });

  afterAll(async () => {
    if (client) await plugin.close?.(client);
    await Promise.all(opened.map((sql) => sql.end()));
    await pg?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const c of CASES) {
    it(`grants and revokes ${c.title}, idempotently, visible in pg_catalog and the c1z`, async () => {
      const object = resourceNamed(c.type, c.object, c.database);
      const ent = entitlementOf(object, c.slug);
      const principal = roleNamed(c.principal);
      const sql = pgConnect(c.database ?? "postgres");
      const objectOid = (object.id?.resource ?? "").split(".").pop() as string;
      const roleOid = principal.id?.resource as string;
      expect(await c.holds(sql, objectOid, roleOid)).toBe(false);
      expect(grantIn(ent.id, principal)).toBeUndefined();

      const granted = await definition(c.type).grant?.(principal, ent, ctx());
      expect(granted?.alreadyExists ?? false).toBe(false);
      expect(granted?.grants?.map((g) => g.id)).toEqual([`${ent.id}:${principal.id?.resourceType}:${roleOid}`]);
      expect(await c.holds(sql, objectOid, roleOid)).toBe(true);
      const again = await definition(c.type).grant?.(principal, ent, ctx());
      expect(again?.alreadyExists).toBe(true);

      await resync();
      const held = grantIn(ent.id, principal);
      expect(held).toBeDefined();

      const revoked = await definition(c.type).revoke?.(held as Grant, ctx());
      expect(revoked?.alreadyRevoked ?? false).toBe(false);
      expect(await c.holds(sql, objectOid, roleOid)).toBe(false);
      const revokedAgain = await definition(c.type).revoke?.(held as Grant, ctx());
      expect(revokedAgain?.alreadyRevoked).toBe(true);

      await resync();
      expect(grantIn(ent.id, principal)).toBeUndefined();
    });
  }

  it("answers alreadyRevoked for a grant on a table dropped since the sync", async () => {
    const sql = pgConnect("app_main");
    await sql.unsafe('CREATE TABLE public."short lived" (x int)');
    await sql.unsafe('GRANT SELECT ON public."short lived" TO user_05');
    await resync();
    const table = resourceNamed("table", "short lived", "app_main");
    const held = grantIn(`${table.id?.resourceType}:${table.id?.resource}:select`, roleNamed("user_05"));
    expect(held).toBeDefined();
    await sql.unsafe('DROP TABLE public."short lived"');
    expect((await definition("table").revoke?.(held as Grant, ctx()))?.alreadyRevoked).toBe(true);
  });

  it("left every table in place despite the injection-shaped names", async () => {
    for (const database of ["app_main", "app_reports", HOSTILE.database]) {
      const rows = await pgConnect(
        database,
      )`select count(*)::int as n from pg_class where relname in ('orders', ${HOSTILE.tableInjection})`;
      expect(rows[0]?.n).toBe(2);
    }
  });

  it("transfers ownership with the owner entitlement and refuses to revoke it", async () => {
    await resync();
    const view = resourceNamed("view", "totals", "app_main");
    const ent = entitlementOf(view, "owner");
    const ops = roleNamed(HOSTILE.roleUnicode);
    const sql = pgConnect("app_main");
    const owner = async () =>
      (await sql`select r.rolname from pg_class c join pg_roles r on r.oid = c.relowner where c.relname = 'totals'`)[0]
        ?.rolname;
    expect(await owner()).toBe("postgres");
    const outcome = await definition("view").grant?.(ops, ent, ctx());
    expect(outcome?.alreadyExists ?? false).toBe(false);
    expect(await owner()).toBe(HOSTILE.roleUnicode);
    expect((await definition("view").grant?.(ops, ent, ctx()))?.alreadyExists).toBe(true);
    await resync();
    const held = grantIn(ent.id, ops) as Grant;
    expect(held).toBeDefined();
    await expect(definition("view").revoke?.(held, ctx())).rejects.toThrow(/ownership .* cannot be revoked/);
    expect(await owner()).toBe(HOSTILE.roleUnicode);
  });

  it("creates a login role with a generated password that works, returned once and never logged", async () => {
    const login = 'new "user"; DROP ROLE postgres; --';
    logged.length = 0;
    const outcome = await plugin.createAccount?.({ login }, ctx());
    const password = outcome?.credentials?.[0]?.value as string;
    expect(outcome?.result).toBe("success");
    expect(password).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(outcome?.resource?.displayName).toBe(login);
    const [me] = await pgConnect("postgres", { user: login, password })`select current_user as name`;
    expect(me?.name).toBe(login);
    expect(logged.join("\n")).not.toContain(password);
    // log_statement=all: the server saw CREATE ROLE, with a SCRAM verifier instead of the password.
    expect(pg.log()).toContain("CREATE ROLE");
    expect(pg.log()).toContain("SCRAM-SHA-256$4096:");
    expect(pg.log()).not.toContain(password);
    const [bootstrap] = await pgConnect("postgres")`select count(*)::int as n from pg_roles where rolname = 'postgres'`;
    expect(bootstrap?.n).toBe(1);
    const repeat = await plugin.createAccount?.({ login }, ctx());
    expect(repeat?.result).toBe("alreadyExists");
    expect(repeat?.credentials).toBeUndefined();
    await resync();
    expect(roleNamed(login).id?.resourceType).toBe("user");
  });

  it("rotates a password: the old one stops working, the new one works", async () => {
    const login = HOSTILE.roleQuote;
    const role = roleNamed(login);
    const first = await plugin.rotateCredentials?.(role.id as NonNullable<Resource["id"]>, ctx());
    const oldPassword = first?.credentials[0]?.value as string;
    const second = await plugin.rotateCredentials?.(role.id as NonNullable<Resource["id"]>, ctx());
    const newPassword = second?.credentials[0]?.value as string;
    expect(newPassword).not.toBe(oldPassword);
    const withOld = plugin.connect({ dsn: pg.dsn("postgres", login, oldPassword) }, connectContext());
    await expect(withOld).rejects.toMatchObject({ kind: "auth" });
    const fresh = await plugin.connect({ dsn: pg.dsn("postgres", login, newPassword) }, connectContext());
    expect(fresh.info?.currentUser).toBe(login);
    await plugin.close?.(fresh);
    expect(pg.log()).not.toContain(newPassword);
    expect(logged.join("\n")).not.toContain(newPassword);
  });

  it("refuses to delete a role that owns objects, naming where", async () => {
    const owner = roleNamed("user_04");
    await expect(plugin.deleteResource?.(owner.id as NonNullable<Resource["id"]>, ctx())).rejects.toThrow(
      /refusing to drop role "user_04": it owns 3 object\(s\) in .*app_main.*REASSIGN OWNED/,
    );
    const [still] = await pgConnect("postgres")`select count(*)::int as n from pg_roles where rolname = 'user_04'`;
    expect(still?.n).toBe(1);
  });

  it("deletes a role holding privileges and memberships, then answers alreadyDeleted", async () => {
    const target = roleNamed(HOSTILE.roleInjection);
    const sql = pgConnect(HOSTILE.database);
    const [before] =
      await sql`select count(*)::int as n from pg_shdepend where refobjid = ${target.id?.resource as string}::oid`;
    expect(before?.n).toBeGreaterThan(0);
    const outcome = await plugin.deleteResource?.(target.id as NonNullable<Resource["id"]>, ctx());
    expect(outcome?.alreadyDeleted ?? false).toBe(false);
    const [gone] = await sql`select count(*)::int as n from pg_roles where oid = ${target.id?.resource as string}::oid`;
    expect(gone?.n).toBe(0);
    const [tables] = await sql`select count(*)::int as n from pg_class where relname = ${HOSTILE.tableInjection}`;
    expect(tables?.n).toBe(1);
    expect((await plugin.deleteResource?.(target.id as NonNullable<Resource["id"]>, ctx()))?.alreadyDeleted).toBe(true);
    await resync();
    expect(() => roleNamed(HOSTILE.roleInjection)).toThrow(/no role/);
  });
});
