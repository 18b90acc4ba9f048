import { fromBinary } from "@bufbuild/protobuf";
import { GrantSchema } from "../model/types.ts";
import type { SqliteDatabase } from "../storage/index.ts";
import { C1zError } from "./errors.ts";
import { splitGrantExpansion } from "./expansion.ts";
import { isDeferrableGrantIndex } from "./grant-indexes.ts";
import {
  CORE_TABLES,
  GRANT_PARTIAL_INDEXES,
  GRANTS_ADDED_COLUMNS,
  REQUIRED_COLUMNS,
  SYNC_RUNS_ADDED_COLUMNS,
  V1_DDL,
  V1_TABLES,
} from "./schema.ts";

export function createSchema(db: SqliteDatabase): void {
  db.transaction(() => {
    for (const table of V1_TABLES) {
      for (const sql of V1_DDL[table]) db.exec(sql);
      // Go's grants migration adds these right after the grants schema.
      if (table === "v1_grants") for (const sql of GRANT_PARTIAL_INDEXES) db.exec(sql);
    }
  });
}

function columns(db: SqliteDatabase, table: string): Set<string> {
  return new Set(
    db
      .prepare(`select name from pragma_table_info('${table}')`)
      .all()
      .map((row) => String(row.name)),
  );
}

/** Fails with `missing-tables` when the database is not a c1z v1 store Go could read. */
export function checkTables(db: SqliteDatabase): void {
  const present = new Set(
    db
      .prepare("select name from sqlite_master where type = 'table'")
      .all()
      .map((row) => String(row.name)),
  );
  const missing = CORE_TABLES.filter((table) => !present.has(table));
  if (missing.length === CORE_TABLES.length && !V1_TABLES.some((t) => present.has(t))) {
    throw new C1zError(
      "missing-tables",
      `c1z SQLite database has none of the v1 tables (${V1_TABLES.join(", ")}); found: ${[...present].join(", ") || "no tables"}`,
    );
  }
  if (missing.length > 0) {
    throw new C1zError("missing-tables", `c1z SQLite database lacks the table(s) ${missing.join(", ")}`);
  }
  for (const [table, required] of Object.entries(REQUIRED_COLUMNS)) {
    const have = columns(db, table);
    const lacking = (required ?? []).filter((column) => !have.has(column));
    if (lacking.length > 0) {
      throw new C1zError("missing-tables", `c1z table ${table} lacks the column(s) ${lacking.join(", ")}`);
    }
  }
}

/**
 * What Go's `InitTables` does on every open, applied to our in-memory copy: create missing
 * tables and indexes, add the newer sync_runs and grants columns, and move GrantExpandable
 * out of old writers' grant `data` into `expansion` (`backfillGrantExpansionColumn`).
 * Unlike Go, while a sync is unfinished the grant indexes a sync builds at its end stay
 * missing: a resumed step would drop them again at once (see `GrantIndexes`).
 */
export function migrate(db: SqliteDatabase): { backfilledGrants: number } {
  return db.transaction(() => {
    const resumable = hasUnfinishedSync(db);
    const wanted = (sql: string) => !(resumable && isDeferrableGrantIndex(sql));
    // A writer older than the expansion column kept GrantExpandable in every grant's data.
    const oldWriter = !columns(db, "v1_grants").has("expansion");
    for (const table of V1_TABLES) for (const sql of V1_DDL[table]) if (wanted(sql)) db.exec(sql);
    addMissingColumns(db, "v1_sync_runs", SYNC_RUNS_ADDED_COLUMNS);
    addMissingColumns(db, "v1_grants", GRANTS_ADDED_COLUMNS);
    for (const sql of GRANT_PARTIAL_INDEXES) if (wanted(sql)) db.exec(sql);
    return { backfilledGrants: backfillExpansion(db, oldWriter ? "all" : "finished") };
  });
}

