/**
 * What the sync routes need from whatever runs syncs: `SyncManager` in this
 * process (Node, Bun, Deno), or the connector Durable Objects on Workers
 * (src/workers/http-syncs.ts), where the lock and the records live outside any
 * one isolate.
 */

import type { SyncRecord, SyncRequest } from "../state/store.ts";
import type { ConnectorEntry } from "../types.ts";

export interface SyncEvent {
  seq: number;
  event: "phase" | "progress" | "warning" | "retry" | "checkpoint" | "result";
  data: unknown;
}

export type StartResult =
  | { started: true; record: SyncRecord; persisted: Promise<void>; done: Promise<SyncRecord> }
  | { started: false; running: SyncRecord };

export interface SyncRunner {
  /** Settles once syncs left running by a previous process are resumed or marked failed. */
  readonly ready: Promise<void>;
  /** Starts a sync unless one of this connector is running (then `started: false`). */
  start(entry: ConnectorEntry, request: SyncRequest, requestId: string): StartResult | Promise<StartResult>;
  get(connector: string, id: string): Promise<SyncRecord | undefined>;
  list(connector: string, limit: number): Promise<SyncRecord[]>;
  /**
   * Replays what happened after `afterSeq`, then calls `listener` with every new
   * event until the `result` one. Undefined when this runner cannot follow the
   * sync live (the route then replays the stored record).
   */
  subscribe(
    connector: string,
    id: string,
    afterSeq: number,
    listener: (event: SyncEvent) => void,
  ): (() => void) | undefined;
}
