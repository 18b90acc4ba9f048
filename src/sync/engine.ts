/**
 * The sync engine: Baton's action stack run against a plugin, written into a
 * C1zWriter (baton-model.md §2). One `runSync` starts a sync or resumes the
 * unfinished one in the store, checkpoints its state into
 * `v1_sync_runs.sync_token`, and ends it.
 */
import type { SyncType } from "../c1z/store.ts";
import { withOutputValidation } from "../plugins/validated.ts";
import { systemClock } from "../upstream/clock.ts";
import { NotFoundError, TransientError } from "../upstream/errors.ts";
import { errorMessage, SyncError, SyncNotCompleteError } from "./errors.ts";
import { runAction } from "./phases.ts";
import { DEFAULT_CHECKPOINT_INTERVAL_MS, describe, SyncRun } from "./run.ts";

export { DEFAULT_CHECKPOINT_INTERVAL_MS };

import { type Action, SyncState } from "./state.ts";
import type { SyncOptions, SyncResult } from "./types.ts";

/** Pending child actions after which a listing yields to them. */
const YIELD_AFTER_CHILDREN = 100;
/** Go's PeekMatchingActions cap. */
const MAX_BATCH = 100;

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
      const state = SyncState.parse(unfinished.syncToken);
      if (store.currentSyncId !== unfinished.syncId) {
        store.resumeSync(unfinished.syncId, { keepGrantIndexes: state.finishing });
      }
      // A finished-looking token with an empty stack restarts from init, as Go does, unless it is
      // ours and the store's end work had begun (then only that is left).
      if (state.size === 0 && !state.finishing) state.push({ op: "init" });
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
  run.state.finishing = true;
  await run.checkpoint(true);
  // The grant indexes come back a unit at a time, each committed: a step budget can end between them.
  while (store.finishStep()) {
    // A turn of the event loop between units: workerd moves Date.now() only across I/O, and a
    // unit is seconds of synchronous SQLite (at 1M grants the budget was never seen to pass).
    await new Promise((resolve) => setTimeout(resolve, 0));
    const elapsed = clock.now() - run.startedAt;
    if (options.runDurationMs !== undefined && elapsed >= options.runDurationMs) {
      await run.checkpoint(true);
      throw new SyncNotCompleteError(syncId, elapsed);
    }
  }
  // The finished sync keeps Go's final token.
  run.state.finishing = false;
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
