/**
 * Where the reviewer's tools find syncs: the HTTP API's sync records (each with
 * its own c1z) or one local c1z file (the `explorer` command). Diff, export and
 * the web explorer are written against this, not against either.
 */
import type { SqliteC1zStore } from "../c1z/index.ts";
import type { SyncRun } from "../c1z/store.ts";

export interface ReviewSync {
  /** The id in URLs: the HTTP sync record's id, or the c1z sync id for a local file. */
  id: string;
  /** `v1_sync_runs.sync_id` inside the c1z; null while none exists yet. */
  syncId: string | null;
  state: string;
  syncType: string;
  startedAt: string | null;
  endedAt: string | null;
  durationMs: number | null;
  phases: { phase: string; at: string }[];
  warnings: string[];
  error: { title: string; detail: string } | null;
  counts: Partial<Record<"resourceTypes" | "resources" | "entitlements" | "grants", number>>;
  /** Whether its c1z can be opened (succeeded and not pruned). */
  readable: boolean;
}

export interface OpenedSync {
  sync: ReviewSync;
  store: SqliteC1zStore;
  syncId: string;
}

/** An opened sync the caller holds until `release()` (a response streamed from it, say). */
export interface HeldSync extends OpenedSync {
  release(): void;
}

export interface ReviewSource {
  /** Connector names (a local file is one "connector" named after the file). */
  connectors(): string[];
  /** Newest first. */
  syncs(connector: string): Promise<ReviewSync[]>;
  /** Opens one readable sync; throws ReviewError (404/409/410) otherwise. Call `release()` when done. */
  hold(connector: string, id: string): Promise<HeldSync>;
}

/** Runs `use` on one readable sync, released afterwards. */
export async function withSync<T>(
  source: ReviewSource,
  connector: string,
  id: string,
  use: (opened: OpenedSync) => T | Promise<T>,
): Promise<T> {
  const held = await source.hold(connector, id);
  try {
    return await use(held);
  } finally {
    held.release();
  }
}

export type ReviewErrorKind = "not-found" | "not-readable" | "gone" | "bad-request";

/** A lookup that failed in a way the caller reports (HTTP status, CLI message). */
export class ReviewError extends Error {
  override name = "ReviewError";
  constructor(
    readonly kind: ReviewErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/** The two syncs a diff compares by default: the newest readable full sync and the full one before it, as Baton. */
export async function defaultPair(
  source: ReviewSource,
  connector: string,
  choice: { from?: string; to?: string },
): Promise<{ from: string; to: string }> {
  const readable = (await source.syncs(connector)).filter((sync) => sync.readable && sync.syncType === "full");
  const to = choice.to ?? readable[0]?.id;
  if (!to) throw new ReviewError("not-readable", `connector ${connector} has no finished sync to diff`);
  if (choice.from) return { from: choice.from, to };
  const index = readable.findIndex((sync) => sync.id === to);
  const from = index >= 0 ? readable[index + 1]?.id : undefined;
  if (!from) throw new ReviewError("not-readable", `no finished sync of ${connector} before ${to} to diff against`);
  return { from, to };
}

/** A local c1z's sync runs as review syncs (newest first). */
export function fileSyncs(store: SqliteC1zStore): ReviewSync[] {
  return store
    .listSyncs()
    .map((run: SyncRun): ReviewSync => {
      const stats = run.endedAt ? store.stats(run.syncId) : undefined;
      return {
        id: run.syncId,
        syncId: run.syncId,
        state: run.endedAt ? "succeeded" : "unfinished",
        syncType: run.syncType,
        startedAt: run.startedAt,
        endedAt: run.endedAt,
        durationMs: null,
        phases: [],
        warnings: [],
        error: null,
        counts: stats
          ? {
              resourceTypes: stats.resource_types ?? 0,
              resources: stats.resources ?? 0,
              entitlements: stats.entitlements ?? 0,
              grants: stats.grants ?? 0,
            }
          : {},
        readable: true,
      };
    })
    .reverse();
}

/** One opened c1z file as a source: `explorer -f file.c1z`. */
export function fileSource(name: string, store: SqliteC1zStore): ReviewSource {
  let cached: ReviewSync[] | undefined;
  const syncs = () => {
    cached ??= fileSyncs(store);
    return cached;
  };
  return {
    connectors: () => [name],
    syncs: async (connector) => {
      if (connector !== name) throw new ReviewError("not-found", `no connector named ${connector}`);
      return syncs();
    },
    hold: async (connector, id) => {
      if (connector !== name) throw new ReviewError("not-found", `no connector named ${connector}`);
      const sync = syncs().find((s) => s.id === id);
      if (!sync) throw new ReviewError("not-found", `no sync ${id} in ${name}`);
      return { sync, store, syncId: id, release: () => undefined };
    },
  };
}
