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
  /** The whole database file, as SQLite would write it to disk. */
  serialize(): Uint8Array;
  close(): void;
}

export type EngineChoice = "sqljs" | "native";

export interface SqliteEngine {
  readonly name: string;
  /** An in-memory database, empty or loaded from the bytes of a database file. */
  open(bytes?: Uint8Array): SqliteDatabase;
}
