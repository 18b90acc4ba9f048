/**
 * PostgreSQL connector: roles, role membership, databases, schemas, tables, views and
 * sequences with their privileges and owners; grants, revokes and account lifecycle.
 * Client: postgres.js (Node, Bun, Deno; Workers over cloudflare:sockets).
 */
import type { ResourceId } from "../../src/plugins/sdk.ts";
import { definePlugin } from "../../src/plugins/sdk.ts";
import { createAccount, deleteResource, rotateCredentials } from "./accounts.ts";
import { PgClient } from "./client.ts";
import { cluster } from "./cluster.ts";
import { postgresConfig, resolveConnection } from "./config.ts";
import { database } from "./databases.ts";
import { isOid, resourceTypes, T } from "./model.ts";
import { sequence, table, view } from "./relations.ts";
import {
  findRole,
  grantMembership,
  listRoles,
  memberEntitlement,
  revokeMembership,
  roleMemberGrants,
  roleResource,
} from "./roles.ts";
import { schema } from "./schemas.ts";

export { PostgresConnectorError } from "./errors.ts";
export type { PgClient };

function roleType(canLogin: boolean) {
  return {
    resourceType: canLogin ? resourceTypes.user : resourceTypes.group,
    async list(parent: unknown, ctx: { client: PgClient; pageToken: string }) {
      if (parent) return { items: [] };
      return listRoles(ctx.client, canLogin, ctx.pageToken);
    },
    async entitlements(owner: Parameters<typeof memberEntitlement>[0]) {
      return { items: [memberEntitlement(owner)] };
    },
    async get(id: ResourceId, _parent: unknown, ctx: { client: PgClient }) {
      if (!isOid(id.resource)) return undefined;
      const row = await findRole(ctx.client, id.resource);
      return row && row.rolcanlogin === canLogin ? roleResource(row) : undefined;
    },
    grants: roleMemberGrants,
    grant: grantMembership,
    revoke: revokeMembership,
  };
}

export default definePlugin({
  name: "postgres",
  displayName: "PostgreSQL",
  description: "Roles, memberships, databases, schemas, tables, views and sequences of a PostgreSQL cluster",
  version: "0.1.0",
  config: postgresConfig,
  configRelations: [{ kind: "atLeastOne", fields: ["dsn", "host"] }],
  async connect(config) {
    const client = new PgClient(resolveConnection(config));
    try {
      await client.probe();
    } catch (error) {
      await client.close();
      throw error;
    }
    return client;
  },
  close(client) {
    return client.close();
  },
  resourceTypes: [cluster, roleType(true), roleType(false), database, schema, table, view, sequence],
  async validate(ctx) {
    await ctx.client.probe();
  },
  metadata: { helpUrl: "https://www.postgresql.org/docs/15/user-manag.html" },
  createAccount,
  accountResourceType: T.user,
  rotateCredentials,
  rotateResourceTypes: [T.user],
  deleteResource,
  deleteResourceTypes: [T.user, T.group],
});
