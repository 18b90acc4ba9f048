/**
 * Schemas, children of their database (listed over a connection to that database):
 * USAGE, CREATE and ownership. Tables, views and sequences are their children.
 */
import type { Grant, Page, Resource, ResourceTypeDefinition } from "../../src/plugins/sdk.ts";
import { resource, resourceId } from "../../src/plugins/sdk.ts";
import {
  aclRows,
  privilegeEntitlements,
  privilegeGrants,
  type Securable,
  securableProvisioning,
  unlessGone,
} from "./acl.ts";
import type { PgClient } from "./client.ts";
import { PostgresConnectorError } from "./errors.ts";
import { databaseObjectId, isDatabaseObjectId, parseDatabaseObjectId, parseOid, resourceTypes, T } from "./model.ts";
import { quoteIdent } from "./quote.ts";
import { decodeToken, nextToken } from "./token.ts";

export const SCHEMA_PRIVILEGES = ["usage", "create"] as const;

interface SchemaRow {
  oid: string;
  nspname: string;
  owner: string;
  ownercanlogin: boolean;
}

// System schemas: pg_catalog, pg_toast, temp schemas (all pg_*; users cannot create pg_* schemas) and information_schema.
const USER_SCHEMAS = "n.nspname !~ '^pg_' and n.nspname <> 'information_schema'";

function schemaResource(databaseOid: string, databaseName: string, row: SchemaRow): Resource {
  return resource({
    type: T.schema,
    id: databaseObjectId(databaseOid, row.oid),
    displayName: row.nspname,
    description: `Schema ${row.nspname} in database ${databaseName}`,
    parent: resourceId(T.database, databaseOid),
    childTypes: [T.table, T.view, T.sequence],
  });
}

async function findSchema(client: PgClient, database: string, oid: string): Promise<SchemaRow | undefined> {
  const rows = await client.query(
    "looking up a schema",
    (sql) => sql<SchemaRow[]>`
      select n.oid::text as oid, n.nspname, n.nspowner::text as owner, r.rolcanlogin as ownercanlogin
      from pg_namespace n join pg_roles r on r.oid = n.nspowner where n.oid = ${oid}::oid`,
    database,
  );
  return rows[0];
}

async function securable(client: PgClient, id: string): Promise<Securable> {
  const { databaseOid, oid } = parseDatabaseObjectId(id, "schema");
  const databaseName = await client.databaseName(databaseOid);
  const row = await findSchema(client, databaseName, oid);
  if (!row) throw new PostgresConnectorError("not-found", `schema ${id} does not exist`);
  const target = `SCHEMA ${quoteIdent(row.nspname)}`;
  return {
    kind: "schema",
    oid,
    database: databaseName,
    grantTarget: target,
    alterTarget: target,
    ownerOid: row.owner,
    ownerCanLogin: row.ownercanlogin,
    resource: schemaResource(databaseOid, databaseName, row),
    privileges: SCHEMA_PRIVILEGES,
  };
}

export const schema: ResourceTypeDefinition<PgClient> = {
  resourceType: resourceTypes.schema,
  async list(parent, ctx) {
    if (!parent || parent.resourceType !== T.database) return { items: [] };
    const databaseOid = parseOid(parent.resource, "database");
    const databaseName = await ctx.client.databaseName(databaseOid);
    const after = decodeToken(ctx.pageToken)?.after ?? "0";
    const rows = await ctx.client.query(
      `listing schemas of database ${JSON.stringify(databaseName)}`,
      (sql) => sql<SchemaRow[]>`
        select n.oid::text as oid, n.nspname, n.nspowner::text as owner, r.rolcanlogin as ownercanlogin
        from pg_namespace n join pg_roles r on r.oid = n.nspowner
        where ${sql.unsafe(USER_SCHEMAS)} and n.oid > ${after}::oid
        order by n.oid limit ${ctx.client.settings.pageSize + 1}`,
      databaseName,
    );
    const page = nextToken(rows, ctx.client.settings.pageSize, (row) => row.oid);
    return { items: page.rows.map((row) => schemaResource(databaseOid, databaseName, row)), nextPageToken: page.next };
  },
  async get(id, _parent, ctx) {
    if (!isDatabaseObjectId(id.resource)) return undefined;
    const found = await unlessGone(() => securable(ctx.client, id.resource));
    return found?.resource;
  },
  async entitlements(owner) {
    return { items: privilegeEntitlements(owner, SCHEMA_PRIVILEGES, "schema") };
  },
  async grants(owner, ctx): Promise<Page<Grant>> {
    const { databaseOid, oid } = parseDatabaseObjectId(owner.id?.resource ?? "", "schema");
    const databaseName = await ctx.client.databaseName(databaseOid);
    const row = await findSchema(ctx.client, databaseName, oid);
    if (!row) return { items: [] };
    const acl = await aclRows(ctx.client, "schema", oid, databaseName);
    return { items: privilegeGrants(owner, SCHEMA_PRIVILEGES, acl, row.owner, row.ownercanlogin) };
  },
  ...securableProvisioning(securable),
};
