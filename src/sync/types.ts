/**
 * The sync engine's public shapes. The engine itself (src/sync/engine.ts) is
 * called by the CLI, the HTTP API and the Workers cron trigger.
 */
import type { C1zWriter } from "../c1z/store.ts";
import type { ResourceId } from "../model/types.ts";
import type { AnyPlugin, Logger } from "../plugins/contract.ts";
import type { Clock } from "../upstream/clock.ts";

export type SyncPhase =
  | "init"
  | "list-resource-types"
  | "list-resources"
  | "list-static-entitlements"
  | "list-entitlements"
  | "list-grants"
  | "grant-expansion"
  | "targeted-resource-sync"
  | "done";

export type { Clock };

/** What to sync: Baton's sync flags. */
export interface SyncScope {
  /** `--sync-resource-types`. */
  resourceTypeIds?: string[];
  /** `--sync-resources`: a targeted (partial) sync of these resources. */
  targetResources?: ResourceId[];
  /** `--skip-entitlements-and-grants`: a `resources_only` sync. */
  resourcesOnly?: boolean;
  /** `--skip-grants`: list no grants (the CLI allows it only with --sync-resources, as Baton). */
  skipGrants?: boolean;
  skipExpansion?: boolean;
  /** `--skip-full-sync`: start and end an empty full sync. */
  skipFullSync?: boolean;
  /** `--workers`: parallelism within a phase. */
  workers?: number;
}

export interface SyncOptions extends SyncScope {
  plugin: AnyPlugin;
  /** What `plugin.connect(config)` returned. */
  client: unknown;
  store: C1zWriter;
  /**
   * Stop after this long with a checkpoint and a `SyncNotCompleteError` (Go's run duration);
   * the next runSync on the same store continues. For step-wise syncs on Workers.
   */
  runDurationMs?: number;
  /** Minimum time between periodic checkpoints (Go: 10 s). */
  checkpointIntervalMs?: number;
  /** Full syncs kept in the file after this one ends (Go: 2). */
  keepSyncs?: number;
  /** Warnings (not-found per resource) tolerated before the sync fails. */
  maxWarnings?: number;
  /**
   * Write every GrantSource as `{}` (is_direct false), as Go did before
   * baton-sdk #679 (Feb 2026); the Go vectors in this repo were written that way.
   */
  legacyGrantSources?: boolean;
  /** Called after each checkpoint was written, e.g. to persist the store's bytes between steps. */
  onCheckpoint?: (token: string) => void | Promise<void>;
  clock?: Clock;
  /** The fetch plugins get; defaults to the retrying fetch on `clock`. */
  fetch?: typeof fetch;
  signal?: AbortSignal;
  log?: Logger;
  onProgress?: (event: ProgressEvent) => void;
}

export interface ObjectCounts {
  resourceTypes: number;
  resources: number;
  entitlements: number;
  grants: number;
}

export type ProgressEvent =
  | { type: "phase"; phase: SyncPhase; at: number }
  | {
      type: "progress";
      phase: SyncPhase;
      written: ObjectCounts;
      pages: number;
      retries: number;
      /** Objects written per second since the sync started. */
      rate: number;
      /** Estimated fraction done in [0, 1], when one is known. */
      estimate?: number;
      at: number;
    }
  | { type: "retry"; phase: SyncPhase; attempt: number; waitMs: number; reason: string; at: number }
  | { type: "warning"; phase: SyncPhase; message: string; at: number }
  | { type: "checkpoint"; phase: SyncPhase; at: number };

export interface SyncResult {
  syncId: string;
  syncType: string;
  resumed: boolean;
  written: ObjectCounts;
  expandedGrants: number;
  warnings: string[];
  startedAt: number;
  endedAt: number;
}
