/**
 * Runs syncs in the background of the process, one at a time per connector.
 * The lock is taken synchronously, so of N concurrent requests exactly one
 * starts a sync. The record is persisted at every phase change and at the
 * end; live subscribers (SSE) get every event, late ones a replay.
 *
 * With a state store that keeps checkpoints (a data directory), a running
 * sync's c1z is saved at the engine's checkpoints (throttled), and a restarted
 * process resumes the syncs it finds running from there: same record, same
 * c1z sync id, marked `resumed`. Without a checkpoint it is marked interrupted.
 * Where the state store has work files (a native file engine), a sync's database
 * lives in its work file instead of in memory: that file is the checkpoint, and
 * the finished c1z is streamed from it into the state store.
 */
import { checkpointsIn } from "../../jobs/checkpoints.ts";
import { runConnectorSync } from "../../jobs/pipeline.ts";
import { c1zBytesSource } from "../../jobs/stores.ts";
import type { CheckpointStore, StoreSource, SyncDestination } from "../../jobs/types.ts";
import type { RedactingLogger } from "../../log/index.ts";
import { resourceId } from "../../model/builders.ts";
import type { PluginStateStore } from "../../plugins/contract.ts";
import { DEFAULT_CHECKPOINT_INTERVAL_MS } from "../../sync/engine.ts";
import type { Clock, ProgressEvent } from "../../sync/types.ts";
import type { ConnectorEntry } from "../types.ts";
import type { StartResult, SyncEvent } from "./runner.ts";

export type { StartResult, SyncEvent };

import type { SyncKey, SyncRecord, SyncRequest, SyncStateStore } from "../state/store.ts";

type Listener = (event: SyncEvent) => void;

/** What a previous process left to resume a sync from. */
type Checkpoint = { kind: "work-file" } | { kind: "c1z"; bytes: Uint8Array };

interface RunningSync {
  record: SyncRecord;
  events: SyncEvent[];
  listeners: Set<Listener>;
  done: Promise<SyncRecord>;
  controller: AbortController;
}

export interface SyncManagerOptions {
  state: SyncStateStore;
  clock: Clock;
  /** Scrubs what a sync logs, records and streams; each sync logs through a child of it. */
  log: RedactingLogger;
  /** c1z files kept per connector; each already holds the previous syncs Baton keeps. */
  keepC1z?: number;
  /** Called when a sync succeeded, so readers of "the latest sync" move on. */
  onSucceeded?(connector: string): void;
  /** Minimum time between two checkpoint saves of a running sync; default 30 s. */
  checkpointSaveIntervalMs?: number;
}

export const DEFAULT_CHECKPOINT_SAVE_INTERVAL_MS = 30_000;

const MAX_WARNINGS_KEPT = 100;

/** Restarts a sync survives; one interrupted more often is marked failed. */
export const MAX_RESUMES = 3;

function emptyCounts() {
  return { resourceTypes: 0, resources: 0, entitlements: 0, grants: 0 };
}

export function pluginStateStore(state: SyncStateStore, connector: string): PluginStateStore {
  return { load: () => state.getPluginState(connector), save: (text) => state.putPluginState(connector, text) };
}

export class SyncManager {
  private readonly running = new Map<string, RunningSync>();
  private saving: Promise<void> = Promise.resolve();
  /**
   * Settles when the records a previous process left running are resumed
   * (running here again) or marked failed.
   */
  readonly ready: Promise<void>;

  constructor(
    private readonly options: SyncManagerOptions,
    connectors: ConnectorEntry[],
  ) {
    this.ready = this.recover(connectors);
  }

  private counter = 0;

  /** Sorts by creation: time, then a per-process counter (many syncs can start in one millisecond). */
  private newId(): string {
    const time = this.options.clock.now().toString(36).padStart(10, "0");
    const seq = (this.counter++ % 36 ** 6).toString(36).padStart(6, "0");
    return `${time}-${seq}-${crypto.randomUUID().slice(0, 8)}`;
  }

