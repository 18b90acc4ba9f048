import type { SqliteEngine } from "./types.ts";

/** Runtimes without a native SQLite that can serialize (Workers, browsers). */
export async function loadNativeEngine(): Promise<SqliteEngine | undefined> {
  return undefined;
}
