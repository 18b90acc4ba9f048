import { loadSqlJs, type SqlJsDatabase, type SqlJsStatement, type SqlJsStatic } from "#sqljs-wasm";
import { TransactionRunner } from "./transaction.ts";
import type { RunResult, SqliteDatabase, SqliteEngine, SqlRow, SqlStatement, SqlValue } from "./types.ts";

let loading: Promise<SqlJsStatic> | undefined;

/**
 * sql.js on its own MEMFS (Workers' in-memory databases; sqljs-engine.ts picks the engine).
 * sql.js keeps the first init promise for the process anyway; we load the wasm once too.
 */
export async function memfsSqlJsEngine(): Promise<SqliteEngine> {
  loading ??= loadSqlJs();
  const SQL = await loading;
  return {
    name: "sqljs",
    open: (bytes) => new SqlJsDb(new SQL.Database(bytes), IN_MEMORY_PRAGMAS, true),
  };
}

/**
 * sql.js keeps its database in an Emscripten MEMFS file, which grows by copying, and so does
 * the rollback journal beside it (re-created, grown and deleted at every commit). Nothing of
 * an in-memory database outlives the process, so the journal may as well live in SQLite's
 * own memory: writer-vs-go at 100k, sql.js: 9.1–9.6 → 8.4 s of CPU, peak RSS 498 → 438 MiB.
 * A failed statement or transaction still rolls back from it.
 */
const IN_MEMORY_PRAGMAS = ["PRAGMA journal_mode = MEMORY"];

export class SqlJsDb implements SqliteDatabase {
  readonly engine = "sqljs";
  /** Bumped by `serialize()`: sql.js `export()` frees every prepared statement. */
  generation = 0;
  private readonly transactions = new TransactionRunner((sql) => this.exec(sql));

  constructor(
    readonly db: SqlJsDatabase,
    /** Applied now and again after `serialize()`, whose re-open forgets them. */
    private readonly pragmas: readonly string[] = [],
    /** Nothing of the file outlives the process (see `vacuum()`). */
    private readonly volatile = false,
  ) {
    this.applyPragmas();
  }

  private applyPragmas(): void {
    for (const pragma of this.pragmas) this.db.exec(pragma);
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  prepare(sql: string): SqlStatement {
    return new SqlJsStmt(this, sql);
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

  /**
   * An in-memory database outlives nothing, so VACUUM runs without a rollback journal: with
   * one, SQLite keeps the old copy of every page in the journal while it copies the packed
   * database back, a third copy of the database next to it and VACUUM's temporary one
   * (bench/sync.ts 100k, sql.js: whole-sync peak RSS 787–799 → 662–668 MB). A VACUUM that fails midway leaves
   * this copy unusable (it throws; no file was replaced).
   */
  vacuum(): void {
    if (!this.volatile) {
      this.exec("VACUUM");
      return;
    }
    const mode = String(this.db.exec("PRAGMA journal_mode")[0]?.values[0]?.[0] ?? "memory");
    this.exec("PRAGMA journal_mode = OFF");
    try {
      this.exec("VACUUM");
    } finally {
      this.exec(`PRAGMA journal_mode = ${mode}`);
    }
  }

  serialize(): Uint8Array {
    this.generation++;
    const bytes = this.db.export();
    this.applyPragmas();
    return bytes;
  }

  close(): void {
    this.generation++;
    this.db.close();
  }
}

class SqlJsStmt implements SqlStatement {
  private stmt: SqlJsStatement | undefined;
  private generation = -1;

  constructor(
    private readonly owner: SqlJsDb,
    private readonly sql: string,
  ) {}

  private bound(params: SqlValue[]): SqlJsStatement {
    if (!this.stmt || this.generation !== this.owner.generation) {
      this.stmt = this.owner.db.prepare(this.sql);
      this.generation = this.owner.generation;
    }
    this.stmt.reset();
    if (params.length > 0) this.stmt.bind(params.map(toSqlJs));
    return this.stmt;
  }

  run(...params: SqlValue[]): RunResult {
    const stmt = this.bound(params);
    stmt.step();
    stmt.reset();
    return { changes: this.owner.db.getRowsModified() };
  }

  all(...params: SqlValue[]): SqlRow[] {
    return [...this.iterate(...params)];
  }

  get(...params: SqlValue[]): SqlRow | undefined {
    const stmt = this.bound(params);
    const row = stmt.step() ? rowOf(stmt.getColumnNames(), stmt.get()) : undefined;
    stmt.reset();
    return row;
  }

  *iterate(...params: SqlValue[]): IterableIterator<SqlRow> {
    const stmt = this.bound(params);
    try {
      // sql.js's getAsObject reads every column name out of the wasm heap again for every row
      // (a string per column, two arrays and an entries array per row: at 100k grants the
      // largest source of garbage after string binding); the names are the same for all rows.
      let names: string[] | undefined;
      while (stmt.step()) {
        names ??= stmt.getColumnNames();
        yield rowOf(names, stmt.get());
      }
    } finally {
      stmt.reset();
    }
  }

  finalize(): void {
    if (this.stmt && this.generation === this.owner.generation) this.stmt.free();
    this.stmt = undefined;
  }
}

function rowOf(names: readonly string[], values: readonly unknown[]): SqlRow {
  const row: SqlRow = {};
  for (let i = 0; i < names.length; i++) row[names[i] as string] = values[i] as SqlRow[string];
  return row;
}

// sql.js binds numbers as doubles when they are not integers and has no bigint support.
function toSqlJs(value: SqlValue): number | string | Uint8Array | null {
  return typeof value === "bigint" ? Number(value) : value;
}
