/**
 * Privileges from ACLs, for databases, schemas and relations alike.
 *
 * `aclexplode(coalesce(acl, acldefault(kind, owner)))` gives one row per (grantee,
 * privilege, grantor): a NULL ACL means the built-in defaults, which include the owner's
 * own privileges. Grants to PUBLIC (grantee 0) have no role to point at and are left out.
 * Provisioning checks the same rows first, so a grant already held answers alreadyExists
 * and a revoke with nothing to revoke answers alreadyRevoked.
 */
import type {
  Entitlement,
  Grant,
  GrantOutcome,
  PluginContext,
  Resource,
  ResourceTypeDefinition,
  RevokeOutcome,
} from "../../src/plugins/sdk.ts";
import { entitlement, grant } from "../../src/plugins/sdk.ts";
import type { PgClient, Sql } from "./client.ts";
import { PostgresConnectorError } from "./errors.ts";
import { parseOid, principalTypes, roleId, slugOf } from "./model.ts";
import { quoteIdent } from "./quote.ts";
import { findRole, principalRole, type RoleRow } from "./roles.ts";

export const OWNER = "owner";

export type CatalogKind = "database" | "schema" | "relation";

export interface AclRow {
  grantee: string;
  canlogin: boolean;
  privilege: string;
  grantable: boolean;
}

function aclQuery(sql: Sql, kind: CatalogKind, oid: string) {
  switch (kind) {
    case "database":
      return sql<AclRow[]>`
        select (a).grantee::text as grantee, r.rolcanlogin as canlogin, (a).privilege_type as privilege,
               (a).is_grantable as grantable
        from (select aclexplode(coalesce(datacl, acldefault('d', datdba))) as a from pg_database where oid = ${oid}::oid) x
        join pg_roles r on r.oid = (a).grantee`;
    case "schema":
      return sql<AclRow[]>`
        select (a).grantee::text as grantee, r.rolcanlogin as canlogin, (a).privilege_type as privilege,
               (a).is_grantable as grantable
        from (select aclexplode(coalesce(nspacl, acldefault('n', nspowner))) as a from pg_namespace where oid = ${oid}::oid) x
        join pg_roles r on r.oid = (a).grantee`;
    case "relation":
      return sql<AclRow[]>`
        select (a).grantee::text as grantee, r.rolcanlogin as canlogin, (a).privilege_type as privilege,
               (a).is_grantable as grantable
        from (select aclexplode(coalesce(relacl, acldefault(case when relkind = 'S' then 's'::"char" else 'r'::"char" end, relowner))) as a
              from pg_class where oid = ${oid}::oid) x
        join pg_roles r on r.oid = (a).grantee`;
  }
}

/** A database object we can grant on, resolved to its current names. */
export interface Securable {
  kind: CatalogKind;
  oid: string;
  /** The database whose catalog holds it; undefined for shared catalogs (databases). */
  database: string | undefined;
  /** `DATABASE "d"`, `SCHEMA "s"`, `TABLE "s"."t"`, `SEQUENCE "s"."q"` for GRANT/REVOKE … ON. */
  grantTarget: string;
  /** `DATABASE "d"`, `VIEW "s"."v"`, … for ALTER … OWNER TO. */
  alterTarget: string;
  ownerOid: string;
  ownerCanLogin: boolean;
  resource: Resource;
  /** Privilege slugs this kind of object has, lower-case. */
  privileges: readonly string[];
}

export async function aclRows(client: PgClient, kind: CatalogKind, oid: string, database?: string): Promise<AclRow[]> {
  return client.query("reading privileges", (sql) => aclQuery(sql, kind, oid), database);
}

export function privilegeEntitlements(owner: Resource, privileges: readonly string[], what: string): Entitlement[] {
  return [
    ...privileges.map((slug) =>
      entitlement(owner, slug, {
        purpose: "permission",
        displayName: `${slug.toUpperCase()} on ${owner.displayName}`,
        description: `${slug.toUpperCase()} privilege on ${what} ${owner.displayName}`,
        grantableTo: principalTypes,
      }),
    ),
    entitlement(owner, OWNER, {
      purpose: "ownership",
      displayName: `Owner of ${owner.displayName}`,
      description: `Owns ${what} ${owner.displayName}`,
      grantableTo: principalTypes,
    }),
  ];
}

