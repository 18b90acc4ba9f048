/**
 * The secondary indexes of v1_grants, built once instead of kept up to date row by row.
 * A sync drops them while it writes (only the `(external_id, sync_id)` unique index stays:
 * it is what deduplicates upserts) and each comes back, with baton-sdk's exact DDL, the
 * first time a read needs it, and all of them before the sync ends. Building an index from
 * sorted rows is several times faster than inserting into it in the grants' order, and its
 * pages come out full.
 */
import type { SqliteDatabase } from "../storage/index.ts";
import { queryNumber } from "../storage/query.ts";
import { GRANT_PARTIAL_INDEXES, V1_DDL, V1_TABLES } from "./schema.ts";

/** The tables baton-sdk creates after v1_grants: rebuilt after the indexes, so sqlite_master keeps Go's order. */
const LATER_TABLES = V1_TABLES.slice(V1_TABLES.indexOf("v1_grants") + 1);

export type GrantIndexUse = "entitlement" | "principal" | "resource" | "pending-expansion" | "expansion";

const BY_USE: Record<GrantIndexUse, string> = {
  entitlement: "idx_grants_entitlement_sync_grant_v1",
  principal: "idx_grants_principal_id_v1",
  resource: "idx_grants_resource_type_id_resource_id_v1",
  "pending-expansion": "idx_grants_sync_needs_expansion_v1",
  expansion: "idx_grants_sync_expansion_v1",
};

/** Every v1_grants index in baton-sdk's creation order. */
const GRANT_INDEXES = [...V1_DDL.v1_grants.slice(1), ...GRANT_PARTIAL_INDEXES];
const indexName = (sql: string) => /if not exists (\w+)/i.exec(sql)?.[1] ?? "";
/** The names of the v1_grants indexes in baton-sdk's creation order. */
export const GRANT_INDEX_ORDER: readonly string[] = GRANT_INDEXES.map(indexName);
const UNIQUE = indexName(GRANT_INDEXES.find((sql) => /create unique index/i.test(sql)) ?? "");

/** name → `create index if not exists …` for every non-unique v1_grants index. */
const DEFERRABLE = new Map<string, string>(
  GRANT_INDEXES.filter((sql) => indexName(sql) !== UNIQUE).map((sql) => [indexName(sql), sql]),
);

/** Whether `sql` creates a v1_grants index that a sync builds only at its end. */
export function isDeferrableGrantIndex(sql: string): boolean {
  return DEFERRABLE.has(indexName(sql));
}

export class GrantIndexes {
  private readonly missing = new Set<string>();
  private active = false;

  /**
   * A database saved in the middle of a sync holds only the unique grant index, and `migrate`
   * leaves it so (rebuilding the rest on every resumed step cost minutes at 1M grants): the
   * indexes it lacks count as deferred, built when a read needs them or when the sync ends.
   */
  constructor(private readonly db: SqliteDatabase) {
    const present = this.presentIndexes();
    for (const name of DEFERRABLE.keys()) if (!present.has(name)) this.missing.add(name);
    // A restore that stopped between its steps (restoreStep) may have every index but not yet Go's order.
    this.active = this.missing.size > 0 || !this.inGoOrder() || !this.laterTablesBehind();
  }

  /** Drops the deferrable indexes (those present) until they are needed. */
  defer(): void {
    const present = this.presentIndexes();
    for (const name of DEFERRABLE.keys()) {
      if (present.has(name)) this.db.exec(`drop index ${name}`);
      this.missing.add(name);
    }
    this.active = true;
  }

  /** Builds the index a query of this kind uses, if it was deferred. */
  need(use: GrantIndexUse): void {
    const name = BY_USE[use];
    if (this.missing.delete(name)) this.db.exec(DEFERRABLE.get(name) as string);
  }

  /**
   * Builds every deferred index, in baton-sdk's creation order, then moves the tables Go creates
   * after v1_grants (assets, sessions: small) behind them, so sqlite_master lists the schema
   * exactly in Go's order again.
   */
  restoreAll(): void {
    if (!this.active) return;
    this.active = false;
    this.missing.clear();
    this.reorder();
  }

