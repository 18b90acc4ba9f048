/**
 * Which syncs `migrate` backfills when a store opens. A sync in progress is opened once per
 * step (Workers, resumed CLI runs); looking for GrantExpandable in its grants' data reads
 * every grant, so it is left to the sync's own grant expansion — except in a file from
 * before the expansion column, where every run's edges are still in `data` (old-schema.test.ts
 * and the Go vectors cover that path).
 */
import { describe, expect, it } from "vitest";
import { grant, group, user } from "../model/builders.ts";
import { MemoryPageStore, type PageStore } from "../storage/paged-store.ts";
import { openPagedC1z } from "./paged.ts";

function countingReads(pages: PageStore): { store: PageStore; reads: () => number } {
  let reads = 0;
  const store: PageStore = {
    pageSize: pages.pageSize,
    size: () => pages.size(),
    readPage: (i) => {
      reads++;
      return pages.readPage(i);
    },
    writePage: (i, p) => pages.writePage(i, p),
    setSize: (n) => pages.setSize(n),
    sync: () => pages.sync(),
    rollback: () => pages.rollback(),
    scratch: pages.scratch?.bind(pages),
    copiesPages: pages.copiesPages,
  };
  return { store, reads: () => reads };
}

describe("opening a store whose sync is unfinished", () => {
  it("reads a few pages, not every grant (supports_diff is still 0 while it lists)", async () => {
    const pages = new MemoryPageStore();
    const writing = await openPagedC1z(pages, { cacheKiB: 256 });
    writing.startSync("full");
    const team = group({ id: "team", displayName: "Team" });
    for (let batch = 0; batch < 10; batch++) {
      writing.putGrants(
        Array.from({ length: 1000 }, (_, i) =>
          grant(team, "member", user({ id: `u${batch}-${i}`, displayName: `User ${i}` }).id!),
        ),
      );
    }
    writing.setSyncToken("{}");
    writing.close();
    const databasePages = pages.size() / pages.pageSize;
    expect(databasePages).toBeGreaterThan(500);

    const counted = countingReads(pages);
    const resumed = await openPagedC1z(counted.store, { cacheKiB: 256 });
    expect(counted.reads()).toBeLessThan(20);
    // Grant expansion's backfill of the sync in progress does read them, once, and changes none.
    expect(resumed.latestUnfinishedSync("full")?.syncId).toBeDefined();
    resumed.resumeSync(resumed.latestUnfinishedSync("full")?.syncId as string);
    expect(resumed.backfillGrantExpansion()).toBe(0);
    expect(counted.reads()).toBeGreaterThan(databasePages / 2);
    resumed.close();
  });
});
