import type { SqliteDatabase, SqlValue } from "./types.ts";

/** The first column of a one-row query as a number; 0 when there is no row or the value is NULL. */
export function queryNumber(db: SqliteDatabase, sql: string, ...params: SqlValue[]): number {
  const statement = db.prepare(sql);
  try {
    return Number(Object.values(statement.get(...params) ?? {})[0] ?? 0);
  } finally {
    statement.finalize();
  }
}
