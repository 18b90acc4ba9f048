/**
 * Roles: LOGIN roles are users, NOLOGIN roles are groups. Each role has a `member`
 * entitlement; a membership grant to a role that has INHERIT carries GrantExpandable, so
 * that role's own members hold it too. A NOINHERIT member gets no edge: in PostgreSQL the
 * privileges stop there (the membership itself is still reported as a direct grant).
 */
import type {
  Entitlement,
  Grant,
  Page,
  PluginContext,
  Resource,
  ResourceId,
  SyncCallContext,
} from "../../src/plugins/sdk.ts";
import { entitlement, grant, group, type Profile, user } from "../../src/plugins/sdk.ts";
import type { PgClient, Sql } from "./client.ts";
import { PostgresConnectorError } from "./errors.ts";
import { parseOid, principalTypes, roleId, T } from "./model.ts";
import { quoteIdent } from "./quote.ts";
import { decodeToken, nextToken } from "./token.ts";

export const MEMBER = "member";

export interface RoleRow {
  oid: string;
  rolname: string;
  rolsuper: boolean;
  rolinherit: boolean;
  rolcreaterole: boolean;
  rolcreatedb: boolean;
  rolcanlogin: boolean;
  rolreplication: boolean;
  rolbypassrls: boolean;
  rolconnlimit: number;
  validuntil: string | null;
  expired: boolean;
}

export function selectRoles(sql: Sql) {
  return sql`select oid::text as oid, rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin,
    rolreplication, rolbypassrls, rolconnlimit, rolvaliduntil::text as validuntil,
    coalesce(rolvaliduntil < now(), false) as expired from pg_roles`;
}

export async function listRoles(client: PgClient, canLogin: boolean, pageToken: string): Promise<Page<Resource>> {
  const after = decodeToken(pageToken)?.after ?? "0";
  const rows = await client.query(
    "listing roles",
    (sql) =>
      sql<RoleRow[]>`${selectRoles(sql)} where rolcanlogin = ${canLogin} and oid > ${after}::oid
        order by pg_roles.oid limit ${client.settings.pageSize + 1}`,
  );
  const page = nextToken(rows, client.settings.pageSize, (row) => row.oid);
  return { items: page.rows.map(roleResource), nextPageToken: page.next };
}

export async function findRole(client: PgClient, oid: string): Promise<RoleRow | undefined> {
  const rows = await client.query(
    "looking up a role",
    (sql) => sql<RoleRow[]>`${selectRoles(sql)} where oid = ${parseOid(oid, "role")}::oid`,
  );
  return rows[0];
}

/** A role a grant or revoke names as principal; it must still exist. */
export async function principalRole(client: PgClient, principal: ResourceId | undefined): Promise<RoleRow> {
  if (!principal || (principal.resourceType !== T.user && principal.resourceType !== T.group)) {
    throw new PostgresConnectorError(
      "config",
      `a principal must be a user or group role, got ${principal ? principal.resourceType : "none"}`,
    );
  }
  const row = await findRole(client, principal.resource);
  if (!row) throw new PostgresConnectorError("not-found", `role with OID ${principal.resource} no longer exists`);
  return row;
}

function roleProfile(row: RoleRow): Profile {
  return {
    oid: Number(row.oid),
    name: row.rolname,
    login: row.rolcanlogin,
    superuser: row.rolsuper,
    inherit: row.rolinherit,
    create_role: row.rolcreaterole,
    create_db: row.rolcreatedb,
    replication: row.rolreplication,
    bypass_rls: row.rolbypassrls,
    connection_limit: row.rolconnlimit,
    valid_until: row.validuntil,
  };
}

export function roleResource(row: RoleRow): Resource {
  const common = {
    id: row.oid,
    displayName: row.rolname,
    profile: roleProfile(row),
  };
  if (!row.rolcanlogin) return group({ ...common, description: "NOLOGIN role" });
  return user({
    ...common,
    login: row.rolname,
    status: row.expired ? "disabled" : "enabled",
    statusDetails: row.expired ? `password expired (VALID UNTIL ${row.validuntil})` : "",
    // OIDs below 16384 are created by initdb: the bootstrap superuser.
    accountType: Number(row.oid) < 16384 ? "system" : "human",
  });
}

