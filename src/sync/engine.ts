/**
 * The sync engine: Baton's action stack run against a plugin, written into a
 * C1zWriter (baton-model.md §2). One `runSync` starts a sync or resumes the
 * unfinished one in the store, checkpoints its state into
 * `v1_sync_runs.sync_token`, and ends it.
 */
import type { C1zWriter, SyncType } from "../c1z/store.ts";
import { silentLogger } from "../log/logger.ts";
import type { ResourceType } from "../model/types.ts";
import type { AnyPlugin, Logger, PluginContext, ResourceTypeDefinition } from "../plugins/contract.ts";
import { withOutputValidation } from "../plugins/validated.ts";
import { systemClock } from "./clock.ts";
import {
  errorMessage,
  NotFoundError,
  SyncError,
  type SyncErrorContext,
  SyncNotCompleteError,
  TransientError,
} from "./errors.ts";
import { retryingFetch } from "./fetch.ts";
import { runAction } from "./phases.ts";
import { withRetry } from "./retry.ts";
import { type Action, type ActionOp, SyncState } from "./state.ts";
import type { Clock, ObjectCounts, ProgressEvent, SyncOptions, SyncPhase, SyncResult } from "./types.ts";

/** Go's `minCheckpointInterval`. */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 10_000;
/** Pending child actions after which a listing yields to them. */
const YIELD_AFTER_CHILDREN = 100;
/** Go's PeekMatchingActions cap. */
const MAX_BATCH = 100;
/** Go: warnings fail the sync past 10 and past 10 % of completed actions. */
const WARNING_FLOOR = 10;
const WARNING_RATIO = 0.1;

/** Everything one run shares: options, state, counters. Phases read and write it. */
export class SyncRun {
  readonly plugin: AnyPlugin;
  readonly client: unknown;
  readonly store: C1zWriter;
  readonly clock: Clock;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly options: SyncOptions;
  readonly syncType: SyncType;
  readonly syncId: string;
  readonly state: SyncState;
  readonly resumed: boolean;
  readonly fetch: typeof fetch;
  readonly written: ObjectCounts = { resourceTypes: 0, resources: 0, entitlements: 0, grants: 0 };
  readonly warnings: string[] = [];
  readonly startedAt: number;
  /** (child type, parent) pairs already scheduled by this process (Go's childSchedule). */
  readonly scheduledChildren = new Set<string>();
  private readonly definitions = new Map<string, ResourceTypeDefinition>();
  private syncedTypes = new Map<string, boolean>();
  private typeCache = new Map<string, ResourceType | undefined>();
  expandedGrants = 0;
  invalidDropped = 0;
  pages = 0;
  retries = 0;
  private lastCheckpoint = Number.NEGATIVE_INFINITY;
  private phase: SyncPhase | undefined;
  private phaseEstimate: { done: number; total: number } | undefined;

  constructor(options: SyncOptions, syncType: SyncType, syncId: string, state: SyncState, resumed: boolean) {
    this.options = options;
    this.plugin = options.plugin;
    this.client = options.client;
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? silentLogger;
    this.signal = options.signal ?? new AbortController().signal;
    this.syncType = syncType;
    this.syncId = syncId;
    this.state = state;
    this.resumed = resumed;
    this.startedAt = this.clock.now();
    this.fetch = options.fetch ?? retryingFetch({ now: () => this.clock.now() });
    for (const definition of this.plugin.resourceTypes) this.definitions.set(definition.resourceType.id, definition);
  }

  definition(resourceTypeId: string): ResourceTypeDefinition | undefined {
    return this.definitions.get(resourceTypeId);
  }

  /** Was this resource type written in this sync? (Go's scheduledResourceTypeExists; cached.) */
  synced(resourceTypeId: string): boolean {
    let known = this.syncedTypes.get(resourceTypeId);
    if (known === undefined) {
      known = this.store.getResourceType(resourceTypeId, this.syncId) !== undefined;
      this.syncedTypes.set(resourceTypeId, known);
    }
    return known;
  }

