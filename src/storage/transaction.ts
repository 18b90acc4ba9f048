import type { SqliteDatabase } from "./types.ts";

/** Transaction nesting shared by every engine: BEGIN at depth 0, savepoints below. */
export class TransactionRunner {
  private depth = 0;
  private batch = false;

  constructor(private readonly exec: SqliteDatabase["exec"]) {}

  get inBatch(): boolean {
    return this.batch;
  }

  /** BEGIN now; `run` below becomes savepoints until `commitBatch`. */
  beginBatch(): void {
    if (this.batch) return;
    if (this.depth > 0) throw new Error("cannot begin a batch inside a transaction");
    this.exec("BEGIN");
    this.depth = 1;
    this.batch = true;
  }

  commitBatch(): void {
    if (!this.batch) return;
    if (this.depth !== 1) throw new Error("cannot commit a batch inside a transaction");
    this.exec("COMMIT");
    this.depth = 0;
    this.batch = false;
  }

  run<T>(fn: () => T): T {
    const outer = this.depth === 0;
    const savepoint = `sp_${this.depth}`;
    this.exec(outer ? "BEGIN" : `SAVEPOINT ${savepoint}`);
    this.depth++;
    let result: T;
    try {
      result = fn();
    } catch (error) {
      this.depth--;
      this.rollback(outer, savepoint);
      throw error;
    }
    this.depth--;
    try {
      this.exec(outer ? "COMMIT" : `RELEASE ${savepoint}`);
    } catch (error) {
      // A failed COMMIT (an I/O error) may have rolled back already; the cause is what the caller needs.
      this.rollback(outer, savepoint);
      throw error;
    }
    return result;
  }

  private rollback(outer: boolean, savepoint: string): void {
    try {
      this.exec(outer ? "ROLLBACK" : `ROLLBACK TO ${savepoint}; RELEASE ${savepoint}`);
    } catch {
      // SQLite already ended the transaction (it does on some I/O errors): nothing to undo.
    }
  }
}
