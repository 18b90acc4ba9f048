/**
 * File-backed c1z stores (Node, Bun, Deno): the database lives in a file next to its
 * destination instead of in memory, and survives the process, so a killed sync resumes.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { rm, stat } from "node:fs/promises";
import { decompressZstdTo, ZstdError, type ZstdLimits } from "../compress/index.ts";
import { type SqliteDatabase, type SqliteEngine, sqliteEngine } from "../storage/index.ts";
import { C1Z_V1_HEADER, checkEnvelope, checkSqliteHeader } from "./envelope.ts";
import { C1zError } from "./errors.ts";
import { prepareC1zDatabase } from "./migrate.ts";
import type { C1zOptions } from "./open.ts";
import { SqliteC1zStore } from "./sqlite-store.ts";

/** The native engine's file-backed open, or a clear error where the runtime has none. */
async function fileEngine(): Promise<NonNullable<SqliteEngine["openFile"]>> {
  const engine = await sqliteEngine("native");
  if (!engine.openFile) throw new Error(`the ${engine.name} engine cannot open database files`);
  return engine.openFile.bind(engine);
}

/**
 * A c1z store whose database lives in the file at `dbPath` (native engine): memory stays
 * bounded whatever the size. An existing file is reopened as it was left, so a sync killed
 * mid-way resumes from its last checkpoint; otherwise the file is created, from the c1z
 * `from` (decoded into it as a stream) or empty.
 */
export async function openC1zWorkFile(
  dbPath: string,
  options: C1zOptions & { from?: Uint8Array } = {},
): Promise<SqliteC1zStore> {
  const openFile = await fileEngine();
  const exists = await stat(dbPath).then(
    () => true,
    () => false,
  );
  if (!exists && options.from) await decodeC1zToFile(options.from, dbPath, options.limits);
  let db: SqliteDatabase;
  try {
    db = openFile(dbPath);
    db.prepare("select count(*) from sqlite_master").get();
  } catch (error) {
    throw new C1zError("not-sqlite", `${dbPath} is not a readable SQLite database: ${(error as Error).message}`, {
      cause: error,
    });
  }
  prepareC1zDatabase(db, !exists && !options.from, dbPath);
  return new SqliteC1zStore(db, options);
}

/** Removes a work database and the files beside it (journal, WAL, shared memory, a packed copy). */
export async function removeC1zWorkFile(dbPath: string): Promise<void> {
  await Promise.all(
    ["", "-journal", "-wal", "-shm", "-packed"].map((suffix) => rm(`${dbPath}${suffix}`, { force: true })),
  );
}

/** Decodes a c1z into a SQLite file without holding the database in memory. */
async function decodeC1zToFile(bytes: Uint8Array, dbPath: string, limits?: ZstdLimits): Promise<void> {
  checkEnvelope(bytes);
  const handle = openSync(dbPath, "wx");
  const header = new Uint8Array(100);
  let headerLength = 0;
  let length = 0;
  try {
    try {
      length = decompressZstdTo(
        bytes.subarray(C1Z_V1_HEADER.length),
        (chunk) => {
          if (headerLength < 100) {
            const take = Math.min(100 - headerLength, chunk.length);
            header.set(chunk.subarray(0, take), headerLength);
            headerLength += take;
          }
          let o = 0;
          while (o < chunk.length) o += writeSync(handle, chunk, o, chunk.length - o);
        },
        limits,
      );
    } catch (error) {
      if (error instanceof ZstdError) throw new C1zError(error.code, `c1z: ${error.message}`, { cause: error });
      throw error;
    }
    checkSqliteHeader(header.subarray(0, headerLength), length);
  } catch (error) {
    closeSync(handle);
    await removeC1zWorkFile(dbPath);
    throw error;
  }
  closeSync(handle);
}
