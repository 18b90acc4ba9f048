/** Sync destinations: where a finished sync's c1z goes. */
import { encodeStoreFile } from "../c1z/file.ts";
import { SqliteC1zStore } from "../c1z/sqlite-store.ts";
import type { C1zWriter } from "../c1z/store.ts";
import { encodeC1zStream } from "../c1z/stream.ts";
import type { SyncResult } from "../sync/types.ts";
import { type SaveResult, saveC1z } from "../upload/index.ts";
import { type ChunkWriter, type StreamSaveOptions, saveC1zStream } from "../upload/stream.ts";
import type { SyncDestination } from "./types.ts";

/** A file-backed store's database file, and its c1z written as a stream. */
export interface FileBackedC1z {
  /** The database file. */
  path: string;
  /** Writes the c1z into `write`: the file read in chunks → one zstd frame (bounded memory). */
  produce(write: ChunkWriter): Promise<void>;
}

/** The store as a `FileBackedC1z`, or undefined when its database is in memory. */
export function fileBackedC1z(store: C1zWriter): FileBackedC1z | undefined {
  if (!(store instanceof SqliteC1zStore) || store.path === undefined) return undefined;
  const path = store.path;
  return {
    path,
    async produce(write) {
      await encodeStoreFile(store, write);
    },
  };
}

/**
 * An in-memory store whose database hands out its chunks (sql.js on chunked pages, Node/Bun/Deno):
 * its c1z written as a stream from them, with no whole copy of the database. Else undefined.
 */
export function chunkedC1z(store: C1zWriter): ((write: ChunkWriter) => Promise<void>) | undefined {
  if (!(store instanceof SqliteC1zStore) || store.path !== undefined || !store.streamsChunks) return undefined;
  return async (write) => {
    await encodeC1zStream(store.sqliteChunks(), write, store.compression);
  };
}

/**
 * Saves the store's c1z at a location. A file-backed store streams from its database
 * file, sql.js on chunked pages from its chunks: to a temp file renamed over the target, or
 * as a multipart upload (aborted on any failure). Other in-memory stores (workerd's sql.js,
 * native in memory) are serialized and saved whole.
 */
export function saveStoreC1z(location: string, store: C1zWriter, options: StreamSaveOptions = {}): Promise<SaveResult> {
  const produce = fileBackedC1z(store)?.produce ?? chunkedC1z(store);
  return produce ? saveC1zStream(location, produce, options) : saveC1z(location, store.toBytes(), options);
}

/**
 * A c1z location (a path, `s3://…`, `r2://…`), fixed or chosen once the sync id
 * is known (a key template). Files are written atomically and multipart uploads
 * aborted on failure, so a failed save never replaces a good c1z.
 */
export function locationDestination(
  location: string | ((result: SyncResult) => string),
  options: StreamSaveOptions = {},
): SyncDestination {
  return {
    save: (store, result) => saveStoreC1z(typeof location === "string" ? location : location(result), store, options),
  };
}
