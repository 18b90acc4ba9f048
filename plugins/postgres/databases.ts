/** Databases: CONNECT, CREATE, TEMPORARY and ownership; schemas are their children. */
import type { Grant, Page, Resource, ResourceTypeDefinition } from "../../src/plugins/sdk.ts";
import { resource } from "../../src/plugins/sdk.ts";
import { aclRows, privilegeEntitlements, privilegeGrants, type Securable, securableProvisioning } from "./acl.ts";
import type { PgClient } from "./client.ts";
import { databaseSelected } from "./config.ts";
import { PostgresConnectorError } from "./errors.ts";
import { isOid, parseOid, resourceTypes, T } from "./model.ts";
import { quoteIdent } from "./quote.ts";
import { decodeToken, nextToken } from "./token.ts";

export const DATABASE_PRIVILEGES = ["connect", "create", "temporary"] as const;

export interface DatabaseRow {
  oid: string;
  datname: string;
  owner: string;
  ownercanlogin: boolean;
  encoding: string;
}

export function databaseResource(row: DatabaseRow): Resource {
  return resource({
    type: T.database,
    id: row.oid,
    displayName: row.datname,
    description: `Database ${row.datname} (${row.encoding})`,
    childTypes: [T.schema],
  });
}

/** Databases in scope: connectable, not templates, and through the include/exclude lists. */
export async function listDatabases(client: PgClient, pageToken: string): Promise<Page<DatabaseRow>> {
  const after = decodeToken(pageToken)?.after ?? "0";
  const rows = await client.query(
    "listing databases",
    (sql) => sql<DatabaseRow[]>`
      select d.oid::text as oid, d.datname, d.datdba::text as owner, r.rolcanlogin as ownercanlogin,
             pg_encoding_to_char(d.encoding) as encoding
      from pg_database d join pg_roles r on r.oid = d.datdba
      where d.datallowconn and not d.datistemplate and d.oid > ${after}::oid
      order by d.oid limit ${client.settings.pageSize + 1}`,
  );
  const page = nextToken(rows, client.settings.pageSize, (row) => row.oid);
  const items = page.rows.filter((row) => databaseSelected(client.settings, row.datname));
  for (const row of items) client.rememberDatabase(row.oid, row.datname);
  return { items, nextPageToken: page.next };
}

async function findDatabase(client: PgClient, oid: string): Promise<DatabaseRow | undefined> {
  const rows = await client.query(
    "looking up a database",
    (sql) => sql<DatabaseRow[]>`
      select d.oid::text as oid, d.datname, d.datdba::text as owner, r.rolcanlogin as ownercanlogin,
             pg_encoding_to_char(d.encoding) as encoding
      from pg_database d join pg_roles r on r.oid = d.datdba where d.oid = ${parseOid(oid, "database")}::oid`,
  );
  return rows[0];
}

async function securable(client: PgClient, oid: string): Promise<Securable> {
  const row = await findDatabase(client, oid);
  if (!row) throw new PostgresConnectorError("not-found", `database with OID ${oid} does not exist`);
  const target = `DATABASE ${quoteIdent(row.datname)}`;
  return {
    kind: "database",
    oid: row.oid,
    database: undefined,
    grantTarget: target,
    alterTarget: target,
    ownerOid: row.owner,
    ownerCanLogin: row.ownercanlogin,
    resource: databaseResource(row),
    privileges: DATABASE_PRIVILEGES,
  };
}

export const database: ResourceTypeDefinition<PgClient> = {
  resourceType: resourceTypes.database,
  async list(parent, ctx) {
    if (parent) return { items: [] };
    const page = await listDatabases(ctx.client, ctx.pageToken);
    return { items: page.items.map(databaseResource), nextPageToken: page.nextPageToken };
  },
  async get(id, _parent, ctx) {
    if (!isOid(id.resource)) return undefined;
    const row = await findDatabase(ctx.client, id.resource);
    return row && databaseSelected(ctx.client.settings, row.datname) ? databaseResource(row) : undefined;
  },
  async entitlements(owner) {
    return { items: privilegeEntitlements(owner, DATABASE_PRIVILEGES, "database") };
  },
  async grants(owner, ctx): Promise<Page<Grant>> {
    const row = await findDatabase(ctx.client, owner.id?.resource ?? "");
    if (!row) return { items: [] };
    const acl = await aclRows(ctx.client, "database", row.oid);
    return { items: privilegeGrants(owner, DATABASE_PRIVILEGES, acl, row.owner, row.ownercanlogin) };
  },
  ...securableProvisioning(securable),
};
