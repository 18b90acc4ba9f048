// Workers: the generated glue is bundled, its wasm arrives precompiled (see sqljs-wasm.workerd.ts).

import sqlWasm from "sql.js/dist/sql-wasm-browser-debug.wasm";
import initSqlJs from "./paged-sqljs.gen.browser.cjs";
import type { PagedSqlJs } from "./paged-sqljs-types.ts";
import { quietDebugLog } from "./paged-sqljs-types.ts";

export function loadPagedSqlJs(): Promise<PagedSqlJs> {
  const scope = globalThis as { location?: { href: string } };
  scope.location ??= { href: "https://worker.invalid/" };
  return initSqlJs({
    printErr: quietDebugLog,
    instantiateWasm(imports: WebAssembly.Imports, done: (instance: WebAssembly.Instance) => void) {
      WebAssembly.instantiate(sqlWasm, imports).then(done);
      return {};
    },
  });
}

/**
 * Workers keep MEMFS for in-memory databases: the large ones live on Durable Object pages,
 * and the debug glue the paged FS needs is the bigger module to load in every isolate.
 */
export const inMemoryOnPages = false;
