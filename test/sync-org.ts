/**
 * A synthetic organisation served by an in-memory plugin, for the sync tests
 * and the benchmark: users, nested groups with teams as child resources,
 * roles, and an app with a static entitlement. Pages are cut at `pageSize`
 * with offset tokens; every call goes through `hooks.beforeCall` so a test
 * can count calls or throw.
 */
import { create } from "@bufbuild/protobuf";
import * as v from "valibot";
import { packAny } from "../src/model/annotations.ts";
import { entitlement, grant, group, resource, resourceType, role, user } from "../src/model/builders.ts";
import {
  type Entitlement,
  EntitlementExclusionGroupSchema,
  type Grant,
  type Resource,
  type ResourceId,
} from "../src/model/types.ts";
import type { AnyPlugin, Page, ResourceTypeDefinition, SyncCallContext } from "../src/plugins/contract.ts";

export interface OrgHooks {
  beforeCall?(call: { op: string; type: string; resource?: string; pageToken: string }): void | Promise<void>;
}

export interface OrgOptions {
  users: number;
  groups: number;
  roles?: number;
  pageSize?: number;
  /** Group i is a member of group i+1 (deep GrantExpandable) while i % nestEvery !== nestEvery-1. */
  nestEvery?: number;
  /** Users per group (user j is in group (j + k) % groups for k < membersPerUser). */
  membersPerUser?: number;
  hooks?: OrgHooks;
}

export function pageOf<T>(items: T[], token: string, size: number): Page<T> {
  const offset = token === "" ? 0 : Number(token);
  const end = offset + size;
  return { items: items.slice(offset, end), nextPageToken: end < items.length ? String(end) : "" };
}

const pad = (n: number) => String(n).padStart(6, "0");

