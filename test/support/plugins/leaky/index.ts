/**
 * A connector whose errors echo its secret config, as a careless one does
 * (a connection error carrying the DSN, a 404 quoting the token). Its groups'
 * entitlements are "not found" (a warning), then its users' grants fail the sync.
 * Loaded by the CLI from this directory, and imported by in-process tests.
 */
import { definePlugin, group, resourceType, user, v } from "../../../../src/plugins/sdk.ts";
import { NotFoundError } from "../../../../src/upstream/errors.ts";

/** In-process tests may hold the first listing until they have subscribed to the sync's events. */
export const hold: { until: Promise<void> } = { until: Promise.resolve() };

export default definePlugin({
  name: "leaky",
  displayName: "Leaky",
  config: v.object({
    apiToken: v.pipe(v.string(), v.minLength(8), v.metadata({ secret: true, description: "API token" })),
  }),
  connect: (config) => ({ token: config.apiToken }),
  resourceTypes: [
    {
      resourceType: resourceType({ displayName: "User", traits: ["user"] }),
      list: async (_parent, ctx) => {
        await hold.until;
        ctx.log.info(`listing users with token ${ctx.client.token}`, { token: ctx.client.token, pageToken: "page-2" });
        return { items: [user({ id: "u1", displayName: "U1", login: "u1" })] };
      },
      entitlements: async () => ({ items: [] }),
      grants: async (_user, ctx) => {
        throw new Error(`connection refused: postgres://app:${ctx.client.token}@db.internal:5432/app`);
      },
    },
    {
      resourceType: resourceType({ displayName: "Group", traits: ["group"] }),
      list: async () => ({ items: [group({ id: "g1", displayName: "G1" })] }),
      entitlements: async (_group, ctx) => {
        throw new NotFoundError(`group g1 is gone (asked with token ${ctx.client.token})`);
      },
      grants: async () => ({ items: [] }),
    },
  ],
});
