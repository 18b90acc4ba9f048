/**
 * The seams of the one sync pipeline (`runConnectorSync`). Each trigger (CLI,
 * HTTP API, Workers cron, service mode, step-wise Workers syncs) supplies its
 * own implementations: where the c1z comes from, where a finished one goes,
 * where an unfinished one is kept. The pipeline only ever talks to a
 * `C1zWriter`, so a file-backed store or a streaming serializer plugs in here.
 */
import type { C1zWriter } from "../c1z/store.ts";
import type { AnyPlugin, Logger, PluginStateStore } from "../plugins/contract.ts";
import type { Clock, ObjectCounts, ProgressEvent, SyncResult, SyncScope } from "../sync/types.ts";

export type { SyncScope };

/** A connector to sync: a plugin with its resolved, validated config. */
export interface SyncEntry {
  /** The connector's name (an instance name or the plugin's). */
  name: string;
  plugin: AnyPlugin;
  config: Record<string, unknown>;
}

/** Opens the store a sync writes into: a new one, the previous c1z, or an unfinished sync to resume. */
export interface StoreSource {
  open(): Promise<C1zWriter>;
}

/** Where a finished sync's c1z is saved or uploaded; it serializes the store as it needs. */
export interface SyncDestination {
  save(store: C1zWriter, result: SyncResult): Promise<SavedC1z>;
}

export interface SavedC1z {
  /** Where it went, safe to log (no inline credentials). */
  destination: string;
  bytes: number;
  sha256?: string;
}

/** Where the unfinished sync is kept between runs (a later run resumes it); bound to one sync. */
export interface CheckpointStore {
  save(store: C1zWriter): Promise<void>;
  clear(): Promise<void>;
}

export interface ConnectorSyncOptions {
  store: StoreSource;
  destination: SyncDestination;
  /** Keeps the unfinished sync: at engine checkpoints (see `checkpointSaveIntervalMs`) and when stopped. */
  checkpoints?: CheckpointStore;
  /**
   * Save to `checkpoints` at the engine's checkpoints, at most this often (the first always saves).
   * Unset: save only when the sync is stopped.
   */
  checkpointSaveIntervalMs?: number;
  /** The engine's minimum time between checkpoints (Go: 10 s); 0 checkpoints after every page. */
  checkpointIntervalMs?: number;
  scope?: SyncScope;
  log?: Logger;
  /** Cancels the sync: it fails, nothing is saved. */
  signal?: AbortSignal;
  /** Stops the sync where it is: the unfinished c1z goes to `checkpoints`, the outcome is `checkpointed`. */
  stop?: AbortSignal;
  /** Stop cleanly at the first checkpoint after this long (one step of a multi-invocation sync). */
  runDurationMs?: number;
  onProgress?: (event: ProgressEvent) => void;
  clock?: Clock;
  /** The fetch the plugin gets; defaults to the retrying fetch on `clock`. */
  fetch?: typeof fetch;
  /** The plugin's own state between syncs (e.g. a cursor). */
  pluginState?: PluginStateStore;
}

export type ConnectorSyncOutcome =
  | {
      status: "finished";
      result: SyncResult;
      /** The sync's objects in the c1z; for a resumed sync these include what earlier runs wrote. */
      totals: ObjectCounts;
      saved: SavedC1z;
    }
  | {
      status: "checkpointed";
      /** The unfinished sync's id, if it got as far as starting one. */
      syncId?: string;
      /** Why it stopped (the stop signal's reason, or the run duration). */
      reason: string;
      /** Whether the unfinished c1z went to `checkpoints`. */
      kept: boolean;
    };