export function memberEntitlement(role: Resource): Entitlement {
  return entitlement(role, MEMBER, {
    displayName: `${role.displayName} member`,
    description: `Member of role ${role.displayName}`,
    grantableTo: principalTypes,
  });
}

interface MemberRow {
  member: string;
  rolcanlogin: boolean;
  rolinherit: boolean;
  admin_option: boolean;
}

export async function roleMemberGrants(role: Resource, ctx: SyncCallContext<PgClient>): Promise<Page<Grant>> {
  const oid = parseOid(role.id?.resource ?? "", "role");
  const after = decodeToken(ctx.pageToken)?.after ?? "0";
  const rows = await ctx.client.query(
    "listing role members",
    (sql) => sql<MemberRow[]>`
      select m.member::text as member, r.rolcanlogin, r.rolinherit, m.admin_option
      from pg_auth_members m join pg_roles r on r.oid = m.member
      where m.roleid = ${oid}::oid and m.member > ${after}::oid
      order by m.member limit ${ctx.client.settings.pageSize + 1}`,
  );
  const page = nextToken(rows, ctx.client.settings.pageSize, (row) => row.member);
  return {
    items: page.rows.map((row) => {
      const principal = roleId(row.member, row.rolcanlogin);
      return grant(role, MEMBER, principal, {
        metadata: { admin_option: row.admin_option },
        // Holders of the member role's own `member` entitlement inherit this one, if it inherits.
        expandable: row.rolinherit
          ? { entitlementIds: [`${principal.resourceType}:${principal.resource}:${MEMBER}`] }
          : undefined,
      });
    }),
    nextPageToken: page.next,
  };
}

async function isDirectMember(client: PgClient, roleOid: string, memberOid: string): Promise<boolean> {
  const rows = await client.query(
    "checking role membership",
    (sql) => sql`select 1 from pg_auth_members where roleid = ${roleOid}::oid and member = ${memberOid}::oid`,
  );
  return rows.length > 0;
}

export async function grantMembership(
  principal: Resource,
  target: Entitlement,
  ctx: PluginContext<PgClient>,
): Promise<{ grants: Grant[]; alreadyExists: boolean }> {
  const role = await findRole(ctx.client, parseOid(target.resource?.id?.resource ?? "", "role"));
  if (!role) throw new PostgresConnectorError("not-found", `role ${target.resource?.id?.resource} no longer exists`);
  const member = await principalRole(ctx.client, principal.id);
  const owner = roleResource(role);
  const held = [grant(owner, MEMBER, roleId(member.oid, member.rolcanlogin))];
  if (await isDirectMember(ctx.client, role.oid, member.oid)) return { grants: held, alreadyExists: true };
  await ctx.client.query("granting role membership", (sql) =>
    sql.unsafe(`GRANT ${quoteIdent(role.rolname)} TO ${quoteIdent(member.rolname)}`),
  );
  return { grants: held, alreadyExists: false };
}

export async function revokeMembership(g: Grant, ctx: PluginContext<PgClient>): Promise<{ alreadyRevoked: boolean }> {
  const roleOid = parseOid(g.entitlement?.resource?.id?.resource ?? "", "role");
  const role = await findRole(ctx.client, roleOid);
  const member = await findRole(ctx.client, parseOid(g.principal?.id?.resource ?? "", "role"));
  if (!role || !member) return { alreadyRevoked: true };
  if (!(await isDirectMember(ctx.client, role.oid, member.oid))) return { alreadyRevoked: true };
  await ctx.client.query("revoking role membership", (sql) =>
    sql.unsafe(`REVOKE ${quoteIdent(role.rolname)} FROM ${quoteIdent(member.rolname)}`),
  );
  return { alreadyRevoked: false };
}
