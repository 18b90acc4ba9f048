/**
 * With --sync-custom-roles: resource sets (`bindings` entitlement, granted to the custom
 * roles bound on the set) and their role bindings (`resourceset-binding`, id
 * `<resourceSetId>:<customRoleId>`, `member` entitlement granted to the bound users and
 * groups), as baton-okta models them. Binding members can be added and removed.
 */
import type { Grant, Resource, ResourceTypeDefinition } from "../../src/plugins/sdk.ts";
import { app, entitlement, grant, resourceId } from "../../src/plugins/sdk.ts";
import { enc, isNotFound, query } from "./client.ts";
import { type OktaConnection, types, v1Grant, v1Id, v1Membership } from "./model.ts";

interface OktaResourceSet {
  id: string;
  label: string;
  description?: string;
}

interface BindingMember {
  id: string;
  _links?: { self?: { href?: string } };
}

// baton-okta builds both with the app trait (`WithAppTrait`) on types that declare no trait.
function setResource(type: string, id: string, set: OktaResourceSet): Resource {
  return app({
    type,
    id,
    displayName: set.label,
    profile: { id, label: set.label, description: set.description ?? "" },
  });
}

async function bindingRoleIds(conn: OktaConnection, setId: string): Promise<string[]> {
  const body = await conn.client.call<{ roles?: { id: string }[] }>(
    "GET",
    `/api/v1/iam/resource-sets/${enc(setId)}/bindings`,
  );
  return (body?.roles ?? []).map((r) => r.id);
}

async function bindingMembers(conn: OktaConnection, setId: string, roleId: string): Promise<BindingMember[]> {
  const body = await conn.client.call<{ members?: BindingMember[] }>(
    "GET",
    `/api/v1/iam/resource-sets/${enc(setId)}/bindings/${enc(roleId)}/members`,
  );
  return body?.members ?? [];
}

/** `…/api/v1/users/<id>` or `…/groups/<id>` from a member's self link. */
function memberPrincipal(member: BindingMember) {
  const parts = (member._links?.self?.href ?? "").split("/");
  const id = parts[parts.length - 1] ?? "";
  const kind = parts[parts.length - 2];
  if (kind === "users") return resourceId(types.user.id, id);
  if (kind === "groups") return resourceId(types.group.id, id);
  return undefined;
}

function splitBindingId(id: string): [string, string] {
  const parts = id.split(":");
  if (parts.length !== 2) throw new Error(`okta: invalid resourceset-binding id "${id}"`);
  return parts as [string, string];
}

export const resourceSets: ResourceTypeDefinition<OktaConnection> = {
  resourceType: types.resourceSet,
  async list(parent, ctx) {
    if (parent) return { items: [] };
    const page = await ctx.client.client.listUnder<OktaResourceSet>(
      ctx.pageToken || `/api/v1/iam/resource-sets${query({ limit: 1000 })}`,
      "resource-sets",
    );
    return { items: page.items.map((s) => setResource(types.resourceSet.id, s.id, s)), nextPageToken: page.next };
  },
  entitlements: async (s) => ({
    items: [
      entitlement(s, "bindings", {
        grantableTo: [types.resourceSet],
        displayName: `${s.displayName} Resource Set Binding`,
        description: `Member of ${s.displayName} resource-set in Okta`,
        annotations: [v1Id(v1Membership(s.id?.resource as string))],
      }),
    ],
  }),
  async grants(s, ctx) {
    const setId = s.id?.resource as string;
    const roleIds = await bindingRoleIds(ctx.client, setId);
    // baton-okta's v1 grant id here names the resource set twice, not the role; kept for parity.
    const v1 = v1Grant(v1Membership(setId), setId);
    return {
      items: roleIds.map((roleId) =>
        grant(s, "bindings", resourceId(types.customRole.id, roleId), { annotations: [v1] }),
      ),
    };
  },
  async get(id, _parent, ctx) {
    try {
      const s = await ctx.client.client.call<OktaResourceSet>("GET", `/api/v1/iam/resource-sets/${enc(id.resource)}`);
      return setResource(types.resourceSet.id, s.id, s);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  },
};

export const bindings: ResourceTypeDefinition<OktaConnection> = {
  resourceType: types.binding,
  async list(parent, ctx) {
    if (parent) return { items: [] };
    const conn = ctx.client;
    const page = await conn.client.listUnder<OktaResourceSet>(
      ctx.pageToken || `/api/v1/iam/resource-sets${query({ limit: 1000 })}`,
      "resource-sets",
    );
    const items: Resource[] = [];
    for (const set of page.items) {
      for (const roleId of await bindingRoleIds(conn, set.id)) {
        items.push(setResource(types.binding.id, `${set.id}:${roleId}`, set));
      }
    }
    return { items, nextPageToken: page.next };
  },
  entitlements: async (b) => ({
    items: [
      entitlement(b, "member", {
        grantableTo: [types.resourceSet],
        displayName: `${b.displayName} Resource Set Binding Member`,
        description: `Member of ${b.displayName} resource-set-binding member in Okta`,
        annotations: [v1Id(v1Membership(b.id?.resource as string))],
      }),
    ],
  }),
  async grants(b, ctx) {
    const bindingId = b.id?.resource as string;
    const [setId, roleId] = splitBindingId(bindingId);
    const items: Grant[] = [];
    // As for resource sets, baton-okta's v1 grant id names the binding twice.
    const v1 = v1Grant(v1Membership(bindingId), bindingId);
    for (const member of await bindingMembers(ctx.client, setId, roleId)) {
      const principal = memberPrincipal(member);
      if (principal) items.push(grant(b, "member", principal, { annotations: [v1] }));
    }
    return { items };
  },
  async grant(principal, ent, ctx) {
    const kind = principal.id?.resourceType === types.group.id ? "groups" : "users";
    if (principal.id?.resourceType !== types.user.id && principal.id?.resourceType !== types.group.id) {
      throw new Error("okta: only users or groups can be bound to a resource set");
    }
    const [setId, roleId] = splitBindingId(ent.resource?.id?.resource as string);
    const id = principal.id?.resource as string;
    const members = await bindingMembers(ctx.client, setId, roleId);
    if (members.some((m) => memberPrincipal(m)?.resource === id)) return { alreadyExists: true };
    await ctx.client.client.call("POST", `/api/v1/iam/resource-sets/${enc(setId)}/bindings`, {
      role: roleId,
      members: [`${ctx.client.client.baseUrl}/api/v1/${kind}/${enc(id)}`],
    });
    return { grants: [grant(ent.resource!, "member", principal.id!)] };
  },
  async revoke(g, ctx) {
    const [setId, roleId] = splitBindingId(g.entitlement?.resource?.id?.resource as string);
    const id = g.principal?.id?.resource;
    const member = (await bindingMembers(ctx.client, setId, roleId)).find((m) => memberPrincipal(m)?.resource === id);
    if (!member) return { alreadyRevoked: true };
    await ctx.client.client.call(
      "DELETE",
      `/api/v1/iam/resource-sets/${enc(setId)}/bindings/${enc(roleId)}/members/${enc(member.id)}`,
    );
    return {};
  },
};