function hasUnfinishedSync(db: SqliteDatabase): boolean {
  const table = db.prepare("select 1 from sqlite_master where type = 'table' and name = 'v1_sync_runs'").get();
  return (
    table !== undefined && db.prepare("select 1 from v1_sync_runs where ended_at is null limit 1").get() !== undefined
  );
}

function addMissingColumns(db: SqliteDatabase, table: string, added: ReadonlyArray<readonly [string, string]>): void {
  const have = columns(db, table);
  for (const [name, type] of added) if (!have.has(name)) db.exec(`alter table ${table} add column ${name} ${type}`);
}

const GRANT_EXPANDABLE_NAME = new TextEncoder().encode("c1.connector.v2.GrantExpandable");

/** Which runs `backfillExpansion` looks at: every run, the finished ones, or one sync (by id). */
export type BackfillRuns = "all" | "finished" | { syncId: string };

/**
 * The runs whose grants may still carry GrantExpandable in `data`. Newer SDKs track the
 * backfill in grants_backfilled; without that column we follow the v0.7.27 reader, which
 * backfills the grants of runs with supports_diff = 0.
 */
function runsToBackfill(db: SqliteDatabase, which: BackfillRuns): { sql: string; params: string[] } {
  const tracked = columns(db, "v1_sync_runs").has("grants_backfilled");
  const flag = tracked ? "grants_backfilled = 0" : "supports_diff = 0";
  const runs = `select sync_id from v1_sync_runs where ${flag}`;
  if (which === "all") return { sql: runs, params: [] };
  if (which === "finished") return { sql: `${runs} and ended_at is not null`, params: [] };
  return { sql: `${runs} and sync_id = ?`, params: [which.syncId] };
}

/**
 * Moves GrantExpandable out of old writers' grant `data` into `expansion`. On open: every run
 * of a file from before the expansion column, else the finished runs only; an unfinished
 * one is done by its grant expansion, before it reads the edges. Finding nothing takes a scan
 * of every grant's data, and a resumed sync opens its store once per step (our own grants
 * never carry the annotation in `data`).
 */
export function backfillExpansion(db: SqliteDatabase, which: BackfillRuns): number {
  const runs = runsToBackfill(db, which);
  const pending = db.prepare(`select count(*) as n from (${runs.sql})`).get(...runs.params);
  if (!pending || Number(pending.n) === 0) return 0;
  // Only grants whose data mentions the annotation can change; the rest keep their bytes.
  const rows = db
    .prepare(
      `select id, data from v1_grants
       where expansion is null and instr(data, ?) > 0 and sync_id in (${runs.sql})`,
    )
    .all(GRANT_EXPANDABLE_NAME, ...runs.params);
  const update = db.prepare("update v1_grants set data = ?, expansion = ?, needs_expansion = ? where id = ?");
  let changed = 0;
  for (const row of rows) {
    const grant = fromBinary(GrantSchema, row.data as Uint8Array);
    const split = splitGrantExpansion(grant);
    if (!split.stripped) continue;
    update.run(split.data, split.expansion, split.expansion ? 1 : 0, row.id);
    changed++;
  }
  if (columns(db, "v1_sync_runs").has("grants_backfilled")) {
    db.prepare(`update v1_sync_runs set grants_backfilled = 1 where sync_id in (${runs.sql})`).run(...runs.params);
  }
  return changed;
}

/**
 * Makes an opened database a usable c1z store: the v1 schema for a new one, else the tables
 * checked and migrated as Go's reader does. On failure the database is closed and the error
 * is a `C1zError` that names `what` (a path, "paged c1z", "c1z payload").
 */
export function prepareC1zDatabase(db: SqliteDatabase, fresh: boolean, what: string): void {
  try {
    if (fresh) createSchema(db);
    else {
      checkTables(db);
      migrate(db);
    }
  } catch (error) {
    db.close();
    if (error instanceof C1zError) throw error;
    throw new C1zError("not-sqlite", `${what}: the SQLite database is damaged: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
