/**
 * go-sync-in-progress.c1z: Go stopped at the list-entitlements root (V0 token,
 * 45 actions done). A plugin built from the file's own resource types and
 * resources finishes it: listing calls are not repeated; every non-skipped
 * resource gets the plugin's entitlements and grants; the sync ends.
 */
import { readFileSync } from "node:fs";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { openC1z } from "../src/c1z/index.ts";
import { entitlement, grant } from "../src/model/builders.ts";
import type { Resource, ResourceId, ResourceType } from "../src/model/types.ts";
import type { AnyPlugin, ResourceTypeDefinition } from "../src/plugins/contract.ts";
import { runSync } from "../src/sync/index.ts";
import { cliToolsPresent, FakeClock, objectSet, queryC1z } from "./sync-helpers.ts";

if (!cliToolsPresent) console.warn("sync-go-in-progress: zstd or sqlite3 CLI missing; skipped");

const bytes = new Uint8Array(readFileSync(new URL("fixtures/go/go-sync-in-progress.c1z", import.meta.url)));

describe("resuming go-sync-in-progress.c1z", () => {
  it.skipIf(!cliToolsPresent).each(["sqljs", "native"] as const)(
    "finishes the sync against a plugin built from the file's resources (%s)",
    async (engine) => {
      // Go started the sync at 2026-03-03 09:45 local time; resume within the 7-day window.
      const clock = new FakeClock(Date.parse("2026-03-03T12:00:00"));
      const source = await openC1z(bytes, { now: clock.now, engine });
      const types: ResourceType[] = source.listResourceTypes().items;
      const resources: Resource[] = source.listResources().items;
      expect(types.map((t) => t.id).sort()).toEqual(["group", "project", "role", "scoped_role", "user"]);
      expect(resources).toHaveLength(79);

      const calls: string[] = [];
      const users = resources.filter((r) => r.id?.resourceType === "user");
      const definitions: ResourceTypeDefinition[] = types.map((type) => ({
        resourceType: type,
        async list() {
          calls.push(`list ${type.id}`);
          throw new Error("resources were listed before the pause; list must not be called again");
        },
        async entitlements(r) {
          calls.push(`entitlements ${r.id?.resource}`);
          return { items: [entitlement(r, "member")] };
        },
        async grants(r, ctx) {
          calls.push(`grants ${r.id?.resource}`);
          // Two pages: the first user on page one, the rest on page two.
          const all = users.map((u) => grant(r, "member", u.id as ResourceId));
          return ctx.pageToken === "" ? { items: all.slice(0, 1), nextPageToken: "p2" } : { items: all.slice(1) };
        },
      }));
      const plugin: AnyPlugin = {
        name: "from-file",
        displayName: "from file",
        config: v.object({}),
        connect: () => ({}),
        resourceTypes: definitions,
      };
      const store = await openC1z(bytes, { now: clock.now, engine });
      const result = await runSync({ plugin, client: {}, store, clock });
      expect(result.resumed).toBe(true);
      expect(result.syncId).toBe("3ARefY5G8eOytquwYgm41Nq07IZ");
      expect(calls.filter((call) => call.startsWith("list"))).toEqual([]);

      // The `user` type carries SkipEntitlementsAndGrants (as stored by Go), so only the 69 others.
      const others = resources.filter((r) => r.id?.resourceType !== "user");
      const out = store.toBytes();
      const objects = objectSet(out);
      expect(objects.resources.size).toBe(79);
      expect([...objects.entitlements.keys()].sort()).toEqual(
        others.map((r) => `${r.id?.resourceType}:${r.id?.resource}:member`).sort(),
      );
      expect([...objects.grants.keys()].sort()).toEqual(
        others
          .flatMap((r) => users.map((u) => `${r.id?.resourceType}:${r.id?.resource}:member:user:${u.id?.resource}`))
          .sort(),
      );
      const [run] = queryC1z(out, "select ended_at is not null, sync_token from v1_sync_runs");
      expect(run?.[0]).toBe("1");
      const token = JSON.parse(run?.[1] ?? "{}");
      expect(token.version).toBe(1);
      expect(token.action_order).toBeUndefined();
      // 45 before the pause + list-entitlements root + 69 + list-grants root + 69 + grant-expansion.
      expect(token.completed_actions_count).toBe(45 + 1 + 69 + 1 + 69 + 1);
    },
  );
});
