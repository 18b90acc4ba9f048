import { type DriverDatabase, DriverDb, tuneForBulkFile } from "./driver.ts";
import type { SqliteEngine } from "./types.ts";

interface BunDatabase extends DriverDatabase {
  serialize(): Uint8Array;
}
interface BunSqliteModule {
  Database: (new (path: string) => BunDatabase) & { deserialize(bytes: Uint8Array): BunDatabase };
}

export async function loadNativeEngine(): Promise<SqliteEngine | undefined> {
  let mod: BunSqliteModule;
  try {
    // Kept out of shared code: bundlers fail on this specifier outside Bun.
    const specifier = "bun:sqlite";
    mod = (await import(specifier)) as BunSqliteModule;
  } catch {
    return undefined;
  }
  const { Database } = mod;
  return {
    name: "bun:sqlite",
    open(bytes) {
      const db = bytes ? Database.deserialize(bytes) : new Database(":memory:");
      return new DriverDb("bun:sqlite", db, () => db.serialize());
    },
    openFile(path) {
      const db = new Database(path);
      tuneForBulkFile(db);
      return new DriverDb("bun:sqlite", db, () => db.serialize(), path);
    },
  };
}
