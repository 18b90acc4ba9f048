import { type DriverDatabase, DriverDb, tuneForBulkFile } from "./driver.ts";
import { loadNodeSqlite } from "./native.node-sqlite.ts";
import type { SqliteEngine } from "./types.ts";

interface BetterSqliteDatabase extends DriverDatabase {
  serialize(): Uint8Array;
}
type BetterSqliteConstructor = new (source?: string | Uint8Array) => BetterSqliteDatabase;

/** Node: `node:sqlite` when it can serialize, else better-sqlite3 when installed, else none. */
export async function loadNativeEngine(): Promise<SqliteEngine | undefined> {
  const nodeSqlite = await loadNodeSqlite();
  if (nodeSqlite) return nodeSqlite;
  let Database: BetterSqliteConstructor;
  try {
    const specifier = "better-sqlite3";
    const mod = (await import(specifier)) as { default: BetterSqliteConstructor };
    Database = mod.default;
    new Database(":memory:").close(); // the native addon may be missing or built for another ABI
  } catch {
    return undefined;
  }
  return {
    name: "better-sqlite3",
    open(bytes) {
      const db = bytes ? new Database(toBuffer(bytes)) : new Database(":memory:");
      return new DriverDb("better-sqlite3", db, () => db.serialize());
    },
    openFile(path) {
      const db = new Database(path);
      tuneForBulkFile(db);
      return new DriverDb("better-sqlite3", db, () => db.serialize(), path);
    },
  };
}

function toBuffer(bytes: Uint8Array): Uint8Array {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
