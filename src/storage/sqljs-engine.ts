/**
 * The sql.js engine: in-memory databases. On Node, Bun and Deno each database file lives on a
 * `ChunkedPageStore` under the paged FS (paged-sqljs.ts) instead of sql.js's MEMFS, which
 * keeps the file in one buffer grown by copying (×1.125 at a time, the old one garbage until
 * collected) and copies it whole again at `export()`: at 1M grants the sync peaked at 3.3×
 * the database. Workers keep MEMFS (see paged-sqljs-load.workerd.ts).
 */
import { inMemoryOnPages } from "#sqljs-paged";
import { ChunkedPageStore } from "./chunk-store.ts";
import { PagedDatabase } from "./paged-sqljs.ts";
import { memfsSqlJsEngine } from "./sqljs.ts";
import type { SqliteEngine } from "./types.ts";

/**
 * SQLite's page cache over the chunks: reads from them are cheap copies, but each is a call
 * out of wasm through the FS layers; 16 MiB (as file-backed databases, driver.ts) keeps the
 * hot b-tree pages in the wasm heap.
 */
const CACHE_KIB = 16 * 1024;

let engine: Promise<SqliteEngine> | undefined;

export function sqlJsEngine(): Promise<SqliteEngine> {
  engine ??= inMemoryOnPages ? chunkedEngine() : memfsSqlJsEngine();
  return engine;
}

async function chunkedEngine(): Promise<SqliteEngine> {
  const SQL = await PagedDatabase.module();
  return {
    name: "sqljs",
    open: (bytes) =>
      PagedDatabase.openLoaded(
        SQL,
        bytes && bytes.length > 0 ? ChunkedPageStore.from(bytes) : new ChunkedPageStore(),
        { cacheKiB: CACHE_KIB },
        true,
      ),
  };
}
