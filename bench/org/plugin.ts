/**
 * The synthetic organisation of bench/sync.ts (issue 15's shape: users, groups nested in
 * chains of four, `grants` direct memberships spread over the groups), as a plugin that
 * holds only its users and groups: a group's grants are made when it is listed. So the
 * plugin's own memory does not grow with the grant count, which lets bench/workers.ts
 * tell whether ours does (the demo plugin keeps its whole organisation in memory).
 */
import * as v from "valibot";
import { entitlement, grant, group, resourceType, user } from "../../src/model/builders.ts";
import type { Grant, Resource, ResourceId } from "../../src/model/types.ts";
import type { AnyPlugin, Page } from "../../src/plugins/contract.ts";

export interface BenchOrgSize {
  users: number;
  groups: number;
  /** Direct user memberships, spread evenly over the groups. */
  grants: number;
  pageSize: number;
  /** Groups per nesting chain (default CHAIN); 1: no nesting, so expansion adds nothing. */
  chain?: number;
}

/** g(4k) ⊂ g(4k+1) ⊂ g(4k+2) ⊂ g(4k+3): three levels of nesting. */
export const CHAIN = 4;

const pad = (n: number) => String(n).padStart(7, "0");

export interface BenchOrg {
  plugin: AnyPlugin;
  users: Resource[];
  groups: Resource[];
  /** Group `index`'s member grants, as its grants listing pages them. */
  groupGrants(g: Resource, index: number): Grant[];
  /** Direct grants the plugin returns: user memberships plus one nested-group grant per chained group. */
  directGrants: number;
}

export function benchOrg(size: BenchOrgSize): BenchOrg {
  const users = Array.from({ length: size.users }, (_, i) => user({ id: `u${pad(i)}`, displayName: `User ${i}` }));
  const groups = Array.from({ length: size.groups }, (_, i) => group({ id: `g${pad(i)}`, displayName: `Group ${i}` }));
  const perGroup = Math.floor(size.grants / size.groups);
  const chain = size.chain ?? CHAIN;

  function page<T>(items: T[], token: string): Page<T> {
    const offset = token === "" ? 0 : Number(token);
    return {
      items: items.slice(offset, offset + size.pageSize),
      nextPageToken: offset + size.pageSize < items.length ? String(offset + size.pageSize) : "",
    };
  }

  /** Group i's members: `perGroup` users starting at a group-dependent offset, plus its nested child group. */
  function groupGrants(g: Resource, index: number): Grant[] {
    const out: Grant[] = [];
    const start = (index * 7919) % size.users;
    for (let k = 0; k < perGroup; k++) out.push(grant(g, "member", users[(start + k) % size.users]?.id as ResourceId));
    if (index % chain !== 0) {
      const child = groups[index - 1] as Resource;
      out.push(
        grant(g, "member", child.id as ResourceId, {
          expandable: { entitlementIds: [`group:${child.id?.resource}:member`] },
        }),
      );
    }
    return out;
  }

  const plugin: AnyPlugin = {
    name: "bench",
    displayName: "bench",
    config: v.object({}),
    connect: () => ({}),
    resourceTypes: [
      {
        resourceType: resourceType({
          id: "user",
          displayName: "User",
          traits: ["user"],
          skip: "entitlementsAndGrants",
        }),
        list: async (parent, ctx) => (parent ? { items: [] } : page(users, ctx.pageToken)),
        entitlements: async () => ({ items: [] }),
        grants: async () => ({ items: [] }),
      },
      {
        resourceType: resourceType({ id: "group", displayName: "Group", traits: ["group"] }),
        list: async (parent, ctx) => (parent ? { items: [] } : page(groups, ctx.pageToken)),
        entitlements: async (r) => ({ items: [entitlement(r, "member")] }),
        grants: async (r, ctx) => page(groupGrants(r, Number(r.id?.resource.slice(1))), ctx.pageToken),
      },
    ],
  };
  const directGrants = perGroup * size.groups + size.groups - Math.ceil(size.groups / chain);
  return { plugin, users, groups, groupGrants, directGrants };
}
