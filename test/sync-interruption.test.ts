/**
 * Interruption property: a sync stopped at random points and resumed from what
 * survived gives the same final objects as an uninterrupted sync. Three ways to
 * stop: the plugin throws and the engine's memory is dropped (the store lives
 * on); the process dies and the file written at the last checkpoint is
 * reopened; the process dies and the store's bytes at that moment are reopened.
 */
import { describe, expect, it } from "vitest";
import { type C1zWriter, createC1z, openC1z } from "../src/c1z/index.ts";
import { runSync } from "../src/sync/index.ts";
import { cliToolsPresent, FakeClock, objectSet, seededRandom, sortedEntries } from "./sync-helpers.ts";
import { buildOrg, type OrgHooks } from "./sync-org.ts";

if (!cliToolsPresent) console.warn("sync-interruption: zstd or sqlite3 CLI missing; skipped");

class Abort extends Error {}

const ORG = { users: 23, groups: 9, roles: 4, pageSize: 5, nestEvery: 3 };

async function uninterrupted(): Promise<Uint8Array> {
  const clock = new FakeClock();
  const store = await createC1z({ now: clock.now });
  await runSync({ plugin: buildOrg(ORG).plugin, client: {}, store, clock });
  return store.toBytes();
}

async function interrupted(seed: number, totalCalls: number): Promise<{ bytes: Uint8Array; aborts: number }> {
  const random = seededRandom(seed);
  const clock = new FakeClock();
  let store: C1zWriter = await createC1z({ now: clock.now });
  let checkpointBytes: Uint8Array | undefined;
  let aborts = 0;
  for (let attempt = 0; attempt < 50; attempt++) {
    // Abort somewhere in the first run's calls; later runs get further or finish.
    const abortAt = attempt < 4 ? Math.floor(random() * totalCalls) + 1 : Number.POSITIVE_INFINITY;
    let calls = 0;
    const hooks: OrgHooks = {
      beforeCall() {
        clock.time += 700;
        if (++calls === abortAt) throw new Abort(`abort at call ${calls}`);
      },
    };
    try {
      await runSync({
        plugin: buildOrg({ ...ORG, hooks }).plugin,
        client: {},
        store,
        clock,
        checkpointIntervalMs: random() < 0.5 ? 0 : 3000,
        workers: random() < 0.5 ? 1 : 3,
        onCheckpoint: () => {
          checkpointBytes = store.toBytes();
        },
      });
      return { bytes: store.toBytes(), aborts };
    } catch (error) {
      if (!(error instanceof Abort) && !(error instanceof Error && error.cause instanceof Abort)) throw error;
      aborts++;
      const mode = random();
      if (mode < 1 / 3) {
        // The store survives; only the engine's memory is gone.
      } else if (mode < 2 / 3) {
        store = checkpointBytes
          ? await openC1z(checkpointBytes, { now: clock.now })
          : await createC1z({ now: clock.now });
      } else {
        store = await openC1z(store.toBytes(), { now: clock.now });
      }
    }
  }
  throw new Error("the sync never finished");
}

describe("interruption property", () => {
  it.skipIf(!cliToolsPresent)(
    "30+ seeded random aborts, resumed, give the uninterrupted object set",
    async () => {
      const reference = await uninterrupted();
      const want = objectSet(reference);
      expect(want.grants.size).toBeGreaterThan(50);
      let calls = 0;
      const counting = buildOrg({ ...ORG, hooks: { beforeCall: () => void calls++ } });
      const clock = new FakeClock();
      await runSync({ plugin: counting.plugin, client: {}, store: await createC1z({ now: clock.now }), clock });

      let totalAborts = 0;
      for (let seed = 1; seed <= 32; seed++) {
        const { bytes, aborts } = await interrupted(seed, calls);
        totalAborts += aborts;
        const got = objectSet(bytes);
        for (const table of ["resource_types", "resources", "entitlements", "grants"] as const) {
          expect(sortedEntries(got[table]), `seed ${seed}, ${table}`).toEqual(sortedEntries(want[table]));
        }
      }
      expect(totalAborts).toBeGreaterThanOrEqual(30);
    },
    300_000,
  );
});
