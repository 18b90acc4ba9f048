// Node, Bun and Deno: the generated FS-exposing sql.js glue (an ES module, so bundles carry it
// inside them, see scripts/gen-sqljs-paged.mjs) and its wasm from node_modules.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { PagedSqlJs, PagedSqlJsInit } from "./paged-sqljs-types.ts";
import { quietDebugLog } from "./paged-sqljs-types.ts";

const require = createRequire(import.meta.url);

export async function loadPagedSqlJs(): Promise<PagedSqlJs> {
  let init: PagedSqlJsInit;
  try {
    init = (await import("./paged-sqljs.gen.node.mjs")).default;
  } catch (error) {
    throw new Error(
      "src/storage/paged-sqljs.gen.node.mjs is missing or broken: run `node scripts/gen-sqljs-paged.mjs` (npm install runs it)",
      { cause: error },
    );
  }
  const wasmBinary = readFileSync(require.resolve("sql.js/dist/sql-wasm-debug.wasm"));
  return init({ wasmBinary, printErr: quietDebugLog });
}

/**
 * sql.js's in-memory databases live on chunked pages here (src/storage/sqljs-engine.ts): a
 * process's memory is the limit, and MEMFS costs a database's size again while it grows.
 */
export const inMemoryOnPages = true;
