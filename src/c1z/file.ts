import { type FileHandle, open, readFile, rename, rm } from "node:fs/promises";
import type { ZstdStreamOptions } from "../compress/stream.ts";
import { type C1zOptions, openC1z } from "./open.ts";
import type { SqliteC1zStore } from "./sqlite-store.ts";
import { type C1zStreamResult, type ChunkSink, encodeC1zStream } from "./stream.ts";

/** Reads and opens a c1z file (Node, Bun, Deno; Workers have no filesystem). */
export async function readC1zFile(path: string, options: C1zOptions = {}): Promise<SqliteC1zStore> {
  const bytes = await readFile(path);
  return openC1z(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), options);
}

function tempPathFor(path: string): string {
  const suffix = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, "0")).join("");
  return `${path}.tmp-${suffix}`;
}

/**
 * Writes `<path>.tmp-<random>` through `fill`, fsyncs it, then renames it over `path`. On any
 * failure the temp file is removed and `path` is left exactly as it was.
 */
async function replaceFileAtomic<T>(path: string, fill: (handle: FileHandle) => Promise<T>): Promise<T> {
  const temp = tempPathFor(path);
  try {
    const handle = await open(temp, "wx", 0o644);
    let result: T;
    try {
      result = await fill(handle);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    return result;
  } catch (error) {
    await rm(temp, { force: true }).catch(() => {});
    throw error;
  }
}

/**
 * Writes `<path>.tmp-<random>`, fsyncs it, then renames it over `path`. On any failure the
 * temp file is removed and `path` is left exactly as it was.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  await replaceFileAtomic(path, (handle) => handle.writeFile(bytes));
}

/**
 * Writes the store as a c1z, atomically. A file-backed store is streamed from its database
 * file (bounded memory); an in-memory one is serialized and compressed whole.
 */
export async function writeC1zFile(path: string, store: SqliteC1zStore): Promise<{ bytes: number }> {
  if (store.path) {
    const result = await replaceFileAtomic(path, (handle) => encodeStoreFile(store, fileSink(handle)));
    return { bytes: result.c1zBytes };
  }
  // Compressed as a stream too: a one-shot wasm compressor cannot hold a database of a few GB.
  // sql.js on chunked pages hands out its chunks, so the file is not copied whole either.
  const sqlite = store.sqliteChunks();
  const result = await replaceFileAtomic(path, (handle) =>
    encodeC1zStream(sqlite, fileSink(handle), store.compression),
  );
  return { bytes: result.c1zBytes };
}

function fileSink(handle: FileHandle): ChunkSink {
  return async (chunk) => {
    let o = 0;
    while (o < chunk.length) o += (await handle.write(chunk, o, chunk.length - o)).bytesWritten;
  };
}

/** A file's bytes in order, `chunkSize` at a time, through one reused buffer. */
export async function* fileChunks(path: string, chunkSize = 1024 * 1024): AsyncGenerator<Uint8Array> {
  const handle = await open(path, "r");
  try {
    const buffer = new Uint8Array(chunkSize);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, chunkSize, null);
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

/** A SQLite database file (closed or checkpointed, so the file holds every page) as a c1z into `sink`. */
export function encodeSqliteFile(
  sqlitePath: string,
  sink: ChunkSink,
  options: ZstdStreamOptions = {},
): Promise<C1zStreamResult> {
  return encodeC1zStream(fileChunks(sqlitePath), sink, options);
}

/** Where a file-backed store's packed copy is made while its c1z is written (removed after). */
export function packedPathFor(sqlitePath: string): string {
  return `${sqlitePath}-packed`;
}

/**
 * A file-backed store's c1z into `sink`, streamed from its database file, or, after a cleanup,
 * from a packed copy beside it (VACUUM's result, written once: SqliteC1zStore.packInto) that
 * is removed afterwards. The store's own file is left as it is either way.
 */
export async function encodeStoreFile(store: SqliteC1zStore, sink: ChunkSink): Promise<C1zStreamResult> {
  const path = store.path;
  if (path === undefined) throw new Error("encodeStoreFile needs a file-backed store");
  // Every page must be in the file before it is read.
  store.commit();
  if (!store.packsOnWrite) return encodeSqliteFile(path, sink, store.compression);
  const packed = packedPathFor(path);
  // Left by a process killed while packing.
  await rm(packed, { force: true });
  try {
    store.packInto(packed);
    return await encodeSqliteFile(packed, sink, store.compression);
  } finally {
    await rm(packed, { force: true });
  }
}

/** SQLite file → zstd stream → c1z file, atomically; memory stays bounded whatever the file size. */
export function writeC1zFileFromSqlite(
  sqlitePath: string,
  c1zPath: string,
  options: ZstdStreamOptions = {},
): Promise<C1zStreamResult> {
  return replaceFileAtomic(c1zPath, (handle) => encodeSqliteFile(sqlitePath, fileSink(handle), options));
}
