/**
 * The cluster: one resource whose entitlements are the role attributes that act cluster-wide.
 * Granting one is `ALTER ROLE … SUPERUSER`; revoking is `ALTER ROLE … NOSUPERUSER`.
 */
import type {
  Entitlement,
  Grant,
  Page,
  PluginContext,
  Resource,
  ResourceTypeDefinition,
  SyncCallContext,
} from "../../src/plugins/sdk.ts";
import { entitlement, grant, resource } from "../../src/plugins/sdk.ts";
import type { PgClient } from "./client.ts";
import { PostgresConnectorError } from "./errors.ts";
import { CLUSTER_ID, parseOid, principalTypes, resourceTypes, roleId, slugOf, T } from "./model.ts";
import { quoteIdent } from "./quote.ts";
import { findRole, principalRole } from "./roles.ts";
import { decodeToken, nextToken } from "./token.ts";

export const ATTRIBUTES = {
  superuser: { keyword: "SUPERUSER", column: "rolsuper" },
  createrole: { keyword: "CREATEROLE", column: "rolcreaterole" },
  createdb: { keyword: "CREATEDB", column: "rolcreatedb" },
} as const;
export type Attribute = keyof typeof ATTRIBUTES;

function isAttribute(slug: string): slug is Attribute {
  return Object.hasOwn(ATTRIBUTES, slug);
}

export function clusterResource(client: PgClient): Resource {
  const where = client.settings.socketPath ?? `${client.settings.host}:${client.settings.port}`;
  return resource({
    type: T.cluster,
    id: CLUSTER_ID,
    displayName: `PostgreSQL ${client.info?.version ?? ""} at ${where}`.replace("  ", " "),
  });
}

interface AttributeRow {
  oid: string;
  rolcanlogin: boolean;
  rolsuper: boolean;
  rolcreaterole: boolean;
  rolcreatedb: boolean;
}

export const cluster: ResourceTypeDefinition<PgClient> = {
  resourceType: resourceTypes.cluster,
  async list(parent, ctx) {
    if (parent) return { items: [] };
    return { items: [clusterResource(ctx.client)] };
  },
  async get(id, _parent, ctx) {
    return id.resource === CLUSTER_ID ? clusterResource(ctx.client) : undefined;
  },
  async entitlements(owner: Resource): Promise<Page<Entitlement>> {
    return {
      items: (Object.keys(ATTRIBUTES) as Attribute[]).map((slug) =>
        entitlement(owner, slug, {
          purpose: "permission",
          displayName: ATTRIBUTES[slug].keyword,
          description: `Role attribute ${ATTRIBUTES[slug].keyword}`,
          grantableTo: principalTypes,
        }),
      ),
    };
  },
  async grants(owner: Resource, ctx: SyncCallContext<PgClient>): Promise<Page<Grant>> {
    const after = decodeToken(ctx.pageToken)?.after ?? "0";
    const rows = await ctx.client.query(
      "listing role attributes",
      (sql) => sql<AttributeRow[]>`
        select oid::text as oid, rolcanlogin, rolsuper, rolcreaterole, rolcreatedb from pg_roles
        where (rolsuper or rolcreaterole or rolcreatedb) and oid > ${after}::oid
        order by pg_roles.oid limit ${ctx.client.settings.pageSize + 1}`,
    );
    const page = nextToken(rows, ctx.client.settings.pageSize, (row) => row.oid);
    const items: Grant[] = [];
    for (const row of page.rows) {
      for (const slug of Object.keys(ATTRIBUTES) as Attribute[]) {
        if (row[ATTRIBUTES[slug].column]) items.push(grant(owner, slug, roleId(row.oid, row.rolcanlogin)));
      }
    }
    return { items, nextPageToken: page.next };
  },
  async grant(principal, target, ctx: PluginContext<PgClient>) {
    const slug = slugOf(target);
    if (!isAttribute(slug)) throw new PostgresConnectorError("config", `unknown cluster entitlement ${slug}`);
    const role = await principalRole(ctx.client, principal.id);
    const held = [grant(clusterResource(ctx.client), slug, roleId(role.oid, role.rolcanlogin))];
    if (role[ATTRIBUTES[slug].column]) return { grants: held, alreadyExists: true };
    await ctx.client.query(`granting ${ATTRIBUTES[slug].keyword}`, (sql) =>
      sql.unsafe(`ALTER ROLE ${quoteIdent(role.rolname)} ${ATTRIBUTES[slug].keyword}`),
    );
    return { grants: held };
  },
  async revoke(g, ctx) {
    const slug = slugOf(g.entitlement);
    if (!isAttribute(slug)) throw new PostgresConnectorError("config", `unknown cluster entitlement ${slug}`);
    const role = await findRole(ctx.client, parseOid(g.principal?.id?.resource ?? "", "role"));
    if (!role?.[ATTRIBUTES[slug].column]) return { alreadyRevoked: true };
    await ctx.client.query(`revoking ${ATTRIBUTES[slug].keyword}`, (sql) =>
      sql.unsafe(`ALTER ROLE ${quoteIdent(role.rolname)} NO${ATTRIBUTES[slug].keyword}`),
    );
    return {};
  },
};
