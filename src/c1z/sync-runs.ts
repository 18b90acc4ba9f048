/** The v1_sync_runs table: which syncs a c1z holds, the current one, its checkpoint and retention. */
import type { SqlRow, SqlValue } from "../storage/index.ts";
import { newKsuid } from "./ksuid.ts";
import type { StatementCache } from "./statements.ts";
import type { SyncRun, SyncStats, SyncType } from "./store.ts";
import { goLocalTime } from "./time.ts";

const UNFINISHED_WINDOW_MS = 7 * 24 * 3600 * 1000;
export const DEFAULT_KEEP_SYNCS = 2;
const SYNC_SCOPED_TABLES = [
  "v1_resource_types",
  "v1_resources",
  "v1_entitlements",
  "v1_grants",
  "v1_assets",
  "v1_connector_sessions",
  "v1_sync_runs",
];

export class SyncRuns {
  private current: string | undefined;
  private columnSet: Set<string> | undefined;

  constructor(
    private readonly statements: StatementCache,
    private readonly now: () => number,
  ) {}

  get currentSyncId(): string | undefined {
    return this.current;
  }

  /** Whether v1_sync_runs has one of the newer SDKs' optional columns (reference §2.4). */
  hasColumn(name: string): boolean {
    this.columnSet ??= new Set(
      this.statements.db
        .prepare("select name from pragma_table_info('v1_sync_runs')")
        .all()
        .map((row) => String(row.name)),
    );
    return this.columnSet.has(name);
  }

  private get columns(): string {
    const base = "sync_id, started_at, ended_at, sync_token, sync_type, parent_sync_id, supports_diff";
    return this.hasColumn("stats") ? `${base}, stats` : base;
  }

  private toSyncRun(row: SqlRow): SyncRun {
    const run: SyncRun = {
      syncId: String(row.sync_id),
      startedAt: String(row.started_at),
      endedAt: row.ended_at === null ? null : String(row.ended_at),
      syncToken: String(row.sync_token ?? ""),
      syncType: String(row.sync_type ?? "full") as SyncType,
      parentSyncId: String(row.parent_sync_id ?? ""),
      supportsDiff: Number(row.supports_diff ?? 0) === 1,
    };
    const stats = parseStats(row.stats);
    if (stats) run.stats = stats;
    return run;
  }

  list(): SyncRun[] {
    return this.statements
      .get(`select ${this.columns} from v1_sync_runs order by id`)
      .all()
      .map((row) => this.toSyncRun(row));
  }

  get(syncId: string): SyncRun | undefined {
    const row = this.statements.get(`select ${this.columns} from v1_sync_runs where sync_id = ?`).get(syncId);
    return row ? this.toSyncRun(row) : undefined;
  }

  /** Go's getFinishedSync: `ended_at` compared as text, `sync_id` breaks ties. */
  latestFinished(type?: SyncType): SyncRun | undefined {
    const where = type ? "ended_at is not null and sync_type = ?" : "ended_at is not null";
    const row = this.statements
      .get(`select ${this.columns} from v1_sync_runs where ${where} order by ended_at desc, sync_id desc limit 1`)
      .get(...(type ? [type] : []));
    return row ? this.toSyncRun(row) : undefined;
  }

  latestUnfinished(type?: SyncType): SyncRun | undefined {
    const cutoff = goLocalTime(this.now() - UNFINISHED_WINDOW_MS);
    const where = `ended_at is null and started_at >= ?${type ? " and sync_type = ?" : ""}`;
    const row = this.statements
      .get(`select ${this.columns} from v1_sync_runs where ${where} order by started_at desc limit 1`)
      .get(cutoff, ...(type ? [type] : []));
    return row ? this.toSyncRun(row) : undefined;
  }

  /** Go's cascade: requested, current, latest finished (of `finishedType`), latest unfinished, else none. */
  resolve(requested: string | undefined, finishedType: SyncType | undefined): string | undefined {
    if (requested) return requested;
    if (this.current) return this.current;
    return this.latestFinished(finishedType)?.syncId ?? this.latestUnfinished()?.syncId;
  }

  start(type: SyncType, parentSyncId: string): string {
    if (this.current) throw new Error(`sync ${this.current} is still in progress; end it before starting another`);
    const now = this.now();
    const syncId = newKsuid(now);
    // Our grants never carry GrantExpandable in data, so a newer SDK need not backfill them.
    const backfilled = this.hasColumn("grants_backfilled");
    this.statements
      .get(
        `insert into v1_sync_runs (sync_id, started_at, sync_token, sync_type, parent_sync_id, linked_sync_id,
         supports_diff${backfilled ? ", grants_backfilled" : ""}) values (?, ?, '', ?, ?, '', 0${backfilled ? ", 1" : ""})`,
      )
      .run(syncId, goLocalTime(now), type, parentSyncId);
    this.current = syncId;
    return syncId;
  }