  private iso(ms = this.options.clock.now()): string {
    return new Date(ms).toISOString();
  }

  private async recover(entries: ConnectorEntry[]): Promise<void> {
    for (const entry of entries) {
      // Newest first: were there ever two, the newest one is resumed.
      for (const record of await this.options.state.listSyncs(entry.name)) {
        if (record.state !== "queued" && record.state !== "running") continue;
        if (this.live(entry.name, record.id)) continue;
        const key = { connector: entry.name, id: record.id };
        // A sync that takes the process down with it would otherwise be resumed forever.
        const exhausted = (record.resumes ?? 0) >= MAX_RESUMES;
        // "queued" too: the record's "running" write can lose the race with the first checkpoint.
        const checkpoint = this.running.has(entry.name) || exhausted ? undefined : await this.checkpointOf(key);
        if (checkpoint) {
          this.resume(entry, record, checkpoint);
          continue;
        }
        record.state = "failed";
        record.error = {
          title: "Sync interrupted",
          detail: exhausted
            ? `the server stopped before this sync finished, again after ${MAX_RESUMES} resumes; not resumed again`
            : "the server stopped before this sync finished",
        };
        record.endedAt ??= this.iso();
        await this.options.state.putSync(record);
        await this.discardCheckpoint(key);
      }
    }
  }

  private async checkpointOf(key: SyncKey): Promise<Checkpoint | undefined> {
    const { workFiles, checkpoints } = this.options.state;
    if (workFiles) return (await workFiles.has(key).catch(() => false)) ? { kind: "work-file" } : undefined;
    const bytes = await checkpoints?.load(key).catch(() => undefined);
    return bytes && { kind: "c1z", bytes };
  }

  /** Nothing is left to resume: the work file or the saved c1z goes. */
  private async discardCheckpoint(key: SyncKey): Promise<void> {
    const { workFiles, checkpoints } = this.options.state;
    await (workFiles ? workFiles.remove(key) : checkpoints?.clear(key))?.catch(() => undefined);
  }

  /** Where sync `key` reads, keeps and saves its c1z: a work file where the state store has them, else memory. */
  private seams(
    key: SyncKey,
    checkpoint: Checkpoint | undefined,
  ): { store: StoreSource; checkpoints?: CheckpointStore; destination: SyncDestination } {
    const { state } = this.options;
    const previous = () => this.latestC1z(key.connector);
    const where = `${key.connector}/${key.id}`;
    const { workFiles } = state;
    if (workFiles) {
      return {
        ...workFiles.sync(key, previous),
        destination: {
          save: async (store) => ({ destination: where, bytes: (await workFiles.putC1z(key, store)).bytes }),
        },
      };
    }
    return {
      store: c1zBytesSource(async () => (checkpoint?.kind === "c1z" ? checkpoint.bytes : await previous())),
      checkpoints: state.checkpoints && checkpointsIn(state.checkpoints, key),
      destination: {
        save: async (store) => {
          const bytes = store.toBytes();
          await state.putC1z(key.connector, key.id, bytes);
          return { destination: where, bytes: bytes.length };
        },
      },
    };
  }

  /** Takes the connector's lock at once, so no new sync starts before the resumed one ends. */
  private resume(entry: ConnectorEntry, record: SyncRecord, checkpoint: Checkpoint): void {
    record.state = "running";
    record.resumed = true;
    record.resumes = (record.resumes ?? 0) + 1;
    record.error = null;
    record.endedAt = null;
    record.durationMs = null;
    const run = this.track(entry.name, record);
    this.save(record)
      .then(() => this.execute(entry, run.run, "restart", checkpoint))
      .catch(() => undefined)
      .finally(() => {
        this.running.delete(entry.name);
        run.resolveDone(structuredClone(run.run.record));
      });
  }

  private track(connector: string, record: SyncRecord): { run: RunningSync; resolveDone(r: SyncRecord): void } {
    let resolveDone!: (record: SyncRecord) => void;
    const run: RunningSync = {
      record,
      events: [],
      listeners: new Set(),
      done: new Promise((resolve) => {
        resolveDone = resolve;
      }),
      controller: new AbortController(),
    };
    this.running.set(connector, run);
    return { run, resolveDone };
  }

