/**
 * The bytes of one database file as numbered pages, behind a synchronous interface
 * (Emscripten's FS calls are synchronous, and so are Durable Object SQL calls).
 *
 * Writes are staged: readers see them at once, but they become the durable state only
 * at `sync()`, which must be atomic. SQLite calls fsync at the end of every commit, so
 * the committed state of a store is always the database as of its last commit, and a
 * process that dies mid-transaction leaves exactly that behind.
 */
export interface PageStore {
  /** Bytes per page; every page but possibly the last is full. */
  readonly pageSize: number;
  /** The file size in bytes, staged writes included. */
  size(): number;
  /** Page `index` as last written, or `undefined` if it was never written (reads as zeros). */
  readPage(index: number): Uint8Array | undefined;
  /**
   * Stages a whole page (`pageSize` bytes). The store may keep `page`: callers pass a fresh
   * array, unless `copiesPages` says the store copies it before returning.
   */
  writePage(index: number, page: Uint8Array): void;
  /**
   * The store copies a page at `writePage` (a Durable Object binds it into SQLite), so the
   * caller may reuse one array for every write: on workerd each fresh 4 KiB array is native
   * memory until V8 collects it, and a 78 MB database wrote 180 MB of them.
   */
  readonly copiesPages?: boolean;
  /** Stages a new file size: pages past it are dropped at `sync()`. */
  setSize(bytes: number): void;
  /** Makes every staged change the committed state, all or nothing. */
  sync(): void;
  /** Drops the staged changes: back to the last committed state. */
  rollback(): void;
  /**
   * A new, empty store for a file SQLite opens next to this one (its rollback journal, a
   * temporary file of a sort or of VACUUM), so those stay out of memory too. Absent: in memory.
   */
  scratch?(): ScratchPageStore;
}

/**
 * The pages of a file that lives only while SQLite has it open. Nothing in it needs to
 * outlive the process: the database's own store commits atomically, so a rollback journal
 * left by a dead process must NOT be replayed (it would undo a committed transaction).
 */
export interface ScratchPageStore extends PageStore {
  /** The file was closed: drop its pages. */
  release(): void;
}

export const DEFAULT_PAGE_SIZE = 4096;

function checkPage(store: PageStore, index: number, page: Uint8Array): void {
  if (!Number.isInteger(index) || index < 0) throw new RangeError(`page index ${index} is not a whole number ≥ 0`);
  if (page.byteLength !== store.pageSize) {
    throw new RangeError(`page ${index} has ${page.byteLength} bytes, the store's page size is ${store.pageSize}`);
  }
}

/**
 * Pages in a Map: for tests and for Node, Bun and Deno, where memory is not the limit.
 * `committed()` hands out what a process that died now would leave behind.
 */
export class MemoryPageStore implements PageStore {
  private readonly pages: Map<number, Uint8Array>;
  private committedSize: number;
  private readonly staged = new Map<number, Uint8Array>();
  private stagedSize: number;
  /** Counts `sync()` calls, so tests can see SQLite's commits. */
  syncs = 0;

  constructor(
    readonly pageSize = DEFAULT_PAGE_SIZE,
    from?: { pages: Map<number, Uint8Array>; size: number },
  ) {
    this.pages = new Map(from?.pages);
    this.committedSize = from?.size ?? 0;
    this.stagedSize = this.committedSize;
  }

  size(): number {
    return this.stagedSize;
  }

  readPage(index: number): Uint8Array | undefined {
    if (index * this.pageSize >= this.stagedSize) return undefined;
    return this.staged.get(index) ?? this.pages.get(index);
  }

  writePage(index: number, page: Uint8Array): void {
    checkPage(this, index, page);
    this.staged.set(index, page);
  }

  setSize(bytes: number): void {
    this.stagedSize = bytes;
  }

  sync(): void {
    for (const [index, page] of this.staged) this.pages.set(index, page);
    this.staged.clear();
    const pageCount = Math.ceil(this.stagedSize / this.pageSize);
    for (const index of this.pages.keys()) if (index >= pageCount) this.pages.delete(index);
    this.committedSize = this.stagedSize;
    this.syncs++;
  }

  rollback(): void {
    this.staged.clear();
    this.stagedSize = this.committedSize;
  }

  scratch(): ScratchPageStore {
    return new MemoryScratchStore(this.pageSize);
  }

  /** A new store holding only the committed state: this one after a crash. */
  committed(): MemoryPageStore {
    return new MemoryPageStore(this.pageSize, { pages: this.pages, size: this.committedSize });
  }
}