  /**
   * restoreAll in units a caller can commit and checkpoint between (a step budget on Workers ends
   * there; at 1M grants the whole restore is minutes of page reads): each call builds one index
   * (dropping its old copy in the same unit, so the unique index that deduplicates upserts is there
   * at every commit), or moves the later tables, and returns true while more is left. The units
   * follow from sqlite_master alone, so a run that resumes after a crash carries on from the last
   * commit: an index is kept when it already comes after the previous one in Go's order.
   */
  restoreStep(): boolean {
    if (!this.active) return false;
    const rowids = this.grantIndexRowids();
    let previous = 0;
    for (const [i, name] of GRANT_INDEX_ORDER.entries()) {
      const rowid = rowids.get(name);
      if (rowid !== undefined && rowid > previous) {
        previous = rowid;
        continue;
      }
      if (rowid !== undefined) this.db.exec(`drop index ${name}`);
      this.db.exec(GRANT_INDEXES[i] as string);
      this.missing.delete(name);
      return true;
    }
    if (!this.laterTablesBehind()) this.moveLaterTables();
    this.active = false;
    this.missing.clear();
    return false;
  }

  /**
   * Builds the deferred indexes only, in any order: enough when the file is packed with the
   * schema laid out in Go's order (pack.ts) before anyone reads it. Saves the second sort of
   * the unique index and of those reads built early (about half of restoreAll at 1M grants).
   */
  buildMissing(): void {
    if (!this.active) return;
    this.active = false;
    for (const sql of GRANT_INDEXES) if (this.missing.has(indexName(sql))) this.db.exec(sql);
    this.missing.clear();
  }

  /** Every v1_grants index built again in Go's order, and the later tables moved behind them. */
  reorder(): void {
    // Go creates the unique index fourth, and reads may have built some early: all of them are
    // built again in Go's order (the unique one and those built early cost one more sort each).
    for (const sql of GRANT_INDEXES) this.db.exec(`drop index if exists ${indexName(sql)}`);
    for (const sql of GRANT_INDEXES) this.db.exec(sql);
    this.moveLaterTables();
  }

  /** The tables Go creates after v1_grants, and their indexes, created again behind the grant indexes. */
  private moveLaterTables(): void {
    for (const table of LATER_TABLES) {
      this.db.exec(`alter table ${table} rename to ${table}_moving`);
      // The rename keeps the indexes' names on the old table: drop them before re-creating.
      const sql = "select name from sqlite_master where type = 'index' and tbl_name = ? and sql is not null";
      for (const name of this.names(sql, `${table}_moving`)) this.db.exec(`drop index ${name}`);
      for (const sql of V1_DDL[table]) this.db.exec(sql);
      this.db.exec(`insert into ${table} select * from ${table}_moving`);
      this.db.exec(`drop table ${table}_moving`);
    }
  }

  /** name → sqlite_master rowid of each v1_grants index (rowids grow with creation). */
  private grantIndexRowids(): Map<string, number> {
    const statement = this.db.prepare(
      "select name, rowid as at from sqlite_master where type = 'index' and tbl_name = 'v1_grants' and sql is not null",
    );
    try {
      return new Map(statement.all().map((row) => [String(row.name), Number(row.at)]));
    } finally {
      statement.finalize();
    }
  }

  /** Every grant index present, in Go's order. */
  private inGoOrder(): boolean {
    const rowids = this.grantIndexRowids();
    const order = [...rowids.entries()].sort((a, b) => a[1] - b[1]).map(([name]) => name);
    return order.length === GRANT_INDEX_ORDER.length && order.every((name, i) => name === GRANT_INDEX_ORDER[i]);
  }

  /** Whether the later tables' indexes come after every grant index in sqlite_master, as in Go's schema. */
  private laterTablesBehind(): boolean {
    const rowid = (sql: string, ...params: string[]) => queryNumber(this.db, sql, ...params);
    const lastGrantIndex = rowid(
      "select max(rowid) from sqlite_master where type = 'index' and tbl_name = 'v1_grants'",
    );
    for (const table of LATER_TABLES) {
      const first = rowid("select min(rowid) from sqlite_master where tbl_name = ?", table);
      if (first !== 0 && first < lastGrantIndex) return false;
    }
    return true;
  }

  private presentIndexes(): Set<string> {
    return new Set(this.names("select name from sqlite_master where type = 'index' and tbl_name = 'v1_grants'"));
  }

  private names(sql: string, ...params: string[]): string[] {
    const statement = this.db.prepare(sql);
    try {
      return statement.all(...params).map((row) => String(row.name));
    } finally {
      statement.finalize();
    }
  }

  get deferred(): boolean {
    return this.active;
  }
}
