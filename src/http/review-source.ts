/**
 * The HTTP API's syncs as a review source: each succeeded sync record has its
 * own c1z in the state store. A few opened files are kept (least recently used
 * closed first, and only once no request is reading them), so paging through a
 * diff or the explorer does not decompress the same file on every request.
 */
import type { SqliteC1zStore } from "../c1z/index.ts";
import { type HeldSync, ReviewError, type ReviewSource, type ReviewSync } from "../review/source.ts";
import type { AppServices } from "./services.ts";
import { openStoredC1z, type SyncRecord } from "./state/store.ts";

const KEEP_OPEN = 4;
const HISTORY = 100;

interface Entry {
  opened: Promise<SqliteC1zStore>;
  users: number;
  evicted: boolean;
}

function toReviewSync(record: SyncRecord): ReviewSync {
  return {
    id: record.id,
    syncId: record.c1zSyncId,
    state: record.state,
    // The c1z's sync_type follows what the request asked for.
    syncType: record.request.skipEntitlementsAndGrants
      ? "resources_only"
      : record.request.targetResources?.length
        ? "partial"
        : "full",
    startedAt: record.startedAt,
    endedAt: record.endedAt,
    durationMs: record.durationMs,
    phases: record.phases,
    warnings: record.warnings,
    error: record.error,
    counts: record.counts,
    readable: record.state === "succeeded" && record.c1zAvailable && record.c1zSyncId !== null,
  };
}

export function httpReviewSource(services: AppServices): ReviewSource {
  const open = new Map<string, Entry>();

  const release = (entry: Entry) => {
    entry.users--;
    if (entry.evicted && entry.users === 0) entry.opened.then((store) => store.close()).catch(() => undefined);
  };
  const acquire = (key: string, load: () => Promise<SqliteC1zStore | undefined>): Entry => {
    let entry = open.get(key);
    if (entry) {
      open.delete(key);
      open.set(key, entry);
    } else {
      const opened = load().then((store) => {
        if (!store) throw new ReviewError("gone", "the c1z of this sync is no longer retained");
        return store;
      });
      entry = { opened, users: 0, evicted: false };
      open.set(key, entry);
      opened.catch(() => open.get(key) === entry && open.delete(key));
      while (open.size > KEEP_OPEN) {
        const [oldestKey, oldest] = open.entries().next().value as [string, Entry];
        open.delete(oldestKey);
        oldest.evicted = true;
        if (oldest.users === 0) oldest.opened.then((store) => store.close()).catch(() => undefined);
      }
    }
    entry.users++;
    return entry;
  };

  return {
    connectors: () => [...services.connectors.keys()],
    async syncs(connector) {
      services.connector(connector);
      await services.syncs.ready;
      return (await services.syncs.list(connector, HISTORY)).map(toReviewSync);
    },
    async hold(connector: string, id: string): Promise<HeldSync> {
      services.connector(connector);
      await services.syncs.ready;
      const record = await services.syncs.get(connector, id);
      if (!record) throw new ReviewError("not-found", `no sync ${id} for connector ${connector}`);
      const sync = toReviewSync(record);
      if (record.state !== "succeeded" || record.c1zSyncId === null) {
        throw new ReviewError("not-readable", `sync ${id} is ${record.state}; only a succeeded sync can be read`);
      }
      if (!record.c1zAvailable) throw new ReviewError("gone", `the c1z of sync ${id} is no longer retained`);
      const key = `${connector}\u0000${id}`;
      const entry = acquire(key, () => openStoredC1z(services.state, connector, id));
      let store: SqliteC1zStore;
      try {
        store = await entry.opened;
      } catch (error) {
        release(entry);
        throw error;
      }
      let released = false;
      const done = () => {
        if (!released) release(entry);
        released = true;
      };
      return { sync, store, syncId: record.c1zSyncId, release: done };
    },
  };
}
