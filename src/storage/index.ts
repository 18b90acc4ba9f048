import { loadNativeEngine } from "#sqlite-native";
import { sqlJsEngine } from "./sqljs-engine.ts";
import type { EngineChoice, SqliteEngine } from "./types.ts";

export { sqlJsEngine } from "./sqljs-engine.ts";
export type * from "./types.ts";

let native: Promise<SqliteEngine | undefined> | undefined;

/** The runtime's native SQLite engine that can serialize, if there is one. */
export function nativeEngine(): Promise<SqliteEngine | undefined> {
  native ??= loadNativeEngine();
  return native;
}

/**
 * `"sqljs"` works everywhere; `"native"` demands the runtime's own SQLite (an error if absent);
 * no choice means native where present, else sql.js.
 */
export async function sqliteEngine(choice?: EngineChoice): Promise<SqliteEngine> {
  if (choice === "sqljs") return sqlJsEngine();
  const found = await nativeEngine();
  if (found) return found;
  if (choice === "native") throw new Error("no native SQLite engine with serialize() on this runtime");
  return sqlJsEngine();
}