export function buildOrg(options: OrgOptions) {
  const pageSize = options.pageSize ?? 50;
  const nestEvery = options.nestEvery ?? 4;
  const membersPerUser = options.membersPerUser ?? 2;
  const users = Array.from({ length: options.users }, (_, i) =>
    user({ id: `u${pad(i)}`, displayName: `User ${i}`, emails: [{ address: `u${i}@example.com`, primary: true }] }),
  );
  const groups = Array.from({ length: options.groups }, (_, i) =>
    group({ id: `g${pad(i)}`, displayName: `Group ${i}`, childTypes: ["team"] }),
  );
  const teamsOf = (parent: Resource) =>
    [0, 1].map((k) =>
      resource({
        type: "team",
        id: `${parent.id?.resource}-t${k}`,
        displayName: `Team ${k} of ${parent.displayName}`,
        parent: parent.id,
      }),
    );
  const roles = Array.from({ length: options.roles ?? 3 }, (_, i) =>
    role({ id: `r${pad(i)}`, displayName: `Role ${i}` }),
  );
  const apps = [resource({ type: "app", id: "app1", displayName: "App One" })];

  const groupGrants = (g: Resource, index: number): Grant[] => {
    const out: Grant[] = [];
    for (let j = 0; j < users.length; j++) {
      for (let k = 0; k < membersPerUser; k++) {
        if ((j + k) % groups.length === index) out.push(grant(g, "member", users[j]?.id as ResourceId));
      }
    }
    const child = groups[index - 1];
    if (child && (index - 1) % nestEvery !== nestEvery - 1) {
      out.push(
        grant(g, "member", child.id as ResourceId, {
          expandable: { entitlementIds: [`group:${child.id?.resource}:member`] },
        }),
      );
    }
    return out;
  };

  const hooks = options.hooks ?? {};
  const before = async (op: string, type: string, ctx: SyncCallContext<unknown>, resourceId?: string) =>
    hooks.beforeCall?.({ op, type, resource: resourceId, pageToken: ctx.pageToken });

  const types: ResourceTypeDefinition[] = [
    {
      resourceType: resourceType({ id: "user", displayName: "User", traits: ["user"], skip: "entitlementsAndGrants" }),
      async list(parent, ctx) {
        await before("list", "user", ctx);
        return parent ? { items: [] } : pageOf(users, ctx.pageToken, pageSize);
      },
      async entitlements() {
        throw new Error("users carry SkipEntitlementsAndGrants");
      },
      async grants() {
        throw new Error("users carry SkipEntitlementsAndGrants");
      },
    },
    {
      resourceType: resourceType({ id: "group", displayName: "Group", traits: ["group"] }),
      async list(parent, ctx) {
        await before("list", "group", ctx);
        return parent ? { items: [] } : pageOf(groups, ctx.pageToken, pageSize);
      },
      async entitlements(r, ctx) {
        await before("entitlements", "group", ctx, r.id?.resource);
        return { items: [entitlement(r, "member", { grantableTo: [] })] };
      },
      async grants(r, ctx) {
        await before("grants", "group", ctx, r.id?.resource);
        const index = groups.findIndex((g) => g.id?.resource === r.id?.resource);
        return pageOf(groupGrants(r, index), ctx.pageToken, pageSize);
      },
      async get(id) {
        return groups.find((g) => g.id?.resource === id.resource);
      },
    },
    {
      resourceType: resourceType({ id: "team", displayName: "Team" }),
      async list(parent, ctx) {
        await before("list", "team", ctx, parent?.resource);
        if (!parent) return { items: [] };
        const owner = groups.find((g) => g.id?.resource === parent.resource);
        return { items: owner ? teamsOf(owner) : [] };
      },
      async entitlements(r, ctx) {
        await before("entitlements", "team", ctx, r.id?.resource);
        return { items: [] };
      },
      async grants(r, ctx) {
        await before("grants", "team", ctx, r.id?.resource);
        return { items: [] };
      },
    },
    {
      resourceType: resourceType({ id: "role", displayName: "Role", traits: ["role"] }),
      async list(parent, ctx) {
        await before("list", "role", ctx);
        return parent ? { items: [] } : pageOf(roles, ctx.pageToken, pageSize);
      },
      async entitlements(r, ctx) {
        await before("entitlements", "role", ctx, r.id?.resource);
        return { items: [entitlement(r, "assigned", { purpose: "permission" })] };
      },
      async grants(r, ctx) {
        await before("grants", "role", ctx, r.id?.resource);
        // Members of group g(i) hold role i through the group (a shallow, user-only edge).
        const i = roles.findIndex((x) => x.id?.resource === r.id?.resource);
        const g = groups[i % groups.length] as Resource;
        return {
          items: [
            grant(r, "assigned", g.id as ResourceId, {
              expandable: {
                entitlementIds: [`group:${g.id?.resource}:member`],
                shallow: true,
                resourceTypeIds: ["user"],
              },
            }),
            grant(r, "assigned", users[i % users.length]?.id as ResourceId),
          ],
        };
      },
    },
    {
      resourceType: resourceType({ id: "app", displayName: "App" }),
      async list(parent, ctx) {
        await before("list", "app", ctx);
        return parent ? { items: [] } : { items: apps };
      },
      async staticEntitlements(ctx) {
        await before("static", "app", ctx);
        const admin = templateEntitlement("admin");
        admin.annotations = [
          packAny(
            EntitlementExclusionGroupSchema,
            create(EntitlementExclusionGroupSchema, { exclusionGroupId: "tier", scopeToResource: true }),
          ),
        ];
        return { items: [templateEntitlement("use"), admin] };
      },
      async entitlements(r, ctx) {
        await before("entitlements", "app", ctx, r.id?.resource);
        return { items: [] };
      },
      async grants(r, ctx) {
        await before("grants", "app", ctx, r.id?.resource);
        return { items: [grant(r, "use", users[0]?.id as ResourceId)] };
      },
    },
  ];

  const plugin: AnyPlugin = {
    name: "synthetic",
    displayName: "Synthetic org",
    config: v.object({}),
    connect: () => ({}),
    resourceTypes: types,
  };
  return { plugin, users, groups, roles, apps, teamsOf, groupGrants };
}

/** A static-entitlement template: no resource, a slug the engine completes per resource. */
function templateEntitlement(slug: string): Entitlement {
  const template = entitlement(resource({ type: "app", id: "template", displayName: "" }), slug);
  template.resource = undefined;
  template.id = "";
  template.displayName = "";
  return template;
}
