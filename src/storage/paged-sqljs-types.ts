import type { SqlJsStatic } from "sql.js";
import type { EmscriptenFS } from "./paged-fs.ts";

/** sql.js built by scripts/gen-sqljs-paged.mjs: the usual API plus Emscripten's FS. */
export type PagedSqlJs = SqlJsStatic & {
  FS: EmscriptenFS;
  /** The wasm memory's size (it grows, never shrinks). */
  heapBytes(): number;
  /** What SQLite's allocator holds now (`sqlite3_memory_used`), a part of the wasm memory. */
  sqliteBytes(): number;
};
export type PagedSqlJsInit = (config?: Record<string, unknown>) => Promise<PagedSqlJs>;

/** The debug build logs every wasm heap growth; everything else it prints still goes to stderr. */
export function quietDebugLog(text: string): void {
  if (!text.startsWith("Heap resize call from")) console.error(text);
}
