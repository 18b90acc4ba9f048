/**
 * Keeping an unfinished sync outside the process. The engine writes its
 * resume point into the c1z (`v1_sync_runs.sync_token`) at each checkpoint,
 * so the c1z bytes taken at that moment are all a later run needs: open them
 * and call `runSync` again, and it continues the same sync. The Workers cron
 * (between invocations) and the HTTP API (across a restart) both keep those
 * bytes through a `CheckpointSink`.
 */
import type { C1zWriter } from "../c1z/store.ts";

/** Where the unfinished c1z of one sync (named by `Key`) is kept. */
export interface CheckpointSink<Key> {
  load(key: Key): Promise<Uint8Array | undefined>;
  save(key: Key, c1z: Uint8Array): Promise<void>;
  clear(key: Key): Promise<void>;
}

export interface PersistCheckpointsOptions<Key> {
  sink: CheckpointSink<Key>;
  key: Key;
  store: C1zWriter;
  now: () => number;
  /**
   * Minimum time between two saves. Serialising and compressing the whole
   * database is the costly part, so a save happens at an engine checkpoint
   * only when this much time passed since the last one (the first always saves).
   */
  minIntervalMs: number;
  /** A failed save is reported here and the sync goes on: the previous checkpoint stays usable. */
  onError(error: unknown): void;
  /** Called after each save, e.g. to tell a record it can be resumed now. */
  onSaved?(bytes: number): void | Promise<void>;
}

/**
 * An `onCheckpoint` for `runSync` that saves the store's bytes to the sink,
 * throttled. The engine awaits it before it touches the store again, so the
 * saved bytes are exactly the checkpointed state.
 */
export function persistCheckpoints<Key>(options: PersistCheckpointsOptions<Key>): () => Promise<void> {
  let last = Number.NEGATIVE_INFINITY;
  return async () => {
    const now = options.now();
    if (now - last < options.minIntervalMs) return;
    last = now;
    try {
      const bytes = options.store.toBytes();
      await options.sink.save(options.key, bytes);
      await options.onSaved?.(bytes.length);
    } catch (error) {
      options.onError(error);
    }
  };
}
