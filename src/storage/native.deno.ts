import { loadNodeSqlite } from "./native.node-sqlite.ts";
import type { SqliteEngine } from "./types.ts";

export async function loadNativeEngine(): Promise<SqliteEngine | undefined> {
  const engine = await loadNodeSqlite();
  if (!engine) return undefined;
  // Deno's node:sqlite allows ATTACH only with all permissions (-A); VACUUM attaches
  // internally, so under least-privilege flags (deno.json) it fails: use sql.js then.
  const probe = engine.open();
  try {
    probe.exec("create table probe(x); vacuum");
    return engine;
  } catch {
    return undefined;
  } finally {
    probe.close();
  }
}