  forgetSyncedTypes(): void {
    this.syncedTypes = new Map();
    this.typeCache = new Map();
  }

  /** The stored resource type (the plugin's declaration before it is stored); cached per run. */
  resourceType(resourceTypeId: string): ResourceType | undefined {
    if (!this.typeCache.has(resourceTypeId)) {
      this.typeCache.set(
        resourceTypeId,
        this.store.getResourceType(resourceTypeId, this.syncId) ?? this.definition(resourceTypeId)?.resourceType,
      );
    }
    return this.typeCache.get(resourceTypeId);
  }

  pluginContext(): PluginContext<unknown> {
    return { client: this.client, fetch: this.fetch, log: this.log, signal: this.signal };
  }

  errorContext(action: Pick<Action, "op" | "resourceTypeId" | "resourceId">): SyncErrorContext {
    return {
      plugin: this.plugin.name,
      phase: action.op,
      resourceTypeId: action.resourceTypeId || undefined,
      resourceId: action.resourceId || undefined,
    };
  }

  /** Calls the plugin, retrying transient failures with Go's backoff and rate-limit waits. */
  callPlugin<T>(action: Pick<Action, "op" | "resourceTypeId" | "resourceId">, call: () => Promise<T>): Promise<T> {
    return withRetry(
      call,
      this.clock,
      {
        onRetry: (attempt, waitMs, error) => {
          this.retries++;
          this.log.warn("retrying plugin call", {
            attempt,
            waitMs,
            error: error.message,
            ...this.errorContext(action),
          });
          this.emit({
            type: "retry",
            phase: this.phase ?? "init",
            attempt,
            waitMs,
            reason: error.message,
            at: this.clock.now(),
          });
        },
      },
      this.signal,
    );
  }

  /** Not-found warnings only: Go aborts on these, not on dropped invalid data. */
  notFoundWarnings = 0;

  warn(message: string): void {
    this.warnings.push(message);
    this.log.warn(message);
    this.emit({ type: "warning", phase: this.phase ?? "init", message, at: this.clock.now() });
  }

  countWritten(kind: keyof ObjectCounts, count: number): void {
    this.written[kind] += count;
  }

  dropInvalid(kind: string, action: Action, count: number): void {
    if (count === 0) return;
    this.invalidDropped += count;
    this.warn(`dropped ${count} invalid ${kind} (${describe(this, action)})`);
  }

  setEstimate(done: number, total: number): void {
    this.phaseEstimate = total > 0 ? { done, total } : undefined;
  }

  /** Per-resource phases: the total is the resources in the sync; skipped ones count as done. */
  startEstimate(total: number): void {
    this.setEstimate(0, total);
  }

  advanceEstimate(count: number): void {
    if (this.phaseEstimate) this.phaseEstimate.done += count;
  }

  emit(event: ProgressEvent): void {
    this.options.onProgress?.(event);
  }

  /** Returns whether this starts a new phase. */
  enterPhase(op: ActionOp): boolean {
    const phase = phaseOf(op);
    if (phase === this.phase) return false;
    this.phase = phase;
    this.phaseEstimate = undefined;
    this.emit({ type: "phase", phase, at: this.clock.now() });
    return true;
  }

  pageDone(): void {
    this.pages++;
    const elapsedSeconds = Math.max(0.001, (this.clock.now() - this.startedAt) / 1000);
    const total = this.written.resourceTypes + this.written.resources + this.written.entitlements + this.written.grants;
    const event: ProgressEvent = {
      type: "progress",
      phase: this.phase ?? "init",
      written: { ...this.written },
      pages: this.pages,
      retries: this.retries,
      rate: total / elapsedSeconds,
      at: this.clock.now(),
    };
    if (this.phaseEstimate) event.estimate = Math.min(1, this.phaseEstimate.done / this.phaseEstimate.total);
    this.emit(event);
  }

