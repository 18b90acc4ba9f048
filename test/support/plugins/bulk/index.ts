/**
 * A synthetic org of any size, as bench/sync.ts builds it: users, groups nested in
 * chains of `chain` (4; expansion on), `grants` direct memberships. `BULK_HANG_AT=<n>`
 * makes the grants listing of group n hang after logging "hanging", so a test can
 * kill the process mid-sync; every listing logs what it lists, so a test can tell
 * what a resumed run listed again.
 */
import { definePlugin, entitlement, grant, group, resourceType, user, v } from "../../../../src/plugins/sdk.ts";

const PAGE = 1000;
const pad = (n: number) => String(n).padStart(7, "0");

function page<T>(items: T[], token: string): { items: T[]; nextPageToken: string } {
  const offset = token === "" ? 0 : Number(token);
  return {
    items: items.slice(offset, offset + PAGE),
    nextPageToken: offset + PAGE < items.length ? String(offset + PAGE) : "",
  };
}

const number = v.pipe(v.string(), v.regex(/^\d+$/), v.transform(Number));

export default definePlugin({
  name: "bulk",
  displayName: "Bulk",
  config: v.object({
    users: v.optional(number, "1000"),
    groups: v.optional(number, "100"),
    grants: v.optional(number, "10000"),
    chain: v.optional(number, "4"),
  }),
  connect: (config) => {
    const users = Array.from({ length: config.users }, (_, i) => user({ id: `u${pad(i)}`, displayName: `User ${i}` }));
    const groups = Array.from({ length: config.groups }, (_, i) =>
      group({ id: `g${pad(i)}`, displayName: `Group ${i}` }),
    );
    const hangAt = process.env.BULK_HANG_AT === undefined ? -1 : Number(process.env.BULK_HANG_AT);
    return { users, groups, perGroup: Math.floor(config.grants / config.groups), chain: config.chain, hangAt };
  },
  resourceTypes: [
    {
      resourceType: resourceType({ id: "user", displayName: "User", traits: ["user"], skip: "entitlementsAndGrants" }),
      list: async (parent, ctx) => {
        if (parent) return { items: [] };
        ctx.log.info("listing users", { pageToken: ctx.pageToken });
        return page(ctx.client.users, ctx.pageToken);
      },
      entitlements: async () => ({ items: [] }),
      grants: async () => ({ items: [] }),
    },
    {
      resourceType: resourceType({ id: "group", displayName: "Group", traits: ["group"] }),
      list: async (parent, ctx) => {
        if (parent) return { items: [] };
        ctx.log.info("listing groups", { pageToken: ctx.pageToken });
        return page(ctx.client.groups, ctx.pageToken);
      },
      entitlements: async (g) => ({ items: [entitlement(g, "member")] }),
      grants: async (g, ctx) => {
        const { users, groups, perGroup, chain, hangAt } = ctx.client;
        const index = Number(g.id?.resource.slice(1));
        if (index === hangAt) {
          ctx.log.info("hanging", { group: index });
          await new Promise(() => {});
        }
        ctx.log.info("listing grants", { group: index, pageToken: ctx.pageToken });
        const start = (index * 7919) % users.length;
        const members = Array.from({ length: perGroup }, (_, k) =>
          grant(g, "member", users[(start + k) % users.length]),
        );
        if (index % chain !== 0) {
          const child = groups[index - 1];
          members.push(
            grant(g, "member", child, { expandable: { entitlementIds: [`group:${child.id?.resource}:member`] } }),
          );
        }
        return page(members, ctx.pageToken);
      },
    },
  ],
});
