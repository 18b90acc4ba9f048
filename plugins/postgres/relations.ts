/**
 * Tables, views and sequences: children of their schema, with the privileges PostgreSQL
 * defines for each and ownership. One definition per resource type, sharing the queries.
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
import { databaseObjectId, isDatabaseObjectId, parseDatabaseObjectId, resourceTypes, T } from "./model.ts";
import { quoteQualified } from "./quote.ts";
import { decodeToken, nextToken } from "./token.ts";

export const TABLE_PRIVILEGES = ["select", "insert", "update", "delete", "truncate", "references", "trigger"] as const;
export const SEQUENCE_PRIVILEGES = ["usage", "select", "update"] as const;

type RelationType = typeof T.table | typeof T.view | typeof T.sequence;

interface Kind {
  type: RelationType;
  relkinds: string[];
  privileges: readonly string[];
  noun: string;
}

export const KINDS: Record<RelationType, Kind> = {
  table: { type: T.table, relkinds: ["r", "p", "f"], privileges: TABLE_PRIVILEGES, noun: "table" },
  view: { type: T.view, relkinds: ["v", "m"], privileges: TABLE_PRIVILEGES, noun: "view" },
  sequence: { type: T.sequence, relkinds: ["S"], privileges: SEQUENCE_PRIVILEGES, noun: "sequence" },
};

/** ALTER … OWNER TO needs the statement matching the relkind. */
const ALTER_KEYWORD: Record<string, string> = {
  r: "TABLE",
  p: "TABLE",
  f: "FOREIGN TABLE",
  v: "VIEW",
  m: "MATERIALIZED VIEW",
  S: "SEQUENCE",
};

interface RelationRow {
  oid: string;
  relname: string;
  relkind: string;
  nspname: string;
  nspoid: string;
  owner: string;
  ownercanlogin: boolean;
}

function relationResource(kind: Kind, databaseOid: string, row: RelationRow): Resource {
  return resource({
    type: kind.type,
    id: databaseObjectId(databaseOid, row.oid),
    displayName: row.relname,
    description: `${kind.noun} ${row.nspname}.${row.relname}`,
    parent: resourceId(T.schema, databaseObjectId(databaseOid, row.nspoid)),
  });
}

async function findRelation(client: PgClient, database: string, oid: string): Promise<RelationRow | undefined> {
  const rows = await client.query(
    "looking up a relation",
    (sql) => sql<RelationRow[]>`
      select c.oid::text as oid, c.relname, c.relkind::text as relkind, n.nspname, n.oid::text as nspoid,
             c.relowner::text as owner, r.rolcanlogin as ownercanlogin
      from pg_class c join pg_namespace n on n.oid = c.relnamespace join pg_roles r on r.oid = c.relowner
      where c.oid = ${oid}::oid`,
    database,
  );
  return rows[0];
}

async function securable(client: PgClient, kind: Kind, id: string): Promise<Securable> {
  const { databaseOid, oid } = parseDatabaseObjectId(id, kind.noun);
  const databaseName = await client.databaseName(databaseOid);
  const row = await findRelation(client, databaseName, oid);
  if (!row || !kind.relkinds.includes(row.relkind)) {
    throw new PostgresConnectorError("not-found", `${kind.noun} ${id} does not exist`);
  }
  const name = quoteQualified(row.nspname, row.relname);
  return {
    kind: "relation",
    oid,
    database: databaseName,
    // GRANT … ON TABLE covers tables, views and foreign tables; sequences have their own form.
    grantTarget: `${row.relkind === "S" ? "SEQUENCE" : "TABLE"} ${name}`,
    alterTarget: `${ALTER_KEYWORD[row.relkind] ?? "TABLE"} ${name}`,
    ownerOid: row.owner,
    ownerCanLogin: row.ownercanlogin,
    resource: relationResource(kind, databaseOid, row),
    privileges: kind.privileges,
  };
}

function relationType(kind: Kind): ResourceTypeDefinition<PgClient> {
  return {
    resourceType: resourceTypes[kind.type],
    async list(parent, ctx) {
      if (!parent || parent.resourceType !== T.schema) return { items: [] };
      const { databaseOid, oid: schemaOid } = parseDatabaseObjectId(parent.resource, "schema");
      const databaseName = await ctx.client.databaseName(databaseOid);
      const after = decodeToken(ctx.pageToken)?.after ?? "0";
      const rows = await ctx.client.query(
        `listing ${kind.noun}s`,
        (sql) => sql<RelationRow[]>`
          select c.oid::text as oid, c.relname, c.relkind::text as relkind, n.nspname, n.oid::text as nspoid,
                 c.relowner::text as owner, r.rolcanlogin as ownercanlogin
          from pg_class c join pg_namespace n on n.oid = c.relnamespace join pg_roles r on r.oid = c.relowner
          where c.relnamespace = ${schemaOid}::oid and c.relkind::text = any(${kind.relkinds})
            and c.oid > ${after}::oid
          order by c.oid limit ${ctx.client.settings.pageSize + 1}`,
        databaseName,
      );
      const page = nextToken(rows, ctx.client.settings.pageSize, (row) => row.oid);
      return { items: page.rows.map((row) => relationResource(kind, databaseOid, row)), nextPageToken: page.next };
    },
    async get(id, _parent, ctx) {
      if (!isDatabaseObjectId(id.resource)) return undefined;
      const found = await unlessGone(() => securable(ctx.client, kind, id.resource));
      return found?.resource;
    },
    async entitlements(owner) {
      return { items: privilegeEntitlements(owner, kind.privileges, kind.noun) };
    },
    async grants(owner, ctx): Promise<Page<Grant>> {
      const { databaseOid, oid } = parseDatabaseObjectId(owner.id?.resource ?? "", kind.noun);
      const databaseName = await ctx.client.databaseName(databaseOid);
      const row = await findRelation(ctx.client, databaseName, oid);
      if (!row) return { items: [] };
      const acl = await aclRows(ctx.client, "relation", oid, databaseName);
      return { items: privilegeGrants(owner, kind.privileges, acl, row.owner, row.ownercanlogin) };
    },
    ...securableProvisioning((client, resourceId) => securable(client, kind, resourceId)),
  };
}

export const table = relationType(KINDS.table);
export const view = relationType(KINDS.view);
export const sequence = relationType(KINDS.sequence);
