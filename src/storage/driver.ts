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

  serialize(): Uint8Array {
    return this.serializeFn();
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
