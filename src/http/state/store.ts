/**
 * Where the HTTP API keeps what must outlive a request: sync records, the c1z
 * each successful sync produced, and idempotency records. Injected into
 * `createApp`; `memory.ts` serves Workers and tests, `fs.ts` (Node/Bun/Deno)
 * keeps it in a data directory across restarts.
 */
import { openC1z } from "../../c1z/open.ts";
import type { SqliteC1zStore } from "../../c1z/sqlite-store.ts";
import type { C1zWriter } from "../../c1z/store.ts";
import type { CheckpointSink } from "../../jobs/checkpoints.ts";
import type { CheckpointStore, StoreSource } from "../../jobs/types.ts";
import type { ObjectCounts, SyncPhase } from "../../sync/types.ts";

export type SyncState = "queued" | "running" | "succeeded" | "failed";

/** The sync options accepted by `POST …/syncs` (the CLI's flags). */
export interface SyncRequest {
  resourceTypes?: string[];
  targetResources?: { resourceType: string; resource: string }[];
  skipEntitlementsAndGrants?: boolean;
  skipGrants?: boolean;
  skipExpansion?: boolean;
  skipFullSync?: boolean;
  workers?: number;
}

export interface SyncRecord {
  /** The API's id for this run (known before the c1z sync id exists). */
  id: string;
  connector: string;
  state: SyncState;
  phase: SyncPhase | null;
  request: SyncRequest;
  counts: ObjectCounts;
  expandedGrants: number;
  warnings: string[];
  error: { title: string; detail: string } | null;
  /** Phase changes in order, for the event stream of a finished sync. */
  phases: { phase: SyncPhase; at: string }[];
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  durationMs: number | null;
  /** `v1_sync_runs.sync_id` in the c1z. */
  c1zSyncId: string | null;
  c1zBytes: number | null;
  /** False once the c1z has been pruned (older than the retained ones). */
  c1zAvailable: boolean;
  /** True when a restart interrupted this sync and it continued from its last checkpoint. */
  resumed?: boolean;
  /** How many times it was resumed after a restart. */
  resumes?: number;
  /** Workers: the invocations (Durable Object alarm steps) the sync has taken so far. */
  invocations?: number;
}

/** Names one sync's checkpoint. */
export interface SyncKey {
  connector: string;
  id: string;
}

export interface StoredResponse {
  status: number;
  body: unknown;
}

export interface IdempotencyRecord {
  /** SHA-256 of method, path and body: the same key with another request is refused. */
  fingerprint: string;
  response: StoredResponse;
  createdAt: number;
}

export interface SyncStateStore {
  putSync(record: SyncRecord): Promise<void>;
  getSync(connector: string, id: string): Promise<SyncRecord | undefined>;
  /** Newest first. */
  listSyncs(connector: string): Promise<SyncRecord[]>;
  putC1z(connector: string, id: string, bytes: Uint8Array): Promise<void>;
  getC1z(connector: string, id: string): Promise<Uint8Array | undefined>;
  /** The same file as a stream of chunks with its size (a file on disk), so a download never holds it whole. */
  getC1zStream?(
    connector: string,
    id: string,
  ): Promise<{ bytes: number; stream: ReadableStream<Uint8Array> } | undefined>;
  deleteC1z(connector: string, id: string): Promise<void>;
  getIdempotency(key: string): Promise<IdempotencyRecord | undefined>;
  putIdempotency(key: string, record: IdempotencyRecord): Promise<void>;
  deleteIdempotency(key: string): Promise<void>;
  /** A plugin's own small state between runs (e.g. the demo organisation's changes). */
  getPluginState(connector: string): Promise<string | undefined>;
  putPluginState(connector: string, text: string): Promise<void>;
  /**
   * The unfinished c1z of each running sync, saved at its checkpoints so a
   * restarted process resumes it. Absent (memory): a restart marks it interrupted.
   */
  checkpoints?: CheckpointSink<SyncKey>;
  /**
   * File-backed syncs (a native file engine: Node, Bun, Deno). Each running sync's database
   * lives in a work file, which is also its checkpoint (a restarted process resumes from it),
   * and the finished c1z is streamed from it into this store. Given, it replaces `checkpoints`.
   */
  workFiles?: SyncWorkFiles;
}

export interface SyncWorkFiles {
  /** The seams of sync `key`: its work file, created from `load()` (the previous c1z) when there is none. */
  sync(key: SyncKey, load: () => Promise<Uint8Array | undefined>): { store: StoreSource; checkpoints: CheckpointStore };
  /** Whether sync `key` left a work file with an unfinished sync to resume. */
  has(key: SyncKey): Promise<boolean>;
  remove(key: SyncKey): Promise<void>;
  /** Streams the finished store's c1z to where `getC1z` reads it, atomically. */
  putC1z(key: SyncKey, store: C1zWriter): Promise<{ bytes: number }>;
  /** Opens the stored c1z of sync `key` for reading in a file of its own (removed on close). */
  openC1z(key: SyncKey): Promise<SqliteC1zStore | undefined>;
}

/** A stored c1z opened for reading: file-backed where the store has work files (bounded memory), else in memory. */
export async function openStoredC1z(
  state: SyncStateStore,
  connector: string,
  id: string,
): Promise<SqliteC1zStore | undefined> {
  if (state.workFiles) return state.workFiles.openC1z({ connector, id });
  const bytes = await state.getC1z(connector, id);
  return bytes && openC1z(bytes);
}

/** A sync record as it is when a sync is accepted: queued, nothing counted yet. */
export function newSyncRecord(id: string, connector: string, request: SyncRequest, createdAt: string): SyncRecord {
  return {
    id,
    connector,
    state: "queued",
    phase: null,
    request,
    counts: { resourceTypes: 0, resources: 0, entitlements: 0, grants: 0 },
    expandedGrants: 0,
    warnings: [],
    error: null,
    phases: [],
    createdAt,
    startedAt: null,
    endedAt: null,
    durationMs: null,
    c1zSyncId: null,
    c1zBytes: null,
    c1zAvailable: false,
  };
}

export function newestFirst(a: SyncRecord, b: SyncRecord): number {
  return a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1;
}
