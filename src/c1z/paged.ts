/**
 * A c1z store whose SQLite file lives in a `PageStore` (sql.js on a paged FS node): memory
 * stays bounded at any sync size, and on Workers the database outlives the invocation.
 * Every SQLite commit is a commit of the page store, so a step that dies keeps the last one.
 */
import type { ZstdStreamOptions } from "../compress/stream.ts";
import { PagedDatabase, type PagedOptions } from "../storage/paged-sqljs.ts";
import { type PageStore, readPagedFile } from "../storage/paged-store.ts";
import { prepareC1zDatabase } from "./migrate.ts";
import { SqliteC1zStore, type StoreOptions } from "./sqlite-store.ts";
import { type C1zStreamResult, type ChunkSink, encodeC1zStream } from "./stream.ts";

export interface PagedC1zOptions extends StoreOptions, PagedOptions {}

/** Opens the c1z database held in `pages`, or creates an empty one if the store is empty. */
export async function openPagedC1z(pages: PageStore, options: PagedC1zOptions = {}): Promise<SqliteC1zStore> {
  const fresh = pages.size() === 0;
  const db = await PagedDatabase.open(pages, options);
  prepareC1zDatabase(db, fresh, "paged c1z");
  return new SqliteC1zStore(db, options);
}

/**
 * The c1z of the database in `pages` (`C1ZF\0` + one zstd frame), read page by page into
 * `sink`. Call it with no transaction open (the store's committed pages are the database).
 */
export function encodePagedC1z(
  pages: PageStore,
  sink: ChunkSink,
  options: ZstdStreamOptions = {},
): Promise<C1zStreamResult> {
  return encodeC1zStream(readPagedFile(pages), sink, options);
}
