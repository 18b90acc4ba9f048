/**
 * A cron run (src/jobs/cron.ts) as its own process, for kill tests: the `pager` plugin
 * serves three pages of users and hangs inside the second while `BATON_GATE_FILE`
 * exists. Each page asked for, and the run's outcomes, are printed as JSON lines.
 * Settings come from the environment (`BATON_CONNECTORS`, `BATON_WORK_DIR`, AWS_*, and
 * `BATON_CHECKPOINT_LOCATION` as the Node cron entry point reads it).
 */
import { existsSync } from "node:fs";
import { runScheduledSyncs } from "../../src/jobs/cron.ts";
import { locationCheckpoints } from "../../src/jobs/location-checkpoints.ts";
import { definePlugin, entitlement, grant, group, resourceId, resourceType, user, v } from "../../src/plugins/sdk.ts";

export const PAGES: Record<string, { users: string[]; next: string }> = {
  "": { users: ["u1", "u2"], next: "p2" },
  p2: { users: ["u3", "u4"], next: "p3" },
  p3: { users: ["u5", "u6"], next: "" },
};
export const MEMBERS: Record<string, string[]> = { g1: ["u1", "u3", "u5"], g2: ["u2", "u6"] };

const say = (line: Record<string, unknown>) => console.log(JSON.stringify(line));

export const pager = definePlugin({
  name: "pager",
  displayName: "Pager",
  config: v.object({}),
  connect: () => ({}),
  resourceTypes: [
    {
      resourceType: resourceType({ displayName: "User", traits: ["user"], skip: "entitlementsAndGrants" }),
      list: async (_parent, ctx) => {
        say({ msg: "pager page", token: ctx.pageToken });
        const gate = process.env.BATON_GATE_FILE;
        if (ctx.pageToken === "p2" && gate && existsSync(gate)) {
          say({ msg: "pager hanging" });
          await new Promise(() => {});
        }
        const page = PAGES[ctx.pageToken];
        if (!page) throw new Error(`unknown page token ${ctx.pageToken}`);
        return { items: page.users.map((id) => user({ id, displayName: id })), nextPageToken: page.next };
      },
      entitlements: async () => ({ items: [] }),
      grants: async () => ({ items: [] }),
    },
    {
      resourceType: resourceType({ displayName: "Group", traits: ["group"] }),
      list: async () => ({ items: Object.keys(MEMBERS).map((id) => group({ id, displayName: id })) }),
      entitlements: async (owner) => ({ items: [entitlement(owner, "member", { displayName: "Member" })] }),
      grants: async (owner) => ({
        items: (MEMBERS[owner.id?.resource ?? ""] ?? []).map((id) => grant(owner, "member", resourceId("user", id))),
      }),
    },
  ],
});

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const template = process.env.BATON_CHECKPOINT_LOCATION;
  const checkpoints = template ? locationCheckpoints(template, { env: process.env }) : undefined;
  const outcomes = await runScheduledSyncs({ env: process.env, plugin: async () => pager, log: quiet, checkpoints });
  say({ msg: "outcomes", outcomes });
}
