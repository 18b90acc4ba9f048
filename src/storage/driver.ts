import { TransactionRunner } from "./transaction.ts";
import type { RunResult, SqliteDatabase, SqlRow, SqlStatement, SqlValue } from "./types.ts";

/** The shape bun:sqlite, node:sqlite and better-sqlite3 share. */
export interface DriverStatement {
  run(...params: SqlValue[]): { changes: number | bigint };
  all(...params: SqlValue[]): unknown[];
  get(...params: SqlValue[]): unknown;
  iterate(...params: SqlValue[]): IterableIterator<unknown>;
  finalize?(): void;
}

export interface DriverDatabase {
  exec(sql: string): unknown;
  prepare(sql: string): DriverStatement;
  close(): unknown;
}

/** Wraps a native driver whose statements stay valid across `serialize()`. */
export class DriverDb implements SqliteDatabase {
  private readonly transactions = new TransactionRunner((sql) => this.exec(sql));

  constructor(
    readonly engine: string,
    private readonly db: DriverDatabase,
    private readonly serializeFn: () => Uint8Array,
    readonly path?: string,
  ) {}

  exec(sql: string): void {
    this.db.exec(sql);
  }

  prepare(sql: string): SqlStatement {
    return new DriverStmt(this.db.prepare(sql));
  }

  transaction<T>(fn: () => T): T {
    return this.transactions.run(fn);
  }

  beginBatch(): void {
    this.transactions.beginBatch();
  }

  commitBatch(): void {
    this.transactions.commitBatch();
  }

  get inBatch(): boolean {
    return this.transactions.inBatch;
  }

  serialize(): Uint8Array {
    return this.serializeFn();
  }

  vacuum(): void {
    this.exec("VACUUM");
  }

  close(): void {
    this.db.close();
  }
}

class DriverStmt implements SqlStatement {
  constructor(private readonly stmt: DriverStatement) {}

  run(...params: SqlValue[]): RunResult {
    return { changes: Number(this.stmt.run(...params).changes) };
  }

  all(...params: SqlValue[]): SqlRow[] {
    return this.stmt.all(...params) as SqlRow[];
  }

  get(...params: SqlValue[]): SqlRow | undefined {
    return (this.stmt.get(...params) ?? undefined) as SqlRow | undefined;
  }

  iterate(...params: SqlValue[]): IterableIterator<SqlRow> {
    return this.stmt.iterate(...params) as IterableIterator<SqlRow>;
  }

  finalize(): void {
    this.stmt.finalize?.();
  }
}

/**
 * Pragmas of a file-backed database written in bulk. The rollback journal makes a commit
 * the unit a killed process keeps (the next open rolls a hot journal back); `synchronous=OFF`
 * skips the fsync per commit (a process crash loses nothing committed, only a power loss
 * could, and the c1z written at the end is fsynced); the page cache is capped (16 MiB) so
 * memory does not grow with the database: the OS page cache serves what falls out of it, and
 * VACUUM's copy gets a cache of this size too, so 64 MiB cost 128 MiB of RSS at cleanup for
 * no measurable speed (100k grants: peak 422 → 317 MiB). The pages are 64 KiB (a new file
 * only: an existing one keeps its page size): each page is one read or write system call,
 * which costs ~6 µs here, so 4 KiB pages spent most of a 1M-grant sync's cleanup (four table
 * scans for the grant indexes) and of its pack in the kernel; at 64 KiB the 1M sync took 25.5 s
 * instead of 30–31 s. The c1z still has Go's 4096-byte pages: it is written from a packed copy
 * (c1z/pack.ts), except a snapshot taken while a sync runs, which is the file as it is.
 */
export const BULK_FILE_PRAGMAS = [
  "PRAGMA page_size = 65536",
  "PRAGMA journal_mode = TRUNCATE",
  "PRAGMA synchronous = OFF",
  "PRAGMA cache_size = -16384",
  "PRAGMA temp_store = FILE",
  "PRAGMA locking_mode = EXCLUSIVE",
];

export function tuneForBulkFile(db: DriverDatabase): void {
  for (const pragma of BULK_FILE_PRAGMAS) db.exec(pragma);
}
