import type { SqliteDatabase } from "./types.ts";

/** Transaction nesting shared by every engine: BEGIN at depth 0, savepoints below. */
export class TransactionRunner {
  private depth = 0;

  constructor(private readonly exec: SqliteDatabase["exec"]) {}

  run<T>(fn: () => T): T {
    const savepoint = `sp_${this.depth}`;
    this.exec(this.depth === 0 ? "BEGIN" : `SAVEPOINT ${savepoint}`);
    this.depth++;
    try {
      const result = fn();
      this.depth--;
      this.exec(this.depth === 0 ? "COMMIT" : `RELEASE ${savepoint}`);
      return result;
    } catch (error) {
      this.depth--;
      if (this.depth === 0) this.exec("ROLLBACK");
      else this.exec(`ROLLBACK TO ${savepoint}; RELEASE ${savepoint}`);
      throw error;
    }
  }
}
