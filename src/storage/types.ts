/**
 * A small synchronous SQLite interface. Every engine we use (sql.js, bun:sqlite,
 * node:sqlite, better-sqlite3) is synchronous, so the c1z store is too.
 */
export type SqlValue = string | number | bigint | Uint8Array | null;
export type SqlRow = Record<string, SqlValue>;

export interface RunResult {
  changes: number;
}

export interface SqlStatement {
  run(...params: SqlValue[]): RunResult;
  all(...params: SqlValue[]): SqlRow[];
  get(...params: SqlValue[]): SqlRow | undefined;
  iterate(...params: SqlValue[]): IterableIterator<SqlRow>;
  finalize(): void;
}

export interface SqliteDatabase {
  /** Which engine backs this database (`sqljs`, `bun:sqlite`, `node:sqlite`, `better-sqlite3`). */
  readonly engine: string;
  /** Runs one or more statements without parameters. */
  exec(sql: string): void;
  /** Statements survive `serialize()` (engines that invalidate them re-prepare on next use). */
  prepare(sql: string): SqlStatement;
  /** Runs `fn` in one transaction (nested calls become savepoints); rolls back if it throws. */
  transaction<T>(fn: () => T): T;
  /**
   * Opens a transaction that stays open across calls until `commitBatch()`: writes in between
   * (and `transaction()` calls, which become savepoints) land in one commit. Bulk loads use it.
   */
  beginBatch(): void;
  /** Commits the batch opened by `beginBatch()`; nothing when none is open. */
  commitBatch(): void;
  /** Whether a batch is open. */
  readonly inBatch: boolean;
  /** The whole database file, as SQLite would write it to disk. */
  serialize(): Uint8Array;
  /**
   * The same bytes in order, a chunk at a time, where the engine can hand them out without
   * copying the file whole (sql.js on chunked pages). Each chunk is valid until the next write.
   */
  fileChunks?(): Iterable<Uint8Array>;
  /** VACUUM, the cheapest way the engine can. Needs no open transaction. */
  vacuum(): void;
  /** The database file on disk, for file-backed databases (outside any transaction it holds every page). */
  readonly path?: string;
  close(): void;
}

export type EngineChoice = "sqljs" | "native";

export interface SqliteEngine {
  readonly name: string;
  /** An in-memory database, empty or loaded from the bytes of a database file. */
  open(bytes?: Uint8Array): SqliteDatabase;
  /**
   * A database in a file (created when missing), tuned for bulk writes: rollback journal
   * (a killed process leaves the last commit), no fsync per commit, a bounded page cache.
   * Absent where the engine has no filesystem (sql.js).
   */
  openFile?(path: string): SqliteDatabase;
}