  async checkpoint(force: boolean): Promise<void> {
    const now = this.clock.now();
    const interval = this.options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
    if (!force && now - this.lastCheckpoint < interval) return;
    this.lastCheckpoint = now;
    const token = this.state.serialize();
    this.store.setSyncToken(token);
    this.emit({ type: "checkpoint", phase: this.phase ?? "init", at: now });
    await this.options.onCheckpoint?.(token);
  }

  tooManyWarnings(): boolean {
    const count = this.notFoundWarnings;
    if (this.options.maxWarnings !== undefined && count > this.options.maxWarnings) return true;
    const completed = this.state.completedActionsCount;
    return count > WARNING_FLOOR && (completed === 0 || count / completed > WARNING_RATIO);
  }
}

function phaseOf(op: ActionOp): SyncPhase {
  switch (op) {
    case "list-resource-types":
    case "list-resources":
    case "list-static-entitlements":
    case "list-entitlements":
    case "list-grants":
    case "grant-expansion":
    case "targeted-resource-sync":
    case "init":
      return op;
    default:
      return "init";
  }
}

export function describe(run: SyncRun, action: Pick<Action, "op" | "resourceTypeId" | "resourceId">): string {
  const context = run.errorContext(action);
  const parts = [`plugin ${context.plugin}`, `phase ${context.phase}`];
  if (context.resourceTypeId) parts.push(`resource type ${context.resourceTypeId}`);
  if (context.resourceId) parts.push(`resource ${context.resourceId}`);
  return parts.join(", ");
}

function syncTypeFor(options: SyncOptions): SyncType {
  if (options.targetResources && options.targetResources.length > 0) return "partial";
  if (options.resourcesOnly) return "resources_only";
  return "full";
}

function validateOptions(options: SyncOptions): void {
  if (options.workers !== undefined && (!Number.isInteger(options.workers) || options.workers < -1)) {
    throw new Error(`workers must be a positive integer, 0 or -1, not ${options.workers}`);
  }
}

/** Go's NormalizeWorkerCount: 0 ⇒ 1; -1 ⇒ 4. */
function workerCount(workers: number | undefined): number {
  if (workers === undefined || workers === 0) return 1;
  if (workers < 0) return 4;
  return workers;
}

/** Starts a sync, or resumes the store's unfinished one of the same type (< 7 days old). */
function startOrResume(
  options: SyncOptions,
  syncType: SyncType,
): { syncId: string; state: SyncState; resumed: boolean } {
  const store = options.store;
  if (syncType !== "partial") {
    const unfinished =
      store.currentSyncId !== undefined ? store.getSync(store.currentSyncId) : store.latestUnfinishedSync(syncType);
    if (unfinished && unfinished.endedAt === null && unfinished.syncType === syncType) {
      if (store.currentSyncId !== unfinished.syncId) store.resumeSync(unfinished.syncId);
      const state = SyncState.parse(unfinished.syncToken);
      // A finished-looking token with an empty stack restarts from init, as Go does.
      if (state.size === 0) state.push({ op: "init" });
      return { syncId: unfinished.syncId, state, resumed: true };
    }
  }
  const parent = syncType === "partial" ? (store.latestFinishedSync("full")?.syncId ?? "") : "";
  const syncId = store.startSync(syncType, parent);
  return { syncId, state: SyncState.fresh(), resumed: false };
}

function isPerResource(action: Action): boolean {
  return action.resourceTypeId !== "" || action.resourceId !== "";
}

/**
 * Runs one page of a root action, or a per-resource action to completion (Go's
 * workers keep paging their own action); children go on the stack for later.
 */
async function drainAction(run: SyncRun, id: string, first: Action): Promise<void> {
  let action: Action | undefined = first;
  const sizeAtStart = run.state.size;
  while (action) {
    if (run.signal.aborted) throw run.signal.reason;
    try {
      await runAction(run, action);
    } catch (error) {
      if (error instanceof NotFoundError && isPerResource(action)) {
        run.notFoundWarnings++;
        run.warn(`not found, skipped: ${errorMessage(error)} (${describe(run, action)})`);
        if (run.state.has(id)) run.state.finish(id);
        return;
      }
      if (error instanceof SyncError || error instanceof TransientError) throw error;
      if (run.signal.aborted && error === run.signal.reason) throw error;
      throw new SyncError(errorMessage(error), run.errorContext(action), { cause: error });
    }
    run.pageDone();
    if (!isPerResource(first)) return;
    await run.checkpoint(false);
    // Yield when children pile up, so they run first and the checkpoint stays small.
    if (run.state.size - sizeAtStart > YIELD_AFTER_CHILDREN) return;
    action = run.state.find(id);
  }
}

