/**
 * One sync's rows of a record table in external-id order, read a page at a time
 * (keyset paging on the `(external_id, sync_id)` unique index), so a diff or an
 * export holds one page per side, never a whole table.
 */
import type { SqliteDatabase } from "../storage/index.ts";

export type RecordTable = "v1_resources" | "v1_entitlements" | "v1_grants";

export interface SortedRow {
  externalId: string;
  data: Uint8Array;
}

const DEFAULT_PAGE = 1000;

/** Rows of `syncId` with `external_id > after`, ascending in SQLite's BINARY (UTF-8 byte) order. */
export function* sortedRows(
  db: SqliteDatabase,
  table: RecordTable,
  syncId: string,
  after = "",
  pageSize = DEFAULT_PAGE,
): Generator<SortedRow> {
  const statement = db.prepare(
    `select external_id, data from ${table} where sync_id = ? and external_id > ? order by external_id limit ?`,
  );
  try {
    let last = after;
    for (;;) {
      const rows = statement.all(syncId, last, pageSize);
      for (const row of rows) yield { externalId: String(row.external_id), data: row.data as Uint8Array };
      if (rows.length < pageSize) return;
      last = String(rows[rows.length - 1].external_id);
    }
  } finally {
    statement.finalize();
  }
}

/**
 * Compares two strings in Unicode code point order, which is the byte order of
 * their UTF-8 forms and so SQLite's BINARY collation. Plain `<` compares UTF-16
 * units and puts astral characters before U+E000..U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800) x += x >= 0xe000 ? -0x800 : 0x2000;
    if (y >= 0xd800) y += y >= 0xe000 ? -0x800 : 0x2000;
    return x - y;
  }
  return a.length - b.length;
}