  resume(syncId: string): void {
    const run = this.get(syncId);
    if (!run) throw new Error(`no sync ${syncId} in this c1z`);
    if (run.endedAt !== null) throw new Error(`sync ${syncId} already ended at ${run.endedAt}`);
    this.current = syncId;
  }

  require(): string {
    if (!this.current) throw new Error("no sync in progress: call startSync() or resumeSync() first");
    return this.current;
  }

  setToken(token: string): void {
    this.statements.get("update v1_sync_runs set sync_token = ? where sync_id = ?").run(token, this.require());
  }

  markSupportsDiff(): void {
    this.statements.get("update v1_sync_runs set supports_diff = 1 where sync_id = ?").run(this.require());
  }

  /** Sets `ended_at` (and `stats` where the column exists); the sync stops being current. */
  end(statsOf: (syncId: string) => SyncStats): void {
    const syncId = this.require();
    const endedAt = goLocalTime(this.now());
    if (this.hasColumn("stats")) {
      this.statements
        .get("update v1_sync_runs set ended_at = ?, stats = ? where sync_id = ? and ended_at is null")
        .run(endedAt, statsJson(statsOf(syncId)), syncId);
    } else {
      this.statements
        .get("update v1_sync_runs set ended_at = ? where sync_id = ? and ended_at is null")
        .run(endedAt, syncId);
    }
    this.current = undefined;
  }

  /**
   * Go's retention (`SelectSyncsToDelete`): keep the newest `keep` finished full syncs (one
   * fewer while a sync is open); drop partial/resources_only syncs that ended before the
   * oldest kept full sync started; with more than two diff syncs keep only the latest and
   * its linked partner. Unfinished syncs are never touched. Returns the deleted sync ids.
   */
  deleteOld(keep: number): string[] {
    const limit = this.current && keep > 0 ? keep - 1 : keep;
    const runs = this.statements
      .get(
        "select sync_id, sync_type, started_at, ended_at, linked_sync_id from v1_sync_runs where ended_at is not null order by id",
      )
      .all()
      .filter((row) => row.sync_id !== this.current);
    const isPartial = (row: SqlRow) => row.sync_type === "partial" || row.sync_type === "resources_only";
    const isDiff = (row: SqlRow) => row.sync_type === "partial_upserts" || row.sync_type === "partial_deletions";
    const fulls = runs.filter((row) => !isPartial(row) && !isDiff(row));
    const partials = runs.filter(isPartial);
    const diffs = runs.filter(isDiff);
    const doomed = new Set<string>();
    if (fulls.length > limit) {
      const overflow = fulls.length - limit;
      for (const row of fulls.slice(0, overflow)) doomed.add(String(row.sync_id));
      const cutoff = fulls[this.current ? overflow - 1 : overflow];
      if (cutoff) {
        for (const row of partials)
          if (String(row.ended_at) < String(cutoff.started_at)) doomed.add(String(row.sync_id));
      }
    }
    if (diffs.length > 2) {
      const latest = diffs[diffs.length - 1];
      const kept = new Set([String(latest.sync_id), String(latest.linked_sync_id ?? "")]);
      for (const row of diffs) if (!kept.has(String(row.sync_id))) doomed.add(String(row.sync_id));
    }
    if (doomed.size > 0) {
      this.statements.db.transaction(() => {
        for (const syncId of doomed) {
          for (const table of SYNC_SCOPED_TABLES) {
            this.statements.get(`delete from ${table} where sync_id = ?`).run(syncId);
          }
        }
      });
    }
    return [...doomed];
  }
}

function parseStats(value: SqlValue | undefined): SyncStats | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  try {
    const parsed = JSON.parse(value) as unknown;
    return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as SyncStats) : undefined;
  } catch {
    return undefined;
  }
}

const STATS_KEY_ORDER: readonly (keyof SyncStats)[] = [
  "resource_types",
  "resources",
  "entitlements",
  "grants",
  "resources_by_resource_type",
  "grants_by_resource_type",
  "entitlements_by_resource_type",
  "assets",
];

/** Go's encoding/json of SyncStats: struct field order, `omitempty`, map keys sorted. */
export function statsJson(stats: SyncStats): string {
  const out: Record<string, unknown> = {};
  for (const key of STATS_KEY_ORDER) {
    const value = stats[key];
    if (value === undefined || value === 0) continue;
    if (typeof value === "object") {
      const keys = Object.keys(value).sort();
      if (keys.length === 0) continue;
      out[key] = Object.fromEntries(keys.map((k) => [k, value[k]]));
    } else out[key] = value;
  }
  return JSON.stringify(out);
}
