/**
 * Account lifecycle: CREATE ROLE … LOGIN with a generated password, password rotation,
 * and DROP ROLE. Passwords travel as SCRAM verifiers (see password.ts); the plaintext is
 * returned once to the caller and never logged.
 */
import type {
  AccountInfo,
  CreateAccountOutcome,
  DeleteOutcome,
  PluginContext,
  ResourceId,
  RotateOutcome,
} from "../../src/plugins/sdk.ts";
import type { PgClient } from "./client.ts";
import { PostgresConnectorError } from "./errors.ts";
import { parseOid, T } from "./model.ts";
import { generatePassword, scramVerifier } from "./password.ts";
import { assertNameLength, quoteIdent, quoteLiteral } from "./quote.ts";
import { findRole, type RoleRow, roleResource, selectRoles } from "./roles.ts";

async function roleByName(client: PgClient, name: string): Promise<RoleRow | undefined> {
  const rows = await client.query(
    "looking up a role",
    (sql) => sql<RoleRow[]>`${selectRoles(sql)} where rolname = ${name}`,
  );
  return rows[0];
}

export async function createAccount(account: AccountInfo, ctx: PluginContext<PgClient>): Promise<CreateAccountOutcome> {
  const login = account.login;
  if (typeof login !== "string" || login.length === 0) {
    throw new PostgresConnectorError("config", "create account: a login (the role name) is required");
  }
  if (account.resourceType && account.resourceType !== T.user) {
    throw new PostgresConnectorError(
      "config",
      `create account: accounts are ${T.user} roles, not ${account.resourceType}`,
    );
  }
  assertNameLength(login, "the login");
  quoteIdent(login);
  const existing = await roleByName(ctx.client, login);
  if (existing) return { result: "alreadyExists", resource: roleResource(existing) };
  const password = generatePassword();
  const verifier = await scramVerifier(password);
  await ctx.client.query("creating a login role", (sql) =>
    sql.unsafe(`CREATE ROLE ${quoteIdent(login)} LOGIN PASSWORD ${quoteLiteral(verifier)}`),
  );
  const created = await roleByName(ctx.client, login);
  if (!created) throw new PostgresConnectorError("query", "the new role is not visible after CREATE ROLE");
  ctx.log.info("created login role", { role: login, oid: created.oid });
  return { result: "success", resource: roleResource(created), credentials: [{ name: "password", value: password }] };
}

export async function rotateCredentials(id: ResourceId, ctx: PluginContext<PgClient>): Promise<RotateOutcome> {
  if (id.resourceType !== T.user) {
    throw new PostgresConnectorError("config", `only ${T.user} roles have passwords to rotate, not ${id.resourceType}`);
  }
  const role = await findRole(ctx.client, parseOid(id.resource, "role"));
  if (!role) throw new PostgresConnectorError("not-found", `role with OID ${id.resource} does not exist`);
  const password = generatePassword();
  const verifier = await scramVerifier(password);
  await ctx.client.query("setting a password", (sql) =>
    sql.unsafe(`ALTER ROLE ${quoteIdent(role.rolname)} PASSWORD ${quoteLiteral(verifier)}`),
  );
  ctx.log.info("rotated password", { role: role.rolname, oid: role.oid });
  return { credentials: [{ name: "password", value: password }] };
}

interface DependencyRow {
  database: string | null;
  dbid: string;
  deptype: string;
  count: number;
}

/**
 * DROP ROLE, refusing clearly while the role owns anything. Privileges granted to the role
 * are revoked first (DROP OWNED BY in each database holding some, which drops nothing
 * because we checked it owns nothing), as DROP ROLE would otherwise refuse.
 */
export async function deleteResource(id: ResourceId, ctx: PluginContext<PgClient>): Promise<DeleteOutcome> {
  if (id.resourceType !== T.user && id.resourceType !== T.group) {
    throw new PostgresConnectorError("config", `only roles can be deleted, not ${id.resourceType}`);
  }
  const role = await findRole(ctx.client, parseOid(id.resource, "role"));
  if (!role) return { alreadyDeleted: true };
  const deps = await ctx.client.query(
    "checking what the role owns",
    (sql) => sql<DependencyRow[]>`
      select d.datname as database, s.dbid::text as dbid, s.deptype::text as deptype, count(*)::int as count
      from pg_shdepend s left join pg_database d on d.oid = s.dbid
      where s.refclassid = 'pg_authid'::regclass and s.refobjid = ${role.oid}::oid and s.deptype in ('o', 'a')
      group by 1, 2, 3 order by 1`,
  );
  const owned = deps.filter((dep) => dep.deptype === "o");
  if (owned.length > 0) {
    const total = owned.reduce((sum, dep) => sum + dep.count, 0);
    const where = owned.map((dep) =>
      dep.database === null ? "the cluster (databases)" : JSON.stringify(dep.database),
    );
    throw new PostgresConnectorError(
      "refused",
      `refusing to drop role ${JSON.stringify(role.rolname)}: it owns ${total} object(s) in ${where.join(", ")}; ` +
        "reassign them first (REASSIGN OWNED BY … TO …)",
    );
  }
  for (const dep of deps) {
    const database = dep.database ?? undefined;
    await ctx.client.query(
      "revoking the role's privileges",
      (sql) =>
        sql.begin(async (tx) => {
          const stillOwns = await tx`select 1 from pg_shdepend where refclassid = 'pg_authid'::regclass
            and refobjid = ${role.oid}::oid and deptype = 'o' and dbid in (0, (select oid from pg_database where datname = current_database()))`;
          if (stillOwns.length > 0) {
            throw new PostgresConnectorError(
              "refused",
              `refusing to drop role ${JSON.stringify(role.rolname)}: it now owns objects`,
            );
          }
          await tx.unsafe(`DROP OWNED BY ${quoteIdent(role.rolname)}`);
        }),
      database,
    );
  }
  await ctx.client.query("dropping the role", (sql) => sql.unsafe(`DROP ROLE ${quoteIdent(role.rolname)}`));
  ctx.log.info("dropped role", { role: role.rolname, oid: role.oid });
  return {};
}
