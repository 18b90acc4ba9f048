// Workers cannot compile wasm from bytes: the module arrives precompiled as an import
// (wrangler's CompiledWasm rule) and reaches Emscripten through `instantiateWasm`.
// The browser build reads `self.location.href` when WorkerGlobalScope exists, so it needs a location.
import initSqlJs from "sql.js/dist/sql-wasm-browser.js";
import sqlWasm from "sql.js/dist/sql-wasm-browser.wasm";

export type { Database as SqlJsDatabase, SqlJsStatic, Statement as SqlJsStatement } from "sql.js";

export function loadSqlJs(): Promise<import("sql.js").SqlJsStatic> {
  const scope = globalThis as { location?: { href: string } };
  scope.location ??= { href: "https://worker.invalid/" };
  return initSqlJs({
    instantiateWasm(imports: WebAssembly.Imports, done: (instance: WebAssembly.Instance) => void) {
      WebAssembly.instantiate(sqlWasm, imports).then(done);
      return {};
    },
  } as Parameters<typeof initSqlJs>[0]);
}
