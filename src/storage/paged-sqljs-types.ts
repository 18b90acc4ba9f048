import type { SqlJsStatic } from "sql.js";
import type { EmscriptenFS } from "./paged-fs.ts";

/** sql.js built by scripts/gen-sqljs-paged.mjs: the usual API plus Emscripten's FS. */
export type PagedSqlJs = SqlJsStatic & { FS: EmscriptenFS; heapBytes(): number };
export type PagedSqlJsInit = (config?: Record<string, unknown>) => Promise<PagedSqlJs>;
