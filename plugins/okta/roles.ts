/**
 * Admin roles: the ten standard Okta roles (ids are the role types), and, with
 * --sync-custom-roles, the org's custom roles (ids are the custom role ids). Each has
 * an `assigned` entitlement; user holders come from the users-with-role-assignments
 * list and each holder's own assignments, group holders from each group's assignments.
 */
import type { Grant, Resource, ResourceType, ResourceTypeDefinition } from "../../src/plugins/sdk.ts";
import { entitlement, grant, resourceId, role } from "../../src/plugins/sdk.ts";
import { enc, isNotFound, OktaApiError, query } from "./client.ts";
import {
  decodeToken,
  encodeToken,
  type OktaConnection,
  type OktaGroup,
  type OktaRoleAssignment,
  roleKey,
  types,
  v1Grant,
  v1Id,
  v1Role,
} from "./model.ts";
import { includedById } from "./users.ts";

/** Okta's standard role types and labels, in baton-okta's order. */
export const STANDARD_ROLES: [type: string, label: string][] = [
  ["API_ACCESS_MANAGEMENT_ADMIN", "API Access Management Administrator"],
  ["MOBILE_ADMIN", "Mobile Administrator"],
  ["ORG_ADMIN", "Organizational Administrator"],
  ["READ_ONLY_ADMIN", "Read-Only Administrator"],
  ["REPORT_ADMIN", "Report Administrator"],
  ["SUPER_ADMIN", "Super Administrator"],
  ["USER_ADMIN", "Group Administrator"],
  ["HELP_DESK_ADMIN", "Help Desk Administrator"],
  ["APP_ADMIN", "Application Administrator"],
  ["GROUP_MEMBERSHIP_ADMIN", "Group Membership Administrator"],
];

/** E0000090: "Duplicate role assignment exception". */
const ALREADY_ASSIGNED = "E0000090";

export function roleResource(type: ResourceType, id: string, label: string, roleType: string, roleId = ""): Resource {
  return role({
    type: type.id,
    id,
    displayName: label,
    profile: { id: roleId, label, type: roleType },
    annotations: [v1Id(v1Role(id))],
  });
}

export function standardRole(type: string): Resource | undefined {
  const found = STANDARD_ROLES.find(([t]) => t === type);
  return found ? roleResource(types.role, found[0], found[1], found[0]) : undefined;
}

function assignedEntitlement(r: Resource) {
  return entitlement(r, "assigned", {
    grantableTo: [types.user, types.group],
    displayName: `${r.displayName} Role Member`,
    description: `Has the ${r.displayName} role in Okta`,
    annotations: [v1Id(v1Role(r.id?.resource as string))],
  });
}

/** The role keys a user holds directly, read once per sync. */
async function userRoleKeys(conn: OktaConnection, userId: string): Promise<Set<string>> {
  const cached = conn.userRoles.get(userId);
  if (cached) return cached;
  const assignments = await conn.client.call<OktaRoleAssignment[]>("GET", `/api/v1/users/${enc(userId)}/roles`);
  const keys = new Set<string>();
  for (const a of assignments ?? []) {
    if (a.status === "INACTIVE" || a.assignmentType !== "USER") continue;
    if (a.type === "CUSTOM" && !conn.config.syncCustomRoles) continue;
    keys.add(roleKey(a));
  }
  conn.userRoles.set(userId, keys);
  return keys;
}

/** A group's active GROUP role assignments, read once per sync (reading them needs a super admin). */
async function groupRoleAssignments(conn: OktaConnection, groupId: string): Promise<OktaRoleAssignment[]> {
  const cached = conn.groupRoles.get(groupId);
  if (cached) return cached;
  let assignments: OktaRoleAssignment[] = [];
  try {
    assignments = (await conn.client.call<OktaRoleAssignment[]>("GET", `/api/v1/groups/${enc(groupId)}/roles`)) ?? [];
  } catch (error) {
    // baton-okta skips a group whose roles it may not read (E0000006).
    if (!(error instanceof OktaApiError && error.errorCode === "E0000006")) throw error;
  }
  const kept = assignments.filter(
    (a) =>
      a.status !== "INACTIVE" && a.assignmentType === "GROUP" && (a.type !== "CUSTOM" || conn.config.syncCustomRoles),
  );
  conn.groupRoles.set(groupId, kept);
  return kept;
}

/**
 * Grants of role `r`, a page at a time: first its user holders (the org's
 * users-with-role-assignments list, then each holder's own assignments), then the groups
 * holding it, whose grants expand to their members (none from an empty group).
 */
