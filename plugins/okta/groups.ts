/**
 * Okta groups: one `member` entitlement each (grantable to users) and member grants.
 * The admin roles a group holds are granted from the role side (roles.ts).
 */
import { create } from "@bufbuild/protobuf";
import type { Resource, ResourceTypeDefinition } from "../../src/plugins/sdk.ts";
import { EntitlementImmutableSchema, entitlement, grant, group, packAny, resourceId } from "../../src/plugins/sdk.ts";
import { enc, OktaApiError, query } from "./client.ts";
import {
  type OktaConnection,
  type OktaGroup,
  type OktaUser,
  oktaIds,
  types,
  v1Grant,
  v1Id,
  v1Membership,
} from "./model.ts";
import { include } from "./users.ts";

const SOURCE_TYPES: Record<string, string> = { BUILT_IN: "built_in", APP_GROUP: "app_imported", OKTA_GROUP: "native" };

export function groupResource(g: OktaGroup): Resource {
  const profile: Record<string, string | number | null> = {
    description: g.profile.description ?? "",
    name: g.profile.name,
    type: g.type,
  };
  const stats = g._embedded?.stats;
  if (typeof stats?.usersCount === "number") profile.users_count = stats.usersCount;
  if (typeof stats?.appsCount === "number") profile.apps_count = stats.appsCount;
  return group({
    type: types.group.id,
    id: g.id,
    displayName: g.profile.name,
    profile,
    sourceType: SOURCE_TYPES[g.type] ?? "",
    annotations: [
      ...oktaIds(g.id),
      ...(g.type === "BUILT_IN" ? [packAny(EntitlementImmutableSchema, create(EntitlementImmutableSchema))] : []),
    ],
  });
}

function usersCount(resource: Resource): number | undefined {
  const value = (resource.profile as Record<string, unknown> | undefined)?.users_count;
  return typeof value === "number" ? value : undefined;
}

export function memberEntitlement(g: Resource) {
  return entitlement(g, "member", {
    grantableTo: [types.user],
    displayName: `${g.displayName} Group Member`,
    description: `Member of ${g.displayName} group in Okta`,
    annotations: [v1Id(v1Membership(g.id?.resource as string))],
  });
}

/** Is the user a member? Okta has no direct membership read, so page the user's groups. */
async function isMember(conn: OktaConnection, groupId: string, userId: string): Promise<boolean> {
  let next = `/api/v1/users/${enc(userId)}/groups${query({ limit: 200 })}`;
  while (next) {
    const page = await conn.client.list<OktaGroup>(next);
    if (page.items.some((g) => g.id === groupId)) return true;
    next = page.next;
  }
  return false;
}

function onlyUsers(principalType: string | undefined, what: string): void {
  if (principalType !== types.user.id) throw new Error(`okta: only users can ${what} group membership`);
}

export const groups: ResourceTypeDefinition<OktaConnection> = {
  resourceType: types.group,
  async list(parent, ctx) {
    if (parent) return { items: [] };
    const conn = ctx.client;
    const page = await conn.client.list<OktaGroup>(
      ctx.pageToken || `/api/v1/groups${query({ limit: 1000, expand: "stats" })}`,
    );
    return {
      items: page.items.filter((g) => !(conn.config.skipAppGroups && g.type === "APP_GROUP")).map(groupResource),
      nextPageToken: page.next,
    };
  },
  entitlements: async (g) => ({ items: [memberEntitlement(g)] }),
  async grants(g, ctx) {
    const conn = ctx.client;
    const groupId = g.id?.resource as string;
    // Okta's usersCount (expand=stats) spares the call for an empty group.
    if (usersCount(g) === 0) return { items: [] };
    const page = await conn.client.list<OktaUser>(
      ctx.pageToken || `/api/v1/groups/${enc(groupId)}/users${query({ limit: 1000 })}`,
    );
    return {
      items: page.items
        .filter((u) => include(conn, u))
        .map((u) =>
          grant(g, "member", resourceId(types.user.id, u.id), {
            annotations: [v1Grant(v1Membership(groupId), u.id)],
          }),
        ),
      nextPageToken: page.next,
    };
  },
  async get(id, _parent, ctx) {
    try {
      const g = await ctx.client.client.call<OktaGroup>("GET", `/api/v1/groups/${enc(id.resource)}?expand=stats,app`);
      return groupResource(g);
    } catch (error) {
      if (error instanceof OktaApiError && error.status === 404) return undefined;
      throw error;
    }
  },
  async grant(principal, ent, ctx) {
    onlyUsers(principal.id?.resourceType, "be granted");
    const groupId = ent.resource?.id?.resource as string;
    const userId = principal.id?.resource as string;
    if (await isMember(ctx.client, groupId, userId)) return { alreadyExists: true };
    await ctx.client.client.call("PUT", `/api/v1/groups/${enc(groupId)}/users/${enc(userId)}`);
    return {
      grants: [
        grant(ent.resource as Resource, "member", resourceId(types.user.id, userId), {
          annotations: [v1Grant(v1Membership(groupId), userId)],
        }),
      ],
    };
  },
  async revoke(g, ctx) {
    onlyUsers(g.principal?.id?.resourceType, "have revoked");
    const groupId = g.entitlement?.resource?.id?.resource as string;
    const userId = g.principal?.id?.resource as string;
    if (!(await isMember(ctx.client, groupId, userId))) return { alreadyRevoked: true };
    await ctx.client.client.call("DELETE", `/api/v1/groups/${enc(groupId)}/users/${enc(userId)}`);
    return {};
  },
};
