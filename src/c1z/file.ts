import { open, readFile, rename, rm } from "node:fs/promises";
import { type C1zOptions, openC1z } from "./open.ts";
import type { SqliteC1zStore } from "./sqlite-store.ts";

/** Reads and opens a c1z file (Node, Bun, Deno; Workers have no filesystem). */
export async function readC1zFile(path: string, options: C1zOptions = {}): Promise<SqliteC1zStore> {
  const bytes = await readFile(path);
  return openC1z(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), options);
}

/**
 * Writes `<path>.tmp-<random>`, fsyncs it, then renames it over `path`. On any failure the
 * temp file is removed and `path` is left exactly as it was.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const suffix = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, "0")).join("");
  const temp = `${path}.tmp-${suffix}`;
  try {
    const handle = await open(temp, "wx", 0o644);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => {});
    throw error;
  }
}

/** Serializes the store and writes it atomically. */
export async function writeC1zFile(path: string, store: SqliteC1zStore): Promise<void> {
  await writeFileAtomic(path, store.toBytes());
}
