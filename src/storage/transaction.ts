import type { SqliteDatabase } from "./types.ts";

/** Transaction nesting shared by every engine: BEGIN at depth 0, savepoints below. */
export class TransactionRunner {
  private depth = 0;

  constructor(private readonly exec: SqliteDatabase["exec"]) {}

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
