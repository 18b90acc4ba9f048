// Node, Bun and Deno: sql.js finds sql-wasm.wasm next to itself in node_modules.
import initSqlJs from "sql.js";

export type { Database as SqlJsDatabase, SqlJsStatic, Statement as SqlJsStatement } from "sql.js";

export function loadSqlJs(): Promise<import("sql.js").SqlJsStatic> {
  return initSqlJs();
}