async function roleGrants(r: Resource, conn: OktaConnection, pageToken: string) {
  const key = r.id?.resource as string;
  const token = decodeToken(pageToken) ?? { phase: "users", next: "" };
  const items: Grant[] = [];
  if (token.phase === "users") {
    const page = await conn.client.listUnder<{ id: string }>(
      token.next || `/api/v1/iam/assignees/users${query({ limit: 1000 })}`,
      "value",
    );
    for (const holder of page.items) {
      if (!(await includedById(conn, holder.id))) continue;
      if ((await userRoleKeys(conn, holder.id)).has(key)) {
        items.push(
          grant(r, "assigned", resourceId(types.user.id, holder.id), {
            annotations: [v1Grant(v1Role(key), holder.id)],
          }),
        );
      }
    }
    return { items, nextPageToken: encodeToken(page.next ? "users" : "groups", page.next) };
  }
  const page = await conn.client.list<OktaGroup>(
    token.next || `/api/v1/groups${query({ limit: 1000, expand: "stats" })}`,
  );
  for (const g of page.items) {
    if (conn.config.skipAppGroups && g.type === "APP_GROUP") continue;
    if (!(await groupRoleAssignments(conn, g.id)).some((a) => roleKey(a) === key)) continue;
    const empty = g._embedded?.stats?.usersCount === 0;
    items.push(
      grant(r, "assigned", resourceId(types.group.id, g.id), {
        annotations: [v1Grant(v1Role(key), g.id)],
        expandable: empty ? undefined : { entitlementIds: [`group:${g.id}:member`], shallow: true },
      }),
    );
  }
  return { items, nextPageToken: page.next ? encodeToken("groups", page.next) : "" };
}

function principalPath(principal: { resourceType?: string; resource?: string } | undefined): string {
  if (principal?.resourceType === types.user.id) return `/api/v1/users/${enc(principal.resource ?? "")}/roles`;
  if (principal?.resourceType === types.group.id) return `/api/v1/groups/${enc(principal.resource ?? "")}/roles`;
  throw new Error(`okta: only users or groups can hold an admin role, not "${principal?.resourceType}"`);
}

export const roles: ResourceTypeDefinition<OktaConnection> = {
  resourceType: types.role,
  async list(parent) {
    if (parent) return { items: [] };
    return { items: STANDARD_ROLES.map(([type, label]) => roleResource(types.role, type, label, type)) };
  },
  entitlements: async (r) => ({ items: [assignedEntitlement(r)] }),
  grants: (r, ctx) => roleGrants(r, ctx.client, ctx.pageToken),
  get: async (id) => standardRole(id.resource),
  async grant(principal, ent, ctx) {
    const path = principalPath(principal.id);
    const type = ent.resource?.id?.resource as string;
    try {
      await ctx.client.client.call("POST", path, { type });
    } catch (error) {
      if (error instanceof OktaApiError && error.errorCode === ALREADY_ASSIGNED) return { alreadyExists: true };
      throw error;
    }
    return {
      grants: [
        grant(ent.resource as Resource, "assigned", principal.id!, {
          annotations: [v1Grant(v1Role(type), principal.id?.resource as string)],
        }),
      ],
    };
  },
  async revoke(g, ctx) {
    const path = principalPath(g.principal?.id);
    const type = g.entitlement?.resource?.id?.resource as string;
    const held = await ctx.client.client.call<OktaRoleAssignment[]>("GET", path);
    const assignment = (held ?? []).find((a) => a.type === type && a.status === "ACTIVE");
    if (!assignment) return { alreadyRevoked: true };
    try {
      await ctx.client.client.call("DELETE", `${path}/${enc(assignment.id)}`);
    } catch (error) {
      if (isNotFound(error)) return { alreadyRevoked: true };
      throw error;
    }
    return {};
  },
};

interface OktaCustomRole {
  id: string;
  label: string;
  description?: string;
}

export const customRoles: ResourceTypeDefinition<OktaConnection> = {
  resourceType: types.customRole,
  async list(parent, ctx) {
    if (parent) return { items: [] };
    const page = await ctx.client.client.listUnder<OktaCustomRole>(
      ctx.pageToken || `/api/v1/iam/roles${query({ limit: 1000 })}`,
      "roles",
    );
    return {
      items: page.items.map((c) => roleResource(types.customRole, c.id, c.label, "", c.id)),
      nextPageToken: page.next,
    };
  },
  entitlements: async (r) => ({ items: [assignedEntitlement(r)] }),
  grants: (r, ctx) => roleGrants(r, ctx.client, ctx.pageToken),
  async get(id, _parent, ctx) {
    try {
      const c = await ctx.client.client.call<OktaCustomRole>("GET", `/api/v1/iam/roles/${enc(id.resource)}`);
      return roleResource(types.customRole, c.id, c.label, "", c.id);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  },
};
