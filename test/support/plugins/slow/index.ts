/**
 * A connector whose user listing takes `pages × pageDelayMs`, so a sync lasts
 * long enough for heartbeats, a cancel through a heartbeat, or a SIGTERM to
 * arrive mid-sync (the service-mode tests). The waits honour the sync's signal.
 */
import { definePlugin, resourceType, user, v } from "../../../../src/plugins/sdk.ts";

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

export default definePlugin({
  name: "slow",
  displayName: "Slow",
  config: v.object({
    pages: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 10),
    pageDelayMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 500),
  }),
  connect: (config) => config,
  resourceTypes: [
    {
      resourceType: resourceType({ displayName: "User", traits: ["user"] }),
      list: async (_parent, ctx) => {
        const page = ctx.pageToken === "" ? 0 : Number(ctx.pageToken);
        await sleep(ctx.client.pageDelayMs, ctx.signal);
        const next = page + 1;
        return {
          items: [user({ id: `u${page}`, displayName: `User ${page}`, login: `u${page}` })],
          nextPageToken: next < ctx.client.pages ? String(next) : undefined,
        };
      },
      entitlements: async () => ({ items: [] }),
      grants: async () => ({ items: [] }),
    },
  ],
});