/** A scratch file's pages in a Map. */
export class MemoryScratchStore extends MemoryPageStore implements ScratchPageStore {
  release(): void {
    this.setSize(0);
    this.sync();
  }
}

/** The part of a Durable Object's `SqlStorageCursor` we use. */
export interface SqlCursorLike {
  toArray(): Record<string, unknown>[];
}

/** `ctx.storage.sql` of a SQLite-backed Durable Object (synchronous). */
export interface SqlStorageLike {
  exec(query: string, ...bindings: unknown[]): SqlCursorLike;
}

/** `ctx.storage` of a SQLite-backed Durable Object: its SQL and its synchronous transactions. */
export interface DurableStorageLike {
  readonly sql: SqlStorageLike;
  transactionSync<T>(fn: () => T): T;
}

function blobBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  throw new TypeError(`page store row holds ${typeof value}, expected a blob`);
}

/** An ArrayBuffer of exactly the page's bytes (what DO SQL binds as a blob). */
function blobOf(page: Uint8Array): ArrayBuffer {
  if (page.byteOffset === 0 && page.byteLength === page.buffer.byteLength && page.buffer instanceof ArrayBuffer) {
    return page.buffer;
  }
  return page.slice().buffer as ArrayBuffer;
}

/**
 * Pages in a Durable Object's SQLite storage (`ctx.storage`): committed pages in
 * `<name>_pages`, staged ones in `<name>_staged`, the committed size in `<name>_meta`.
 * `sync()` folds the staged rows in inside one `transactionSync`, so a Worker killed at
 * any point leaves the last commit. Opening a store drops staged rows a dead invocation left.
 * On Node the same class runs over better-sqlite3 behind the same two calls (see the tests).
 */
export class DurableObjectPageStore implements PageStore {
  readonly copiesPages = true;
  private readonly sql: SqlStorageLike;
  private readonly t: { pages: string; staged: string; meta: string };
  private committedSize: number;
  private stagedSize: number;
  private stagedCount = 0;
  private scratchFiles = 0;

  constructor(
    private readonly storage: DurableStorageLike,
    readonly name = "c1z",
    readonly pageSize = DEFAULT_PAGE_SIZE,
  ) {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,40}$/.test(name)) throw new Error(`invalid page store name "${name}"`);
    this.sql = storage.sql;
    this.t = { pages: `${name}_pages`, staged: `${name}_staged`, meta: `${name}_meta` };
    this.sql.exec(`create table if not exists ${this.t.pages} (no integer primary key, data blob not null)`);
    this.sql.exec(`create table if not exists ${this.t.staged} (no integer primary key, data blob not null)`);
    this.sql.exec(`create table if not exists ${this.t.meta} (key text primary key, value integer not null)`);
    // Scratch files (journal, temp files) of a dead invocation are garbage: see ScratchPageStore.
    this.sql.exec(`drop table if exists ${name}_scratch`);
    this.sql.exec(
      `create table ${name}_scratch (file integer not null, no integer not null, data blob not null, primary key (file, no))`,
    );
    const meta = new Map(
      this.sql
        .exec(`select key, value from ${this.t.meta}`)
        .toArray()
        .map((r) => [r.key, Number(r.value)]),
    );
    const storedPageSize = meta.get("page_size");
    if (storedPageSize !== undefined && storedPageSize !== pageSize) {
      throw new Error(`page store "${name}" holds ${storedPageSize}-byte pages, not ${pageSize}`);
    }
    this.sql.exec(`delete from ${this.t.staged}`);
    this.committedSize = meta.get("size") ?? 0;
    this.stagedSize = this.committedSize;
  }

  size(): number {
    return this.stagedSize;
  }

  readPage(index: number): Uint8Array | undefined {
    if (index * this.pageSize >= this.stagedSize) return undefined;
    // One statement either way (a read is the hot path: every SQLite cache miss).
    const row =
      this.stagedCount > 0
        ? this.sql
            .exec(
              `select data from ${this.t.staged} where no = ? union all select data from ${this.t.pages} where no = ? limit 1`,
              index,
              index,
            )
            .toArray()[0]
        : this.sql.exec(`select data from ${this.t.pages} where no = ?`, index).toArray()[0];
    return row ? blobBytes(row.data) : undefined;
  }

  writePage(index: number, page: Uint8Array): void {
    checkPage(this, index, page);
    this.sql.exec(`insert or replace into ${this.t.staged} (no, data) values (?, ?)`, index, blobOf(page));
    this.stagedCount++;
  }

  setSize(bytes: number): void {
    this.stagedSize = bytes;
  }

  sync(): void {
    const size = this.stagedSize;
    const pageCount = Math.ceil(size / this.pageSize);
    this.storage.transactionSync(() => {
      if (this.stagedCount > 0) {
        this.sql.exec(`insert or replace into ${this.t.pages} (no, data) select no, data from ${this.t.staged}`);
        this.sql.exec(`delete from ${this.t.staged}`);
      }
      if (size < this.committedSize) this.sql.exec(`delete from ${this.t.pages} where no >= ?`, pageCount);
      this.sql.exec(
        `insert or replace into ${this.t.meta} (key, value) values ('size', ?), ('page_size', ?)`,
        size,
        this.pageSize,
      );
    });
    this.stagedCount = 0;
    this.committedSize = size;
  }

  rollback(): void {
    this.sql.exec(`delete from ${this.t.staged}`);
    this.stagedCount = 0;
    this.stagedSize = this.committedSize;
  }

  scratch(): ScratchPageStore {
    return new DurableObjectScratchStore(this.sql, `${this.name}_scratch`, ++this.scratchFiles, this.pageSize);
  }

  /** Removes the file: every page and the size (after an upload, or to start over). */
  clear(): void {
    this.storage.transactionSync(() => {
      this.sql.exec(`delete from ${this.t.staged}`);
      this.sql.exec(`delete from ${this.t.pages}`);
      this.sql.exec(`delete from ${this.t.meta}`);
    });
    this.stagedCount = 0;
    this.committedSize = 0;
    this.stagedSize = 0;
  }
}

