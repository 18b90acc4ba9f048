/**
 * Resource types and the ids we give PostgreSQL objects.
 *
 * Ids are OIDs, not names: names may hold any character (quotes, dots, colons, `;`),
 * and Baton joins ids with `:`. Roles and databases are cluster-wide OIDs; schemas and
 * relations are only unique inside their database, so their id is `<database OID>.<OID>`.
 */
import type { ResourceId } from "../../src/plugins/sdk.ts";
import { resourceId, resourceType } from "../../src/plugins/sdk.ts";
import { PostgresConnectorError } from "./errors.ts";

export const T = {
  cluster: "cluster",
  user: "user",
  group: "group",
  database: "database",
  schema: "schema",
  table: "table",
  view: "view",
  sequence: "sequence",
} as const;

export const resourceTypes = {
  cluster: resourceType({
    id: T.cluster,
    displayName: "Cluster",
    description: "The PostgreSQL server; holds the SUPERUSER, CREATEROLE and CREATEDB role attributes",
  }),
  user: resourceType({ id: T.user, displayName: "User", traits: ["user"], description: "A LOGIN role" }),
  group: resourceType({ id: T.group, displayName: "Group", traits: ["group"], description: "A NOLOGIN role" }),
  database: resourceType({ id: T.database, displayName: "Database" }),
  schema: resourceType({ id: T.schema, displayName: "Schema" }),
  table: resourceType({ id: T.table, displayName: "Table", description: "Tables, partitioned and foreign tables" }),
  view: resourceType({ id: T.view, displayName: "View", description: "Views and materialized views" }),
  sequence: resourceType({ id: T.sequence, displayName: "Sequence" }),
};

/** Roles can be granted to both kinds of role. */
export const principalTypes = [resourceTypes.user, resourceTypes.group];

export const CLUSTER_ID = "cluster";

export function roleTypeId(canLogin: boolean): string {
  return canLogin ? T.user : T.group;
}

export function roleId(oid: string, canLogin: boolean): ResourceId {
  return resourceId(roleTypeId(canLogin), oid);
}

export function databaseObjectId(databaseOid: string, oid: string): string {
  return `${databaseOid}.${oid}`;
}

const OID = /^\d{1,10}$/;

export function parseOid(id: string, what: string): string {
  if (!OID.test(id)) throw new PostgresConnectorError("config", `${what} id ${JSON.stringify(id)} is not an OID`);
  return id;
}

/** `<database OID>.<OID>` → both parts. */
export function parseDatabaseObjectId(id: string, what: string): { databaseOid: string; oid: string } {
  const [databaseOid, oid, extra] = id.split(".");
  if (
    extra !== undefined ||
    databaseOid === undefined ||
    oid === undefined ||
    !OID.test(databaseOid) ||
    !OID.test(oid)
  ) {
    throw new PostgresConnectorError("config", `${what} id ${JSON.stringify(id)} is not <database OID>.<OID>`);
  }
  return { databaseOid, oid };
}

/** An entitlement's slug; stubs embedded in grants carry only the id. */
export function slugOf(entitlement: { id: string; slug?: string } | undefined): string {
  if (!entitlement) return "";
  return entitlement.slug || entitlement.id.slice(entitlement.id.lastIndexOf(":") + 1);
}

/** Targeted gets answer "not found" for ids that cannot be ours. */
export function isOid(id: string): boolean {
  return OID.test(id);
}

export function isDatabaseObjectId(id: string): boolean {
  const parts = id.split(".");
  return parts.length === 2 && parts.every((part) => OID.test(part));
}
