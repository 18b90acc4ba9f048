import type { SqliteDatabase, SqlStatement } from "../storage/index.ts";

/** Prepared statements by SQL text, shared by the sync runs, the writer and the reader of one store. */
export class StatementCache {
  private readonly statements = new Map<string, SqlStatement>();

  constructor(readonly db: SqliteDatabase) {}

  get(sql: string): SqlStatement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  finalizeAll(): void {
    for (const statement of this.statements.values()) statement.finalize();
    this.statements.clear();
  }
}
