// Node, Bun and Deno: the generated FS-exposing sql.js glue and its wasm from node_modules.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { PagedSqlJs, PagedSqlJsInit } from "./paged-sqljs-types.ts";
import { quietDebugLog } from "./paged-sqljs-types.ts";

const require = createRequire(import.meta.url);

export function loadPagedSqlJs(): Promise<PagedSqlJs> {
  const glue = new URL("./paged-sqljs.gen.node.cjs", import.meta.url);
  if (!existsSync(glue)) {
    throw new Error(
      "src/storage/paged-sqljs.gen.node.cjs is missing: run `node scripts/gen-sqljs-paged.mjs` (npm install runs it)",
    );
  }
  const init = require("./paged-sqljs.gen.node.cjs") as PagedSqlJsInit;
  const wasmBinary = readFileSync(require.resolve("sql.js/dist/sql-wasm-debug.wasm"));
  return init({ wasmBinary, printErr: quietDebugLog });
}
