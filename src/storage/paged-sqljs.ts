/**
 * sql.js with its database file on a `PageStore` (paged-fs.ts): memory stays at SQLite's
 * bounded page cache plus a few pages, at any database size. On Workers the store is a
 * Durable Object's SQLite storage, so the database also outlives the invocation.
 */
import { loadPagedSqlJs } from "#sqljs-paged";
import { ChunkedPageStore } from "./chunk-store.ts";
import { PagedFile, pageFilesIn } from "./paged-fs.ts";
import type { PagedSqlJs } from "./paged-sqljs-types.ts";
import { MemoryScratchStore, type PageStore, readPagedFile, type ScratchPageStore } from "./paged-store.ts";
import { SqlJsDb } from "./sqljs.ts";

export interface PagedOptions {
  /** SQLite's page cache (`PRAGMA cache_size = -KiB`). Default 4 MiB. */
  cacheKiB?: number;
  /** Clean pages the FS node keeps on top. Default 64. */
  filePages?: number;
  /** Stores for the journal and temp files. Default: the store's own `scratch()`, else memory. */
  scratch?: () => ScratchPageStore;
}

/**
 * The pragmas that make the paged file safe and bounded:
 * - journal_mode=TRUNCATE: the rollback journal is a file on a scratch store (the store's
 *   staged writes + atomic `sync()` at SQLite's commit fsync already give all-or-nothing
 *   commits; the journal only serves in-process rollback). An in-memory journal would hold
 *   the old copy of every page a transaction changes in the wasm heap: VACUUM changes all of
 *   them, so a 78 MB database grew the heap by 73 MB.
 * - synchronous=FULL: an fsync ends every commit, which is where the store commits.
 * - locking_mode=EXCLUSIVE: one connection owns the file, so SQLite keeps its cache across
 *   transactions instead of re-reading pages after every commit.
 * - cache_size: SQLite's page cache in the wasm heap, the one part that scales with use.
 * - temp_store=FILE: sorts, temporary indexes and VACUUM's copy of the database spill to
 *   temp files on scratch stores instead of growing the wasm heap (which never shrinks) or
 *   MEMFS (whose files are JS buffers that double as they grow).
 */
function pragmas(cacheKiB: number): string {
  return [
    "pragma journal_mode = truncate",
    "pragma synchronous = full",
    "pragma locking_mode = exclusive",
    `pragma cache_size = -${cacheKiB}`,
    "pragma temp_store = file",
  ]
    .map((p) => `${p};`)
    .join("\n");
}

let loading: Promise<PagedSqlJs> | undefined;

export interface WasmMemory {
  /** The wasm memory's size: it grows and never shrinks. */
  heapBytes: number;
  /** The part SQLite's allocator holds now (`sqlite3_memory_used`). */
  sqliteBytes: number;
}

const memoryOf = (SQL: PagedSqlJs): WasmMemory => ({ heapBytes: SQL.heapBytes(), sqliteBytes: SQL.sqliteBytes() });
let mounts = 0;
/** Scratch stores for temp files in /tmp: the most recently opened database's (see `open`). */
const tempScratch: (() => ScratchPageStore)[] = [];
const tempHooked = new WeakSet<object>();

function scratchFile(stores: () => ScratchPageStore): { file: PagedFile; onClose: () => void } {
  const store = stores();
  return { file: new PagedFile(store, 16), onClose: () => store.release() };
}

/** A sql.js database over `store`: empty if the store is, else the database it holds. */
export class PagedDatabase extends SqlJsDb {
  private constructor(
    db: SqlJsDb["db"],
    readonly store: PageStore,
    private readonly SQL: PagedSqlJs,
    private readonly file: PagedFile,
    private readonly cleanup: () => void,
    volatile: boolean,
  ) {
    super(db, [], volatile);
  }

  static async open(store: PageStore, options: PagedOptions = {}): Promise<PagedDatabase> {
    return PagedDatabase.openLoaded(await PagedDatabase.module(), store, options);
  }

  /** The generated FS-exposing sql.js, loaded once for the process. */
  static module(): Promise<PagedSqlJs> {
    loading ??= loadPagedSqlJs();
    return loading;
  }

