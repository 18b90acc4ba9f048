/**
 * Uploading the c1z of a paged database (a Durable Object's storage on Workers): pages →
 * one zstd frame → multipart parts, so memory holds one part and the compressor's window,
 * never the database or the c1z.
 */
import { encodePagedC1z } from "../c1z/paged.ts";
import type { ZstdStreamOptions } from "../compress/stream.ts";
import type { PageStore } from "../storage/paged-store.ts";
import type { Destination } from "./destination.ts";
import type { SaveResult } from "./index.ts";
import { type StreamSaveOptions, saveC1zStream } from "./stream.ts";

export interface PagedUploadOptions extends StreamSaveOptions {
  compression?: ZstdStreamOptions;
}

export interface PagedUploadResult extends SaveResult {
  /** The SQLite file's size. */
  sqliteBytes: number;
  /** `native`/`wasm` zstd or `raw` blocks. */
  compression: string;
}

/** Saves the c1z of the database in `pages` at `location` (s3://, r2:// or a file). */
export async function uploadPagedC1z(
  pages: PageStore,
  location: string | Destination,
  options: PagedUploadOptions = {},
): Promise<PagedUploadResult> {
  let encoded: { contentBytes: number; method: string } | undefined;
  const saved = await saveC1zStream(
    location,
    async (write) => {
      encoded = await encodePagedC1z(pages, write, options.compression);
    },
    options,
  );
  return { ...saved, sqliteBytes: encoded?.contentBytes ?? 0, compression: encoded?.method ?? "raw" };
}
