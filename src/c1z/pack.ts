/**
 * VACUUM's result written once, into a new file. VACUUM builds a packed copy and then copies
 * it back over the database through the rollback journal: three writes of the whole file
 * (about 12 s of a 1M-grant sync's cleanup). Packing into a fresh file writes it once, leaves
 * the work file as it was (a failure replaces nothing), and lets the schema be laid out in
 * Go's order directly, so the v1_grants indexes need not be rebuilt in that order first.
 *
 * It is what VACUUM does, from SQL: the schema is created in the new file (tables first, then
 * indexes, as VACUUM writes sqlite_master), then `INSERT INTO packed.t SELECT * FROM main.t`
 * per table. Into an empty table whose every index has a twin in the source, SQLite copies the
 * rows and each index's entries in key order without decoding them (its transfer optimization,
 * which VACUUM itself runs on), so every b-tree comes out with full pages and no free list.
 */
import type { SqliteDatabase, SqlRow } from "../storage/index.ts";
import { queryNumber } from "../storage/query.ts";

interface SchemaRow {
  type: string;
  name: string;
  table: string;
  sql: string;
}

/** `CREATE TABLE x…` / `CREATE [UNIQUE] INDEX x…` as SQLite stores it (normalised: no IF NOT EXISTS, no schema). */
const CREATE = /^(CREATE (?:UNIQUE )?(?:TABLE|INDEX) )(?!IF NOT EXISTS\b)/i;

/**
 * sqlite_master in VACUUM's order: the tables in their order, then the indexes grouped by
 * table in table order; within a table, `indexOrder(table)` names come first in that order,
 * the rest in their own order. Undefined when the schema holds anything but plain tables and
 * their indexes (views, triggers, virtual tables, SQLite's own tables): `VACUUM INTO` then.
 */
export function packedSchemaOrder(
  rows: readonly SqlRow[],
  indexOrder: (table: string) => readonly string[] = () => [],
): SchemaRow[] | undefined {
  const tables: SchemaRow[] = [];
  const indexes: SchemaRow[] = [];
  for (const row of rows) {
    const entry = { type: String(row.type), name: String(row.name), table: String(row.tbl_name), sql: row.sql };
    // The indexes of UNIQUE and PRIMARY KEY constraints: made by their table's CREATE TABLE.
    if (entry.type === "index" && entry.sql === null && entry.name.startsWith("sqlite_autoindex_")) continue;
    if (typeof entry.sql !== "string" || !CREATE.test(entry.sql) || entry.name.startsWith("sqlite_")) return undefined;
    const schemaRow = { ...entry, sql: entry.sql };
    if (entry.type === "table") tables.push(schemaRow);
    else if (entry.type === "index") indexes.push(schemaRow);
    else return undefined;
  }
  const ordered: SchemaRow[] = [...tables];
  for (const table of tables) {
    const own = indexes.filter((index) => index.table === table.name);
    const order = indexOrder(table.name);
    const rank = (name: string) => {
      const at = order.indexOf(name);
      return at < 0 ? order.length : at;
    };
    // Array.prototype.sort is stable: unnamed indexes keep their order.
    ordered.push(...own.sort((a, b) => rank(a.name) - rank(b.name)));
  }
  // An index whose table is not in sqlite_master would be lost.
  if (ordered.length !== tables.length + indexes.length) return undefined;
  return ordered;
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * The page size of every packed copy, whatever the source's: SQLite's default, which Go's c1z
 * files have (c1z-format.md §7). A work file may use larger pages (storage/driver.ts).
 */
export const C1Z_PAGE_SIZE = 4096;

function pragmaValue(db: SqliteDatabase, name: string): number {
  return queryNumber(db, `pragma main.${name}`);
}

/**
 * Writes the database packed into `path`, a file that must not exist yet. Needs no open
 * transaction; the database itself is only read. Returns false when its schema is not one
 * this can lay out (see packedSchemaOrder); the caller then runs `VACUUM INTO`.
 */
export function packInto(
  db: SqliteDatabase,
  path: string,
  indexOrder: (table: string) => readonly string[] = () => [],
): boolean {
  const master = db.prepare("select type, name, tbl_name, sql from main.sqlite_master order by rowid");
  let schema: SchemaRow[] | undefined;
  try {
    schema = packedSchemaOrder(master.all(), indexOrder);
  } finally {
    master.finalize();
  }
  if (!schema) return false;
  const pragma = (name: string) => pragmaValue(db, name);
  // Header fields VACUUM keeps (readers may look at them), but Go's page size; the page size
  // and auto_vacuum must be set before the first table exists.
  const settings = [
    `page_size = ${C1Z_PAGE_SIZE}`,
    `auto_vacuum = ${pragma("auto_vacuum")}`,
    `user_version = ${pragma("user_version")}`,
    `application_id = ${pragma("application_id")}`,
    // A new file that is renamed nowhere: nothing to roll back to, and it is fsynced by whoever keeps it.
    "journal_mode = OFF",
    "synchronous = OFF",
  ];
  const attach = db.prepare("attach database ? as packed");
  try {
    attach.run(path);
  } finally {
    attach.finalize();
  }
  try {
    for (const setting of settings) db.exec(`pragma packed.${setting}`);
    db.transaction(() => {
      for (const row of schema) db.exec(row.sql.replace(CREATE, "$1packed."));
      for (const row of schema) {
        if (row.type !== "table") continue;
        db.exec(`insert into packed.${quote(row.name)} select * from main.${quote(row.name)}`);
      }
    });
  } finally {
    db.exec("detach database packed");
  }
  return true;
}

/**
 * Whether the database is laid out as packInto would write it: Go's page size, no free pages,
 * and sqlite_master in packedSchemaOrder's order (so the schema is already Go's). Cheap:
 * sqlite_master and two header fields.
 */
export function isPacked(db: SqliteDatabase, indexOrder: (table: string) => readonly string[] = () => []): boolean {
  if (pragmaValue(db, "page_size") !== C1Z_PAGE_SIZE || pragmaValue(db, "freelist_count") > 0) return false;
  const master = db.prepare("select type, name, tbl_name, sql from main.sqlite_master order by rowid");
  try {
    const rows = master.all();
    const schema = packedSchemaOrder(rows, indexOrder);
    if (!schema) return false;
    const names = rows.map((row) => String(row.name)).filter((name) => !name.startsWith("sqlite_autoindex_"));
    return names.length === schema.length && schema.every((row, i) => row.name === names[i]);
  } finally {
    master.finalize();
  }
}