/** Direct privilege grants (deduplicated over grantors) plus the owner grant. */
export function privilegeGrants(
  owner: Resource,
  privileges: readonly string[],
  rows: readonly AclRow[],
  ownerOid: string,
  ownerCanLogin: boolean,
): Grant[] {
  const seen = new Map<string, Grant>();
  for (const row of rows) {
    const slug = row.privilege.toLowerCase();
    if (!privileges.includes(slug)) continue;
    const key = `${slug}\0${row.grantee}`;
    const existing = seen.get(key);
    if (existing && !row.grantable) continue;
    seen.set(
      key,
      grant(owner, slug, roleId(row.grantee, row.canlogin), row.grantable ? { metadata: { grantable: true } } : {}),
    );
  }
  return [...seen.values(), grant(owner, OWNER, roleId(ownerOid, ownerCanLogin))];
}

async function holds(client: PgClient, target: Securable, roleOid: string, slug: string): Promise<boolean> {
  const rows = await aclRows(client, target.kind, target.oid, target.database);
  return rows.some((row) => row.grantee === roleOid && row.privilege.toLowerCase() === slug);
}

function checkSlug(target: Securable, slug: string): void {
  if (slug !== OWNER && !target.privileges.includes(slug)) {
    throw new PostgresConnectorError("config", `${target.kind} has no entitlement ${JSON.stringify(slug)}`);
  }
}

export async function grantOnSecurable(
  target: Securable,
  slug: string,
  principal: Resource,
  ctx: PluginContext<PgClient>,
): Promise<GrantOutcome> {
  checkSlug(target, slug);
  const role: RoleRow = await principalRole(ctx.client, principal.id);
  const held = [grant(target.resource, slug, roleId(role.oid, role.rolcanlogin))];
  if (slug === OWNER) {
    if (target.ownerOid === role.oid) return { grants: held, alreadyExists: true };
    await ctx.client.query(
      "changing the owner",
      (sql) => sql.unsafe(`ALTER ${target.alterTarget} OWNER TO ${quoteIdent(role.rolname)}`),
      target.database,
    );
    return { grants: held };
  }
  if (await holds(ctx.client, target, role.oid, slug)) return { grants: held, alreadyExists: true };
  // The keyword comes from our fixed list (checkSlug), never from input text.
  await ctx.client.query(
    `granting ${slug.toUpperCase()}`,
    (sql) => sql.unsafe(`GRANT ${slug.toUpperCase()} ON ${target.grantTarget} TO ${quoteIdent(role.rolname)}`),
    target.database,
  );
  return { grants: held };
}

export async function revokeOnSecurable(
  target: Securable,
  slug: string,
  principalOid: string,
  ctx: PluginContext<PgClient>,
): Promise<RevokeOutcome> {
  checkSlug(target, slug);
  if (slug === OWNER) {
    if (target.ownerOid !== principalOid) return { alreadyRevoked: true };
    throw new PostgresConnectorError(
      "refused",
      `ownership of ${target.alterTarget} cannot be revoked; grant the owner entitlement to another role instead`,
    );
  }
  const role = await findRole(ctx.client, principalOid);
  if (!role || !(await holds(ctx.client, target, role.oid, slug))) return { alreadyRevoked: true };
  await ctx.client.query(
    `revoking ${slug.toUpperCase()}`,
    (sql) => sql.unsafe(`REVOKE ${slug.toUpperCase()} ON ${target.grantTarget} FROM ${quoteIdent(role.rolname)}`),
    target.database,
  );
  if (await holds(ctx.client, target, role.oid, slug)) {
    throw new PostgresConnectorError(
      "refused",
      `${slug.toUpperCase()} on ${target.grantTarget} is still held by ${JSON.stringify(role.rolname)}: it was granted by another role than the connector's`,
    );
  }
  return {};
}

/**
 * `grant` and `revoke` for a resource type whose entitlements are privileges (and ownership) of one
 * securable object, found from the entitlement's resource id.
 */
export function securableProvisioning(
  find: (client: PgClient, resourceId: string) => Promise<Securable>,
): Required<Pick<ResourceTypeDefinition<PgClient>, "grant" | "revoke">> {
  return {
    async grant(principal, target, ctx) {
      const on = await find(ctx.client, target.resource?.id?.resource ?? "");
      return grantOnSecurable(on, slugOf(target), principal, ctx);
    },
    async revoke(g, ctx) {
      const on = await unlessGone(() => find(ctx.client, g.entitlement?.resource?.id?.resource ?? ""));
      if (!on) return { alreadyRevoked: true };
      return revokeOnSecurable(on, slugOf(g.entitlement), parseOid(g.principal?.id?.resource ?? "", "role"), ctx);
    },
  };
}

/** For revokes: an object that no longer exists holds no grants. */
export async function unlessGone(find: () => Promise<Securable>): Promise<Securable | undefined> {
  try {
    return await find();
  } catch (error) {
    if (error instanceof PostgresConnectorError && error.kind === "not-found") return undefined;
    throw error;
  }
}
