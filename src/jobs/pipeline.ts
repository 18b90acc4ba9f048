/**
 * The one sync pipeline every trigger calls: open the store, connect the
 * plugin, run the engine with checkpoints, save the finished c1z, close.
 * Triggers keep only what is their own (flags, routes, the schedule, records)
 * and pass the rest as seams (src/jobs/types.ts).
 *
 * A sync either finishes (saved to the destination, checkpoint cleared), stops
 * (the `stop` signal or `runDurationMs`: the unfinished c1z goes to the
 * checkpoint store for a later run to resume), or fails (throws; the
 * destination keeps its last good c1z).
 */
import type { C1zWriter } from "../c1z/store.ts";
import { type Logger, silentLogger } from "../log/index.ts";
import { type ConnectedPlugin, connectPlugin } from "../plugins/connect.ts";
import { runSync } from "../sync/engine.ts";
import { SyncNotCompleteError } from "../sync/errors.ts";
import type { ObjectCounts, SyncResult } from "../sync/types.ts";
import { systemClock } from "../upstream/clock.ts";
import { retryingFetch } from "../upstream/fetch.ts";
import { throttledSaves } from "./checkpoints.ts";
import type { CheckpointStore, ConnectorSyncOptions, ConnectorSyncOutcome, SyncEntry } from "./types.ts";

export async function runConnectorSync(entry: SyncEntry, options: ConnectorSyncOptions): Promise<ConnectorSyncOutcome> {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? silentLogger;
  const signal = combinedSignal(options.signal, options.stop);
  let connected: ConnectedPlugin | undefined;
  const store = await options.store.open();
  try {
    connected = await connectPlugin(entry.plugin, entry.config, {
      log,
      fetch: options.fetch ?? retryingFetch({ now: clock.now }),
      signal,
      state: options.pluginState,
    });
    let result: SyncResult;
    try {
      result = await runSync({
        ...options.scope,
        plugin: entry.plugin,
        client: connected.client,
        store,
        fetch: connected.ctx.fetch,
        clock,
        signal,
        log,
        onProgress: options.onProgress,
        onCheckpoint: checkpointSaver(store, options, log, clock.now),
        checkpointIntervalMs: options.checkpointIntervalMs,
        runDurationMs: options.runDurationMs,
      });
    } catch (error) {
      const reason = stopReason(error, options);
      if (reason === undefined) throw error;
      return await keepUnfinished(store, options.checkpoints, reason);
    }
    const totals = result.resumed ? countsInStore(store, result.syncId) : { ...result.written };
    const saved = await options.destination.save(store, result);
    await options.checkpoints?.clear();
    return { status: "finished", result, totals, saved };
  } finally {
    // A plugin that fails to close has done its work: the outcome stands.
    await connected
      ?.close()
      .catch((error: unknown) =>
        log.warn("plugin close failed", { error: error instanceof Error ? error.message : String(error) }),
      );
    store.close();
  }
}

function combinedSignal(...signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const given = signals.filter((s): s is AbortSignal => s !== undefined);
  return given.length > 1 ? AbortSignal.any(given) : given[0];
}

/** Why the sync stopped short on purpose, or undefined when it failed. */
function stopReason(error: unknown, options: ConnectorSyncOptions): string | undefined {
  if (error instanceof SyncNotCompleteError) return error.message;
  if (options.stop?.aborted && !options.signal?.aborted) {
    const reason: unknown = options.stop.reason;
    return reason instanceof Error ? reason.message : String(reason);
  }
  return undefined;
}

async function keepUnfinished(
  store: C1zWriter,
  checkpoints: CheckpointStore | undefined,
  reason: string,
): Promise<ConnectorSyncOutcome> {
  const syncId = store.latestUnfinishedSync()?.syncId;
  if (checkpoints) await checkpoints.save(store);
  return { status: "checkpointed", syncId, reason, kept: checkpoints !== undefined };
}

function checkpointSaver(
  store: C1zWriter,
  options: ConnectorSyncOptions,
  log: Logger,
  now: () => number,
): (() => Promise<void>) | undefined {
  const { checkpoints, checkpointSaveIntervalMs } = options;
  if (!checkpoints || checkpointSaveIntervalMs === undefined) return undefined;
  return throttledSaves(() => checkpoints.save(store), {
    now,
    minIntervalMs: checkpointSaveIntervalMs,
    onError: (error) =>
      log.warn("could not save the sync's checkpoint; a restart resumes from the previous one", {
        error: error instanceof Error ? error.message : String(error),
      }),
  });
}

/** A resumed run wrote only what was left, so the sync's totals come from the c1z's tables. */
export function countsInStore(store: C1zWriter, syncId: string): ObjectCounts {
  const stats = store.stats(syncId);
  return {
    resourceTypes: stats.resource_types ?? 0,
    resources: stats.resources ?? 0,
    entitlements: stats.entitlements ?? 0,
    grants: stats.grants ?? 0,
  };
}