/** Up to `workers` actions at once from a batch of same-op per-resource actions (Go's syncParallel). */
async function runBatch(run: SyncRun, batch: Action[], workers: number): Promise<void> {
  const queue = [...batch];
  const failures: unknown[] = [];
  const worker = async () => {
    for (;;) {
      if (failures.length > 0) return;
      const next = queue.shift();
      if (!next) return;
      try {
        await drainAction(run, next.id, next);
      } catch (error) {
        failures.push(error);
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(workers, queue.length) }, worker));
  if (failures.length > 0) throw failures[0];
}

export async function runSync(given: SyncOptions): Promise<SyncResult> {
  validateOptions(given);
  // Shape-checked here, the one place every trigger (CLI, HTTP, cron) passes through.
  const options: SyncOptions = { ...given, plugin: withOutputValidation(given.plugin) };
  const clock = options.clock ?? systemClock;
  const store = options.store;
  const syncType = syncTypeFor(options);

  if (options.skipFullSync) {
    const startedAt = clock.now();
    const syncId = store.startSync("full");
    store.setSyncToken(new SyncState().serialize());
    store.cleanup(options.keepSyncs ?? 2);
    store.endSync();
    const zero = { resourceTypes: 0, resources: 0, entitlements: 0, grants: 0 };
    return {
      syncId,
      syncType: "full",
      resumed: false,
      written: zero,
      expandedGrants: 0,
      warnings: [],
      startedAt,
      endedAt: clock.now(),
    };
  }

  const { syncId, state, resumed } = startOrResume(options, syncType);
  const run = new SyncRun(options, syncType, syncId, state, resumed);
  const workers = workerCount(options.workers);

  if (!resumed && options.plugin.validate) {
    const validate = options.plugin.validate;
    await run.callPlugin({ op: "init", resourceTypeId: "", resourceId: "" }, () => validate(run.pluginContext()));
  }

  for (;;) {
    await run.checkpoint(false);
    if (run.tooManyWarnings()) {
      throw new SyncError(
        `too many warnings (${run.notFoundWarnings} not found); last: ${run.warnings.at(-1) ?? ""}`,
        run.errorContext(run.state.current() ?? { op: "init", resourceTypeId: "", resourceId: "" }),
      );
    }
    if (run.signal.aborted) throw run.signal.reason;
    const action = run.state.current();
    if (!action) break;
    const elapsed = clock.now() - run.startedAt;
    if (options.runDurationMs !== undefined && elapsed >= options.runDurationMs) {
      await run.checkpoint(true);
      throw new SyncNotCompleteError(syncId, elapsed);
    }
    // Phase boundaries always checkpoint (Go forces one after init; we do at every phase).
    if (run.enterPhase(action.op)) await run.checkpoint(true);
    if (isPerResource(action)) {
      await runBatch(run, run.state.peekMatching(action.op, MAX_BATCH), workers);
    } else {
      await drainAction(run, action.id, action);
    }
  }

  // Final checkpoint with an empty stack, then retention, then ended_at (Go's order).
  run.state.clear();
  await run.checkpoint(true);
  store.cleanup(options.keepSyncs ?? 2);
  store.endSync();
  run.emit({ type: "phase", phase: "done", at: clock.now() });
  return {
    syncId,
    syncType,
    resumed,
    written: { ...run.written },
    expandedGrants: run.expandedGrants,
    warnings: [...run.warnings],
    startedAt: run.startedAt,
    endedAt: clock.now(),
  };
}