/**
 * One scratch file's pages as rows of `<name>_scratch` (keyed by file number) in the object's
 * storage: written straight through (nothing to stage), dropped at `release()` and whenever
 * the main store is opened again.
 */
class DurableObjectScratchStore implements ScratchPageStore {
  readonly copiesPages = true;
  private bytes = 0;

  constructor(
    private readonly sql: SqlStorageLike,
    private readonly table: string,
    private readonly file: number,
    readonly pageSize: number,
  ) {}

  size(): number {
    return this.bytes;
  }

  readPage(index: number): Uint8Array | undefined {
    if (index * this.pageSize >= this.bytes) return undefined;
    const row = this.sql
      .exec(`select data from ${this.table} where file = ? and no = ?`, this.file, index)
      .toArray()[0];
    return row ? blobBytes(row.data) : undefined;
  }

  writePage(index: number, page: Uint8Array): void {
    checkPage(this, index, page);
    this.sql.exec(
      `insert or replace into ${this.table} (file, no, data) values (?, ?, ?)`,
      this.file,
      index,
      blobOf(page),
    );
  }

  setSize(bytes: number): void {
    if (bytes < this.bytes) {
      const pageCount = Math.ceil(bytes / this.pageSize);
      this.sql.exec(`delete from ${this.table} where file = ? and no >= ?`, this.file, pageCount);
    }
    this.bytes = bytes;
  }

  sync(): void {}

  rollback(): void {}

  release(): void {
    this.setSize(0);
  }
}

/**
 * Reads the committed-or-staged file in chunks of whole pages (at most `chunkBytes` each).
 * One array serves every chunk, so each is valid only until the next one is asked for:
 * an upload reads the whole database this way, and a fresh megabyte per chunk was native
 * garbage on workerd.
 */
export function* readPagedFile(store: PageStore, chunkBytes = 1024 * 1024): Generator<Uint8Array> {
  const size = store.size();
  const pageSize = store.pageSize;
  const perChunk = Math.max(1, Math.floor(chunkBytes / pageSize));
  const buffer = new Uint8Array(Math.min(size, perChunk * pageSize));
  for (let first = 0; first * pageSize < size; first += perChunk) {
    const begin = first * pageSize;
    const chunk = buffer.subarray(0, Math.min(size, begin + perChunk * pageSize) - begin);
    for (let index = first; index * pageSize < begin + chunk.length; index++) {
      const offset = index * pageSize - begin;
      const room = Math.min(pageSize, chunk.length - offset);
      const page = store.readPage(index);
      if (page) chunk.set(page.subarray(0, room), offset);
      else chunk.fill(0, offset, offset + room);
    }
    yield chunk;
  }
}
