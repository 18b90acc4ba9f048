import { type DriverDatabase, DriverDb, tuneForBulkFile } from "./driver.ts";
import type { SqliteEngine } from "./types.ts";

interface NodeSqliteDatabase extends DriverDatabase {
  serialize(): Uint8Array;
  deserialize(bytes: Uint8Array): void;
}
interface NodeSqliteModule {
  DatabaseSync: (new (path: string) => NodeSqliteDatabase) & { prototype: Partial<NodeSqliteDatabase> };
}

/** `node:sqlite`, only where `DatabaseSync` can serialize (Deno 2.9+, newer Node). */
export async function loadNodeSqlite(): Promise<SqliteEngine | undefined> {
  let mod: NodeSqliteModule;
  try {
    const specifier = "node:sqlite";
    mod = (await import(specifier)) as NodeSqliteModule;
  } catch {
    return undefined;
  }
  const { DatabaseSync } = mod;
  if (typeof DatabaseSync?.prototype?.serialize !== "function") return undefined;
  if (typeof DatabaseSync.prototype.deserialize !== "function") return undefined;
  return {
    name: "node:sqlite",
    open(bytes) {
      const db = new DatabaseSync(":memory:");
      if (bytes) db.deserialize(bytes);
      return new DriverDb("node:sqlite", db, () => db.serialize());
    },
    openFile(path) {
      const db = new DatabaseSync(path);
      tuneForBulkFile(db);
      return new DriverDb("node:sqlite", db, () => db.serialize(), path);
    },
  };
}