  /** Serialised, so a late write never overwrites a newer one. */
  private save(record: SyncRecord): Promise<void> {
    const copy = structuredClone(record);
    this.saving = this.saving.then(() => this.options.state.putSync(copy)).catch(() => undefined);
    return this.saving;
  }

  live(connector: string, id: string): SyncRecord | undefined {
    const run = this.running.get(connector);
    return run && run.record.id === id ? structuredClone(run.record) : undefined;
  }

  runningFor(connector: string): SyncRecord | undefined {
    const run = this.running.get(connector);
    return run && structuredClone(run.record);
  }

  async get(connector: string, id: string): Promise<SyncRecord | undefined> {
    return this.live(connector, id) ?? (await this.options.state.getSync(connector, id));
  }

  async list(connector: string, limit: number): Promise<SyncRecord[]> {
    const stored = await this.options.state.listSyncs(connector);
    const live = this.running.get(connector)?.record;
    return stored.slice(0, limit).map((record) => (live && record.id === live.id ? structuredClone(live) : record));
  }

  /**
   * Replays what happened so far, then calls `listener` with every new event.
   * Returns an unsubscribe function, or undefined when the sync is not running here.
   */
  subscribe(connector: string, id: string, afterSeq: number, listener: Listener): (() => void) | undefined {
    const run = this.running.get(connector);
    if (!run || run.record.id !== id) return undefined;
    for (const event of run.events) if (event.seq > afterSeq) listener(event);
    run.listeners.add(listener);
    return () => run.listeners.delete(listener);
  }

  start(entry: ConnectorEntry, request: SyncRequest, requestId: string): StartResult {
    const existing = this.running.get(entry.name);
    if (existing) return { started: false, running: structuredClone(existing.record) };
    const record: SyncRecord = {
      id: this.newId(),
      connector: entry.name,
      state: "queued",
      phase: null,
      request,
      counts: emptyCounts(),
      expandedGrants: 0,
      warnings: [],
      error: null,
      phases: [],
      createdAt: this.iso(),
      startedAt: null,
      endedAt: null,
      durationMs: null,
      c1zSyncId: null,
      c1zBytes: null,
      c1zAvailable: false,
    };
    const { run, resolveDone } = this.track(entry.name, record);
    const persisted = this.save(record);
    persisted
      .then(() => this.execute(entry, run, requestId))
      .catch(() => undefined)
      .finally(() => {
        this.running.delete(entry.name);
        resolveDone(structuredClone(run.record));
      });
    return { started: true, record: structuredClone(record), persisted, done: run.done };
  }

  private emit(run: RunningSync, event: SyncEvent["event"], data: unknown): void {
    const last = run.events.at(-1);
    const item: SyncEvent = { seq: (last?.seq ?? 0) + 1, event, data };
    // Progress is frequent: a late subscriber only needs the newest one.
    if (event === "progress" && last?.event === "progress") run.events[run.events.length - 1] = item;
    else run.events.push(item);
    for (const listener of run.listeners) listener(item);
  }

  private onProgress(run: RunningSync, event: ProgressEvent): void {
    const { record } = run;
    const { type, ...rest } = event;
    const data: Record<string, unknown> = rest;
    const at = this.iso(event.at);
    switch (event.type) {
      case "phase":
        record.phase = event.phase;
        record.phases.push({ phase: event.phase, at });
        void this.save(record);
        break;
      case "progress":
        record.counts = { ...event.written };
        break;
      case "warning": {
        // The streamed event and the kept copy are the same redacted text.
        const message = this.options.log.redactor.redact(event.message);
        data.message = message;
        if (record.warnings.length < MAX_WARNINGS_KEPT) record.warnings.push(message);
        break;
      }
      case "retry":
        data.reason = this.options.log.redactor.redact(event.reason);
        break;
    }
    this.emit(run, type, { ...data, at });
  }