  /**
   * `open` with the module at hand, so a synchronous engine can open databases.
   * `volatile`: nothing of the file outlives the process (VACUUM may skip its journal).
   */
  static openLoaded(SQL: PagedSqlJs, store: PageStore, options: PagedOptions = {}, volatile = false): PagedDatabase {
    const FS = SQL.FS;
    const dir = `/paged-${++mounts}`;
    const file = new PagedFile(store, options.filePages ?? 64);
    const scratch = options.scratch ?? store.scratch?.bind(store) ?? (() => new MemoryScratchStore(store.pageSize));
    FS.mkdir(dir);
    let claimed = false;
    // The first file is the database; the journal (`<db>-journal`) comes next, on scratch.
    pageFilesIn(FS, dir, () => {
      if (claimed) return scratchFile(scratch);
      claimed = true;
      return { file };
    });
    // SQLite's temp files go to /tmp (one directory for the module): they page into the
    // scratch stores of the database opened last that is still open. A Worker has one.
    if (!tempHooked.has(FS)) {
      tempHooked.add(FS);
      pageFilesIn(FS, "/tmp", () => {
        const stores = tempScratch.at(-1);
        return stores ? scratchFile(stores) : undefined;
      });
    }
    tempScratch.push(scratch);
    const previous = FS.cwd();
    let db: SqlJsDb["db"];
    // sql.js opens `dbfile_<random>` relative to the cwd, so it lands in `dir`.
    FS.chdir(dir);
    try {
      db = new SQL.Database();
    } finally {
      FS.chdir(previous);
    }
    const name = (db as unknown as { filename: string }).filename;
    // sql.js's close() unlinks `/<filename>`: give it one to remove.
    FS.writeFile(`/${name}`, new Uint8Array(0));
    const cleanup = () => {
      const at = tempScratch.lastIndexOf(scratch);
      if (at >= 0) tempScratch.splice(at, 1);
      for (const path of [`${dir}/${name}`, dir]) {
        try {
          if (path === dir) FS.rmdir(path);
          else FS.unlink(path);
        } catch {
          // already gone
        }
      }
    };
    if (!claimed) {
      db.close();
      cleanup();
      throw new Error("sql.js did not create its database file in the paged directory");
    }
    try {
      db.exec(`pragma page_size = ${store.pageSize};\n${pragmas(options.cacheKiB ?? 4096)}`);
      db.exec("select count(*) from sqlite_master");
    } catch (error) {
      db.close();
      cleanup();
      throw error;
    }
    return new PagedDatabase(db, store, SQL, file, cleanup, volatile);
  }

  /** SQLite reports a failing page store as "disk I/O error": say what failed. */
  override exec(sql: string): void {
    try {
      super.exec(sql);
    } catch (error) {
      throw this.withStoreFailure(error);
    }
  }

  override transaction<T>(fn: () => T): T {
    try {
      return super.transaction(fn);
    } catch (error) {
      throw this.withStoreFailure(error);
    }
  }

  private withStoreFailure(error: unknown): unknown {
    const failure = this.file.failure;
    if (failure === undefined || !(error instanceof Error) || !/I\/O/.test(error.message)) return error;
    this.file.failure = undefined;
    const cause = failure instanceof Error ? failure.message : String(failure);
    return new Error(`${error.message}: the page store failed: ${cause}`, { cause: failure });
  }

  /** The whole file as one array (tests, small databases); uploads stream it with `fileChunks`. */
  override serialize(): Uint8Array {
    const out = new Uint8Array(this.store.size());
    let offset = 0;
    for (const chunk of this.fileChunks()) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }

  /**
   * The file in order, a chunk at a time, without copying it whole: views of the chunks of a
   * `ChunkedPageStore`, else pages read into one fresh chunk at a time. Valid until the next write.
   */
  fileChunks(): Iterable<Uint8Array> {
    return this.store instanceof ChunkedPageStore ? this.store.chunkViews() : readPagedFile(this.store);
  }

  override close(): void {
    try {
      super.close();
    } finally {
      this.cleanup();
    }
  }

  /** Bytes of the wasm heap (it grows, never shrinks): what sql.js itself costs. */
  static async heapBytes(): Promise<number> {
    return (await PagedDatabase.memory()).heapBytes;
  }

  /** The wasm heap's size and the part of it SQLite's allocator holds now. */
  static async memory(): Promise<WasmMemory> {
    loading ??= loadPagedSqlJs();
    return memoryOf(await loading);
  }

  /** `memory()` without waiting: an open database has the module loaded. */
  memory(): WasmMemory {
    return memoryOf(this.SQL);
  }
}
