/**
 * Where a multi-step sync's database lives between two steps: sql.js on a
 * paged file whose pages are rows of the object's own SQLite storage
 * (`DurableObjectPageStore`, src/storage/paged-store.ts). Memory holds
 * SQLite's bounded page cache, never the whole database, and every SQLite
 * commit is one storage transaction, so a step killed at any point leaves the
 * database as of its last commit; the engine resumes from the checkpoint token
 * inside it (`v1_sync_runs.sync_token`). The c1z is streamed out of the pages
 * (serialize → zstd → multipart parts), never built in memory.
 */
import { encodePagedC1z, openPagedC1z } from "../c1z/paged.ts";
import type { C1zWriter } from "../c1z/store.ts";
import { DurableObjectPageStore } from "../storage/paged-store.ts";
import type { SaveResult } from "../upload/index.ts";
import { uploadPagedC1z } from "../upload/paged.ts";
import { MIN_PART_SIZE, partSizeFrom } from "../upload/s3.ts";
import type { StreamSaveOptions } from "../upload/stream.ts";
import type { DurableObjectStorage } from "./platform.ts";

export interface StepStorage {
  /** Empties the database, for a new sync. */
  reset(): void;
  /** The database as the last commit left it (a new, empty c1z when there is none). */
  open(): Promise<C1zWriter>;
  /** Runs `alongside` (the job row's update) in one transaction; the database's commits are durable already. */
  save(alongside: () => void): void;
  /** Runs `alongside`, then drops the database: the sync is over. */
  clear(alongside: () => void): void;
  /** Streams the c1z of the committed database to a c1z location (`s3://`, `r2://`). */
  upload(location: string, options: StreamSaveOptions): Promise<SaveResult>;
  /** Streams the c1z of the committed database into `write`, chunk by chunk. */
  encode(write: (chunk: Uint8Array) => Promise<void>): Promise<number>;
  /** Bytes of the database, for the figures in the logs. */
  size(): number;
}

/**
 * SQLite's page cache for a sync's database, in the wasm heap (which never shrinks). 2 MiB,
 * as in bench/workers.ts: every page of the cache is resident once used, and most reads are
 * whole-file scans (index builds, VACUUM, the upload) that no cache of this size holds. At
 * 100k grants on workerd, 2 MiB instead of 4 MiB read 16% more pages in the same wall time
 * and lowered the peak by 4–7 MB (100.2, 100.2 MB above idle against 104.4–107.6); 16 MiB
 * saved only 5% of the page reads and grew the heap 22 → 46 MB.
 */
const CACHE_KIB = 2 * 1024;

export function pagedStepStorage(storage: DurableObjectStorage): StepStorage {
  const pages = new DurableObjectPageStore(storage, "sync_db");
  return {
    reset: () => pages.clear(),
    open: () => openPagedC1z(pages, { cacheKiB: CACHE_KIB }),
    save(alongside) {
      storage.transactionSync(alongside);
    },
    clear(alongside) {
      storage.transactionSync(alongside);
      pages.clear();
    },
    upload: (location, options) =>
      uploadPagedC1z(pages, location, {
        ...options,
        // S3's smallest part unless BATON_S3_PART_SIZE_MB says otherwise: on workerd a part costs three to
        // four times its size at the upload's peak (1M grants, over the sync's other steps: +19 MB with
        // 5 MiB parts, +25 MB with 8 MiB, +64 MB with 16 MiB).
        partSize: options.partSize ?? partSizeFrom(options.env ?? {}, MIN_PART_SIZE),
      }),
    async encode(write) {
      const encoded = await encodePagedC1z(pages, write);
      return encoded.c1zBytes;
    },
    size: () => pages.size(),
  };
}
