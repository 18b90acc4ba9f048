import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { openC1z } from "../src/c1z/index.ts";
import type { AnyPlugin } from "../src/plugins/contract.ts";
import { runSync } from "../src/sync/index.ts";
import { cliToolsPresent, FakeClock, grantFacts, queryC1z } from "./sync-helpers.ts";

if (!cliToolsPresent) console.warn("sync-go-vectors: zstd or sqlite3 CLI missing; these tests are skipped");

const VECTORS = fileURLToPath(new URL("fixtures/go", import.meta.url));
const unexpanded = new Uint8Array(readFileSync(`${VECTORS}/go-36zf-unexpanded.c1z`));
const expanded = new Uint8Array(readFileSync(`${VECTORS}/go-36zf-expanded.c1z`));

/** A plugin that fails the test if the engine calls it. */
function untouchablePlugin(typeIds: string[]): AnyPlugin {
  const refuse = async (): Promise<never> => {
    throw new Error("the plugin must not be called when resuming at grant-expansion");
  };
  return {
    name: "untouchable",
    displayName: "untouchable",
    config: v.object({}),
    connect: () => ({}),
    validate: refuse,
    resourceTypes: typeIds.map((id) => ({
      resourceType: {
        $typeName: "c1.connector.v2.ResourceType",
        id,
        displayName: id,
        traits: [],
        annotations: [],
        description: "",
        sourcedExternally: false,
      },
      list: refuse,
      entitlements: refuse,
      grants: refuse,
      staticEntitlements: refuse,
      get: refuse,
    })),
  };
}

describe("resuming Go's 36zf sync paused at grant-expansion", () => {
  it.skipIf(!cliToolsPresent)(
    "gives exactly the grants of go-36zf-expanded.c1z: ids, principals and sources",
    async () => {
      // The store's clock sits one hour after Go started the sync, inside the 7-day resume window.
      const clock = new FakeClock(Date.parse("2025-12-17T17:31:25"));
      const store = await openC1z(unexpanded, { now: clock.now });
      const result = await runSync({
        plugin: untouchablePlugin(["user", "group", "role", "project"]),
        client: {},
        store,
        clock,
        legacyGrantSources: true,
      });
      expect(result.resumed).toBe(true);
      expect(result.syncId).toBe("36zfOAoWMxQdISbixanQCRBiX7E");

      const ours = grantFacts(store.toBytes());
      const go = grantFacts(expanded);
      expect(go.size).toBe(14_981);
      expect(ours.size).toBe(14_981);
      expect([...ours.keys()].sort()).toEqual([...go.keys()].sort());
      const mismatches: string[] = [];
      let identicalBlobs = 0;
      let identicalButExpandable = 0;
      for (const [id, want] of go) {
        const got = ours.get(id);
        if (!got) continue;
        if (
          got.principal !== want.principal ||
          JSON.stringify(sorted(got.sources)) !== JSON.stringify(sorted(want.sources))
        ) {
          mismatches.push(id);
        }
        if (got.immutable !== want.immutable) mismatches.push(`${id} (GrantImmutable)`);
        if (got.data === want.data) identicalBlobs++;
        else if (got.data === want.dataWithoutExpandable) identicalButExpandable++;
      }
      expect(mismatches).toEqual([]);
      // Go-deterministic encoding: every blob, expanded grants included, is byte-identical to Go's,
      // except that the 409 grants carrying GrantExpandable hold it in the `expansion` column (Go HEAD's
      // layout, applied when the old file was opened) rather than inside `data` as the 2025 writer did.
      expect(identicalBlobs + identicalButExpandable).toBe(14_981);
      expect(identicalButExpandable).toBe(
        [...go.values()].filter((facts) => facts.data !== facts.dataWithoutExpandable).length,
      );

      const [run] = queryC1z(store.toBytes(), "select ended_at is not null, sync_token from v1_sync_runs");
      expect(run?.[0]).toBe("1");
      expect(JSON.parse(run?.[1] ?? "{}").actions_map).toBeUndefined();
    },
    120_000,
  );
});

describe("the same resume with current Go's is_direct rule (baton-sdk #679)", () => {
  it.skipIf(!cliToolsPresent)(
    "keeps Go's source keys and marks a grant's own entitlement and direct sources as direct",
    async () => {
      const clock = new FakeClock(Date.parse("2025-12-17T17:31:25"));
      const store = await openC1z(unexpanded, { now: clock.now });
      await runSync({ plugin: untouchablePlugin(["user"]), client: {}, store, clock });
      const ours = grantFacts(store.toBytes());
      const go = grantFacts(expanded);
      const keyMismatches = [...go].filter(
        ([id, want]) =>
          JSON.stringify(Object.keys(want.sources).sort()) !==
          JSON.stringify(Object.keys(ours.get(id)?.sources ?? {}).sort()),
      );
      expect(keyMismatches).toEqual([]);
      // A key equal to the grant's own entitlement is only ever added to a direct grant.
      const selfKeys = [...ours.values()].filter((facts) => facts.entitlement in facts.sources);
      expect(selfKeys.length).toBe(1199);
      expect(selfKeys.every((facts) => facts.sources[facts.entitlement] === true)).toBe(true);
      // Expanded grants from a direct source grant are direct; some chains are indirect.
      const values = [...ours.values()].flatMap((facts) => Object.values(facts.sources));
      expect(values.filter(Boolean).length).toBeGreaterThan(0);
      expect(values.filter((direct) => !direct).length).toBeGreaterThan(0);
    },
    120_000,
  );
});

function sorted(record: Record<string, boolean>): [string, boolean][] {
  return Object.entries(record).sort(([a], [b]) => a.localeCompare(b));
}
