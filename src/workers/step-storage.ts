/**
 * Where a multi-step sync's database lives between two steps. The seam has two
 * sides: a step opens the store (the unfinished sync, or a fresh one), and at
 * its end saves it, atomically with the job row that says which step comes
 * next, so a step killed half-way leaves the previous checkpoint intact.
 *
 * `wholeC1zStepStorage` keeps the whole c1z as chunks in the object's SQLite
 * storage and reloads it into memory at every step.
 */
import { openC1z } from "../c1z/index.ts";
import type { C1zWriter } from "../c1z/store.ts";
import type { DurableObjectStorage } from "./platform.ts";
import type { ObjectTables } from "./tables.ts";

export interface StepStorage {
  /** True when an earlier step saved a store. */
  hasCheckpoint(): boolean;
  /** The store the last step saved, or `fresh()` when there is none. */
  open(fresh: () => Promise<C1zWriter>): Promise<C1zWriter>;
  /** Saves the store; `alongside` runs in the same storage transaction (the job row update). */
  save(store: C1zWriter, alongside: () => void): void;
  /** Drops the saved store, with `alongside` in the same transaction. */
  clear(alongside: () => void): void;
  /** Stored bytes, for the figures in the logs. */
  size(): number;
}

const CHECKPOINT = "checkpoint";

export function wholeC1zStepStorage(storage: DurableObjectStorage, tables: ObjectTables): StepStorage {
  return {
    hasCheckpoint: () => tables.blobSize(CHECKPOINT) !== undefined,
    async open(fresh) {
      const bytes = tables.blob(CHECKPOINT);
      return bytes ? openC1z(bytes) : fresh();
    },
    save(store, alongside) {
      const bytes = store.toBytes();
      storage.transactionSync(() => {
        tables.putBlob(CHECKPOINT, bytes);
        alongside();
      });
    },
    clear(alongside) {
      storage.transactionSync(() => {
        tables.deleteBlob(CHECKPOINT);
        alongside();
      });
    },
    size: () => tables.blobSize(CHECKPOINT) ?? 0,
  };
}
