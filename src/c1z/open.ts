import type { ZstdLimits } from "../compress/index.ts";
import { type EngineChoice, type SqliteDatabase, sqliteEngine } from "../storage/index.ts";
import { checkSqliteFile, decodeC1z } from "./envelope.ts";
import { C1zError } from "./errors.ts";
import { createSchema, prepareC1zDatabase } from "./migrate.ts";
import { SqliteC1zStore, type StoreOptions } from "./sqlite-store.ts";

export interface C1zOptions extends StoreOptions {
  /** `sqljs` everywhere, `native` (bun:sqlite, node:sqlite, better-sqlite3); default native where present. */
  engine?: EngineChoice;
  /** Reader limits: decoded-size cap (default 2 GiB) and window cap (default 128 MiB, as Go). */
  limits?: ZstdLimits;
}

/** A new, empty c1z v1 store in memory. */
export async function createC1z(options: C1zOptions = {}): Promise<SqliteC1zStore> {
  const engine = await sqliteEngine(options.engine);
  const db = engine.open();
  createSchema(db);
  return new SqliteC1zStore(db, options);
}

/** Decodes a c1z and opens a writable in-memory copy, migrated like Go's reader does. */
export async function openC1z(bytes: Uint8Array, options: C1zOptions = {}): Promise<SqliteC1zStore> {
  const sqlite = decodeC1z(bytes, options.limits);
  return openOwnedSqlite(sqlite, options);
}

/** Opens SQLite database bytes (already out of the envelope) as a c1z store. */
export async function openSqlite(sqlite: Uint8Array, options: C1zOptions = {}): Promise<SqliteC1zStore> {
  checkSqliteFile(sqlite);
  return openOwnedSqlite(sqlite[18] === 2 || sqlite[19] === 2 ? sqlite.slice() : sqlite, options);
}

/** `sqlite` belongs to us: its header may be rewritten in place. */
async function openOwnedSqlite(sqlite: Uint8Array, options: C1zOptions): Promise<SqliteC1zStore> {
  // WAL-mode files (Go's CLI opens with journal_mode=WAL): in-memory engines cannot open them.
  // The WAL was checkpointed and truncated before Go compressed the file, so rollback mode is exact.
  if (sqlite[18] === 2 || sqlite[19] === 2) {
    sqlite[18] = 1;
    sqlite[19] = 1;
  }
  const engine = await sqliteEngine(options.engine);
  let db: SqliteDatabase;
  try {
    db = engine.open(sqlite);
    db.prepare("select count(*) from sqlite_master").get();
  } catch (error) {
    throw new C1zError("not-sqlite", `c1z payload is not a readable SQLite database: ${(error as Error).message}`, {
      cause: error,
    });
  }
  prepareC1zDatabase(db, false, "c1z");
  return new SqliteC1zStore(db, options);
}
