/**
 * A sync into a local c1z through a file-backed native store: the database lives in
 * `<c1z>.work.db` next to the c1z instead of in memory, each engine checkpoint commits
 * it, and the finished c1z is streamed from it. Memory stays bounded whatever the
 * grant count, and a killed process leaves the last checkpoint in the work file, which
 * the next run opens and resumes. The c1z itself is only ever replaced atomically by a
 * finished sync.
 */
import { stat } from "node:fs/promises";
import { writeC1zFile } from "../c1z/file.ts";
import { SqliteC1zStore } from "../c1z/sqlite-store.ts";
import { openC1zWorkFile, removeC1zWorkFile } from "../c1z/work-file.ts";
import { nativeEngine } from "../storage/index.ts";
import { readC1zBytesIfExists } from "../upload/local-file.ts";
import type { CheckpointStore, StoreSource, SyncDestination } from "./types.ts";

export interface LocalWorkFile {
  store: StoreSource;
  destination: SyncDestination;
  /** `clear()` removes the work file once the c1z is saved. */
  checkpoints: CheckpointStore;
  workPath: string;
}

/** Whether this runtime has a native SQLite that opens files (else syncs stay in memory). */
export async function canUseWorkFile(): Promise<boolean> {
  return typeof (await nativeEngine())?.openFile === "function";
}

export function workFilePath(c1zPath: string): string {
  return `${c1zPath}.work.db`;
}

export function localWorkFile(c1zPath: string, workPath = workFilePath(c1zPath)): LocalWorkFile {
  let opened: SqliteC1zStore | undefined;
  return {
    workPath,
    store: {
      async open() {
        // An existing work file is what a killed or failed run left (its unfinished sync resumes):
        // it wins over the c1z, which is decoded into a new work file otherwise.
        const resuming = await stat(workPath).then(
          () => true,
          () => false,
        );
        const from = resuming ? undefined : await readC1zBytesIfExists(c1zPath);
        opened = await openC1zWorkFile(workPath, from ? { from } : {});
        return opened;
      },
    },
    destination: {
      async save(store) {
        if (!(store instanceof SqliteC1zStore)) throw new Error("a work-file destination saves a SQLite c1z store");
        const { bytes } = await writeC1zFile(c1zPath, store);
        return { destination: c1zPath, bytes };
      },
    },
    checkpoints: {
      // Every engine checkpoint already committed the work file.
      async save(store) {
        if (store instanceof SqliteC1zStore) store.commit();
      },
      async clear() {
        opened?.close();
        await removeC1zWorkFile(workPath);
      },
    },
  };
}