  private async latestC1z(connector: string): Promise<Uint8Array | undefined> {
    for (const record of await this.options.state.listSyncs(connector)) {
      if (record.state === "succeeded" && record.c1zAvailable) {
        const bytes = await this.options.state.getC1z(connector, record.id);
        if (bytes) return bytes;
      }
    }
    return undefined;
  }

  /** Runs the sync; `checkpoint` is what a previous process left of it, to resume from. */
  private async execute(
    entry: ConnectorEntry,
    run: RunningSync,
    requestId: string,
    checkpoint?: Checkpoint,
  ): Promise<void> {
    const { record } = run;
    const { clock, state } = this.options;
    const { redactor } = this.options.log;
    const log = this.options.log.child({ requestId, syncId: record.id, connector: entry.name });
    const key: SyncKey = { connector: entry.name, id: record.id };
    const { store, checkpoints, destination } = this.seams(key, checkpoint);
    const resumedFrom = checkpoint && record.startedAt ? Date.parse(record.startedAt) : undefined;
    const started = resumedFrom ?? clock.now();
    record.state = "running";
    record.startedAt = this.iso(started);
    void this.save(record);
    log.info(checkpoint ? "sync resumed from its last checkpoint" : "sync started");
    try {
      const saveEveryMs = this.options.checkpointSaveIntervalMs ?? DEFAULT_CHECKPOINT_SAVE_INTERVAL_MS;
      const request = record.request;
      const outcome = await runConnectorSync(entry, {
        store,
        destination,
        checkpoints,
        checkpointSaveIntervalMs: saveEveryMs,
        // Saving more often than the engine checkpoints would save the same state again.
        checkpointIntervalMs: checkpoints ? Math.min(saveEveryMs, DEFAULT_CHECKPOINT_INTERVAL_MS) : undefined,
        scope: {
          resourceTypeIds: request.resourceTypes,
          targetResources: request.targetResources?.map((r) => resourceId(r.resourceType, r.resource)),
          resourcesOnly: request.skipEntitlementsAndGrants,
          skipGrants: request.skipGrants,
          skipExpansion: request.skipExpansion,
          skipFullSync: request.skipFullSync,
          workers: request.workers,
        },
        clock,
        signal: run.controller.signal,
        log,
        onProgress: (event) => this.onProgress(run, event),
        pluginState: pluginStateStore(state, entry.name),
      });
      if (outcome.status !== "finished") throw new Error(`sync stopped: ${outcome.reason}`);
      const { result } = outcome;
      record.state = "succeeded";
      record.counts = outcome.totals;
      record.expandedGrants = result.expandedGrants;
      record.warnings = result.warnings.slice(0, MAX_WARNINGS_KEPT).map((w) => redactor.redact(w));
      record.c1zSyncId = result.syncId;
      record.c1zBytes = outcome.saved.bytes;
      record.c1zAvailable = true;
    } catch (error) {
      record.state = "failed";
      record.error = {
        title: "Sync failed",
        detail: redactor.redact(error instanceof Error ? error.message : String(error)),
      };
    }
    const ended = clock.now();
    record.endedAt = this.iso(ended);
    record.durationMs = ended - started;
    await this.save(record);
    // Succeeded or failed, nothing is left to resume; a failure keeps the last good c1z.
    await this.discardCheckpoint(key);
    if (record.state === "succeeded") {
      await this.prune(entry.name);
      this.options.onSucceeded?.(entry.name);
      log.info("sync succeeded", { counts: record.counts, durationMs: record.durationMs });
    } else {
      log.error("sync failed", { error: record.error?.detail });
    }
    this.emit(run, "result", structuredClone(record));
  }

  private async prune(connector: string): Promise<void> {
    const keep = this.options.keepC1z ?? 3;
    const withFiles = (await this.options.state.listSyncs(connector)).filter((r) => r.c1zAvailable);
    for (const old of withFiles.slice(keep)) {
      await this.options.state.deleteC1z(connector, old.id);
      old.c1zAvailable = false;
      await this.save(old);
    }
  }
}
