import { loadNodeSqlite } from "./native.node-sqlite.ts";
import type { SqliteEngine } from "./types.ts";

export function loadNativeEngine(): Promise<SqliteEngine | undefined> {
  return loadNodeSqlite();
}
