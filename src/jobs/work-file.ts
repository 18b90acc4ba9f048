/**
 * Syncs through a file-backed native store (Node, Bun, Deno): the database lives in a
 * work file instead of in memory, each engine checkpoint commits it, and the finished
 * c1z is streamed from it to its destination. Memory stays bounded whatever the grant
 * count. The work file is also the sync's checkpoint: a killed process leaves the last
 * commit in it, and the next run that opens it resumes the unfinished sync. Destinations
 * are only ever replaced by a finished sync (atomic rename, completed multipart upload).
 *
 * Every trigger with a file engine uses it: the CLI (`<file>.work.db` beside a local `-f`,
 * `<work dir>/cli/` for s3:// and r2://), the HTTP API (`<data dir>/work/`), the cron
 * runner and service mode (`<work dir>/cron/`, `<work dir>/service/`).
 */
import { mkdir, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { C1zError } from "../c1z/errors.ts";
import { writeC1zFile } from "../c1z/file.ts";
import { SqliteC1zStore } from "../c1z/sqlite-store.ts";
import type { C1zWriter } from "../c1z/store.ts";
import { openC1zWorkFile, removeC1zWorkFile } from "../c1z/work-file.ts";
import { nativeEngine } from "../storage/index.ts";
import { readC1zBytesIfExists } from "../upload/local-file.ts";
import type { CheckpointStore, StoreSource, SyncDestination } from "./types.ts";

/** Whether this runtime has a native SQLite that opens files (else syncs stay in memory). */
export async function canUseWorkFile(): Promise<boolean> {
  return typeof (await nativeEngine())?.openFile === "function";
}

/**
 * Where the cron runner, service mode and the CLI's remote `-f` keep work files:
 * `BATON_WORK_DIR`, else `<os tmpdir>/baton-edge-work`. (The HTTP API keeps them in its
 * data directory, unless `BATON_WORK_DIR` says otherwise.)
 */
export async function workDirFrom(env: Record<string, unknown>): Promise<string> {
  const configured = env.BATON_WORK_DIR;
  if (typeof configured === "string" && configured !== "") return configured;
  // Loaded here only: node:os is needed where a file engine is, never on Workers.
  const { tmpdir } = await import("node:os");
  return join(tmpdir(), "baton-edge-work");
}

/** One sync's work file as pipeline seams. */
export interface WorkFileSync {
  workPath: string;
  store: StoreSource;
  /** `save` commits (the work file is the checkpoint); `clear` closes the store and removes the file. */
  checkpoints: CheckpointStore;
  /** Whether a run that was killed, stopped or failed left a work file with an unfinished, checkpointed sync. */
  resumable(): Promise<boolean>;
  /** Removes the work file (and SQLite's files beside it). */
  remove(): Promise<void>;
}

function fileExists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * The sync whose database lives at `workPath`. An existing work file that holds an
 * unfinished sync is reopened as it was left (the sync resumes); one whose sync finished
 * (its save failed) is discarded. A new work file starts from the c1z `load` returns
 * (the previous syncs to keep), decoded into it as a stream, or empty.
 */
export function workFileSync(workPath: string, load: () => Promise<Uint8Array | undefined>): WorkFileSync {
  let opened: SqliteC1zStore | undefined;
  const remove = async () => {
    opened?.close();
    await removeC1zWorkFile(workPath);
  };
  return {
    workPath,
    async resumable() {
      if (!(await fileExists(workPath))) return false;
      try {
        const left = await openC1zWorkFile(workPath);
        try {
          // A sync that never reached its first checkpoint has nothing worth resuming.
          return (left.latestUnfinishedSync()?.syncToken ?? "") !== "";
        } finally {
          left.close();
        }
      } catch {
        // Unreadable: `open` reports why, and a run that cannot resume starts over.
        return false;
      }
    },
    remove,
    store: {
      async open() {
        if (await fileExists(workPath)) {
          // A damaged work file would fail every run: the destination is intact, so start over from it.
          const left = await openC1zWorkFile(workPath).catch((error: unknown) => {
            if (error instanceof C1zError) return undefined;
            throw error;
          });
          if (left?.latestUnfinishedSync()) {
            opened = left;
            return left;
          }
          left?.close();
          await removeC1zWorkFile(workPath);
        }
        await mkdir(dirname(workPath), { recursive: true });
        const from = await load();
        opened = await openC1zWorkFile(workPath, from ? { from } : {});
        return opened;
      },
    },
    checkpoints: {
      // Every engine checkpoint already committed; this commits what a stop left open.
      async save(store: C1zWriter) {
        if (store instanceof SqliteC1zStore) store.commit();
      },
      clear: remove,
    },
  };
}

/**
 * A c1z opened for reading into its own database file at `dbPath` (decoded as a stream), so a
 * large c1z is not held in memory; the file is removed when the store is closed.
 */
export async function openC1zReadCopy(dbPath: string, c1z: Uint8Array): Promise<SqliteC1zStore> {
  await mkdir(dirname(dbPath), { recursive: true });
  await removeC1zWorkFile(dbPath);
  const store = await openC1zWorkFile(dbPath, { from: c1z });
  const close = store.close.bind(store);
  // The copy is only ever read: closing it is the end of the file.
  store.close = () => {
    close();
    void removeC1zWorkFile(dbPath);
  };
  return store;
}

export interface LocalWorkFile extends WorkFileSync {
  destination: SyncDestination;
}

export function workFilePath(c1zPath: string): string {
  return `${c1zPath}.work.db`;
}

/**
 * Streams the store's c1z into the file at `path` (temp file + rename). Only node:fs: the
 * HTTP server's state store uses it, and Deno's permissions keep the S3 SDK from loading there.
 */
export async function saveC1zFile(path: string, store: C1zWriter): Promise<{ destination: string; bytes: number }> {
  if (!(store instanceof SqliteC1zStore)) throw new Error("a c1z file is written from a SQLite c1z store");
  const { bytes } = await writeC1zFile(path, store);
  return { destination: path, bytes };
}

/** A sync into the local c1z at `c1zPath` through `<c1zPath>.work.db` (the CLI's `-f`). */
export function localWorkFile(c1zPath: string, workPath = workFilePath(c1zPath)): LocalWorkFile {
  return {
    ...workFileSync(workPath, () => readC1zBytesIfExists(c1zPath)),
    destination: { save: (store) => saveC1zFile(c1zPath, store) },
  };
}
