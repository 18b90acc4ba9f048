/**
 * Keeping an unfinished sync outside the process. The engine writes its
 * resume point into the c1z (`v1_sync_runs.sync_token`) at each checkpoint,
 * so the c1z bytes taken at that moment are all a later run needs: open them
 * and run the pipeline again, and it continues the same sync. The Workers cron
 * (between invocations) and the HTTP API (across a restart) both keep those
 * bytes in a `CheckpointSink`.
 */
import type { C1zWriter } from "../c1z/store.ts";
import type { StreamSaveOptions } from "../upload/stream.ts";
import type { CheckpointStore } from "./types.ts";

/** Where the unfinished c1z of one sync (named by `Key`) is kept, as bytes. */
export interface CheckpointSink<Key> {
  load(key: Key): Promise<Uint8Array | undefined>;
  save(key: Key, c1z: Uint8Array): Promise<void>;
  /**
   * Saves the store's c1z as a stream (a file-backed store, bounded memory); used instead of `save` where given.
   * `hooks` see the multipart upload it may start (to note it, so a killed run's upload can be aborted).
   */
  saveStore?(key: Key, store: C1zWriter, hooks?: UploadHooks): Promise<{ bytes: number }>;
  clear(key: Key): Promise<void>;
  /** The location (credentials included) the key's c1z is kept at, where it is one: to abort an upload left open there. */
  locate?(key: Key): string;
}

export type UploadHooks = Pick<StreamSaveOptions, "onMultipartCreated" | "onMultipartEnded">;

/** The checkpoint store of one sync in a keyed sink: the whole c1z, serialised at each save. */
export function checkpointsIn<Key>(
  sink: CheckpointSink<Key>,
  key: Key,
  onSaved?: (bytes: number) => void | Promise<void>,
  hooks?: UploadHooks,
): CheckpointStore {
  return {
    async save(store: C1zWriter) {
      if (sink.saveStore) {
        const { bytes } = await sink.saveStore(key, store, hooks);
        await onSaved?.(bytes);
        return;
      }
      const bytes = store.toBytes();
      await sink.save(key, bytes);
      await onSaved?.(bytes.length);
    },
    clear: () => sink.clear(key),
  };
}

export interface ThrottleOptions {
  now: () => number;
  /** Minimum time between two saves; the first always saves. */
  minIntervalMs: number;
  /** A failed save is reported here and the sync goes on: the previous checkpoint stays usable. */
  onError(error: unknown): void;
}

/**
 * An `onCheckpoint` for the engine that calls `save` at most every
 * `minIntervalMs`. The engine awaits it before it touches the store again, so
 * what is saved is exactly the checkpointed state.
 */
export function throttledSaves(save: () => Promise<void>, options: ThrottleOptions): () => Promise<void> {
  let last = Number.NEGATIVE_INFINITY;
  return async () => {
    const now = options.now();
    if (now - last < options.minIntervalMs) return;
    last = now;
    try {
      await save();
    } catch (error) {
      options.onError(error);
    }
  };
}
