/**
 * Okta connector: users, groups with members, standard admin roles, apps with user and
 * group assignments and devices, plus custom roles, resource sets and bindings
 * (--sync-custom-roles) and API tokens (--sync-secrets): the resource types, ids,
 * entitlements and grants baton-okta (ConductorOne/baton-okta) produces, with its config
 * names. Provisioning: group membership, app assignment, admin role assignment, resource
 * set binding members, account creation, user/group deletion and lifecycle actions.
 * Transport: fetch only (runs on Node, Bun, Deno and Workers).
 */
import { definePlugin } from "../../src/plugins/sdk.ts";
import { apps } from "./apps.ts";
import { authorizer } from "./auth.ts";
import { OktaClient } from "./client.ts";
import { oktaConfig, orgUrl } from "./config.ts";
import { groups } from "./groups.ts";
import { apiTokens, devices } from "./inventory.ts";
import { actions, createAccount, deleteResource } from "./lifecycle.ts";
import { type OktaConnection, types } from "./model.ts";
import { bindings, resourceSets } from "./resource-sets.ts";
import { customRoles, roles } from "./roles.ts";
import { users } from "./users.ts";

export { OktaApiError } from "./client.ts";
export type { OktaConnection };

export default definePlugin({
  name: "okta",
  displayName: "Okta",
  description: "The Okta connector syncs user, group, role, and app data from Okta",
  version: "0.1.0",
  config: oktaConfig,
  configRelations: [
    { kind: "atLeastOne", fields: ["apiToken", "oktaClientId"] },
    { kind: "requiredTogether", fields: ["oktaClientId", "oktaPrivateKey", "oktaPrivateKeyId"] },
  ],
  connect(config, ctx): OktaConnection {
    const base = orgUrl(config.domain);
    return {
      client: new OktaClient(base, authorizer(config, base, ctx.fetch), ctx.fetch),
      config,
      emailDomains: config.filterEmailDomains.map((d) => d.trim().toLowerCase()).filter(Boolean),
      userRoles: new Map(),
      groupRoles: new Map(),
      included: new Map(),
    };
  },
  resourceTypes: [users, groups, roles, apps, devices, customRoles, resourceSets, bindings, apiTokens],
  syncedResourceTypes(conn) {
    const ids = [types.user.id, types.group.id, types.role.id, types.app.id, types.device.id];
    if (conn.config.syncCustomRoles) ids.push(types.customRole.id, types.resourceSet.id, types.binding.id);
    if (conn.config.syncSecrets) ids.push(types.apiToken.id);
    return ids;
  },
  async validate(ctx) {
    // baton-okta's check: the org settings answer 200 with these credentials.
    await ctx.client.client.call("GET", "/api/v1/org");
  },
  metadata: { helpUrl: "https://developer.okta.com/docs/api/openapi/okta-management/guides/overview/" },
  createAccount,
  accountResourceType: types.user.id,
  deleteResource,
  deleteResourceTypes: [types.user.id, types.group.id],
  actions,
});
