import { type DescMessage, fromBinary, type MessageShape } from "@bufbuild/protobuf";
import type { CompressOptions } from "../compress/index.ts";
import { resourceExternalId } from "../model/ids.ts";
import {
  type Entitlement,
  EntitlementSchema,
  type Grant,
  GrantSchema,
  type Resource,
  type ResourceId,
  ResourceSchema,
  type ResourceType,
  ResourceTypeSchema,
} from "../model/types.ts";
import { toGoBinary } from "../proto/encode.ts";
import type { SqliteDatabase, SqlRow, SqlStatement, SqlValue } from "../storage/index.ts";
import { type EncodedC1z, encodeC1zWithInfo } from "./envelope.ts";
import { decodeExpansion, splitGrantExpansion } from "./expansion.ts";
import { newKsuid } from "./ksuid.ts";
import type {
  C1zWriter,
  GrantFilter,
  GrantWithExpansion,
  PageOf,
  PageRequest,
  SyncRun,
  SyncStats,
  SyncType,
} from "./store.ts";
import { goLocalTime } from "./time.ts";

const MAX_PAGE_SIZE = 10_000;
const UNFINISHED_WINDOW_MS = 7 * 24 * 3600 * 1000;
const DEFAULT_KEEP_SYNCS = 2;
const SYNC_SCOPED_TABLES = [
  "v1_resource_types",
  "v1_resources",
  "v1_entitlements",
  "v1_grants",
  "v1_assets",
  "v1_connector_sessions",
  "v1_sync_runs",
];

export interface StoreOptions {
  /** Epoch milliseconds; time columns are written in Go's local zone-less layout. */
  now?: () => number;
  /** Used by `toBytes()`. */
  compression?: CompressOptions;
}

type Filter = readonly [sql: string, values: readonly SqlValue[]];

/** A c1z v1 store over one in-memory SQLite database (any engine). */
export class SqliteC1zStore implements C1zWriter {
  private current: string | undefined;
  private readonly statements = new Map<string, SqlStatement>();
  private readonly now: () => number;

  constructor(
    readonly db: SqliteDatabase,
    private readonly options: StoreOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  get engine(): string {
    return this.db.engine;
  }

  get currentSyncId(): string | undefined {
    return this.current;
  }

  private stmt(sql: string): SqlStatement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  // ---- syncs ----

  private syncRunColumnSet: Set<string> | undefined;

  /** Whether v1_sync_runs has one of the newer SDKs' optional columns (reference §2.4). */
  private hasSyncRunColumn(name: string): boolean {
    this.syncRunColumnSet ??= new Set(
      this.db
        .prepare("select name from pragma_table_info('v1_sync_runs')")
        .all()
        .map((row) => String(row.name)),
    );
    return this.syncRunColumnSet.has(name);
  }

  private get syncColumns(): string {
    const base = "sync_id, started_at, ended_at, sync_token, sync_type, parent_sync_id, supports_diff";
    return this.hasSyncRunColumn("stats") ? `${base}, stats` : base;
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

  listSyncs(): SyncRun[] {
    return this.stmt(`select ${this.syncColumns} from v1_sync_runs order by id`)
      .all()
      .map((row) => this.toSyncRun(row));
  }

  getSync(syncId: string): SyncRun | undefined {
    const row = this.stmt(`select ${this.syncColumns} from v1_sync_runs where sync_id = ?`).get(syncId);
    return row ? this.toSyncRun(row) : undefined;
  }

  /** Go's getFinishedSync: `ended_at` compared as text, `sync_id` breaks ties. */
  latestFinishedSync(type?: SyncType): SyncRun | undefined {
    const where = type ? "ended_at is not null and sync_type = ?" : "ended_at is not null";
    const row = this.stmt(
      `select ${this.syncColumns} from v1_sync_runs where ${where} order by ended_at desc, sync_id desc limit 1`,
    ).get(...(type ? [type] : []));
    return row ? this.toSyncRun(row) : undefined;
  }

  latestUnfinishedSync(type?: SyncType): SyncRun | undefined {
    const cutoff = goLocalTime(this.now() - UNFINISHED_WINDOW_MS);
    const where = `ended_at is null and started_at >= ?${type ? " and sync_type = ?" : ""}`;
    const row = this.stmt(
      `select ${this.syncColumns} from v1_sync_runs where ${where} order by started_at desc limit 1`,
    ).get(cutoff, ...(type ? [type] : []));
    return row ? this.toSyncRun(row) : undefined;
  }

  /** Go's cascade: requested, current, latest finished full, latest unfinished, else no filter. */
  resolveSyncId(requested?: string): string | undefined {
    return this.resolve(requested, "full");
  }

  private resolve(requested: string | undefined, finishedType: SyncType | undefined): string | undefined {
    if (requested) return requested;
    if (this.current) return this.current;
    return this.latestFinishedSync(finishedType)?.syncId ?? this.latestUnfinishedSync()?.syncId;
  }

  startSync(type: SyncType, parentSyncId = ""): string {
    if (this.current) throw new Error(`sync ${this.current} is still in progress; end it before starting another`);
    const now = this.now();
    const syncId = newKsuid(now);
    // Our grants never carry GrantExpandable in data, so a newer SDK need not backfill them.
    const backfilled = this.hasSyncRunColumn("grants_backfilled");
    this.stmt(
      `insert into v1_sync_runs (sync_id, started_at, sync_token, sync_type, parent_sync_id, linked_sync_id,
         supports_diff${backfilled ? ", grants_backfilled" : ""}) values (?, ?, '', ?, ?, '', 0${backfilled ? ", 1" : ""})`,
    ).run(syncId, goLocalTime(now), type, parentSyncId);
    this.current = syncId;
    return syncId;
  }

  resumeSync(syncId: string): void {
    const run = this.getSync(syncId);
    if (!run) throw new Error(`no sync ${syncId} in this c1z`);
    if (run.endedAt !== null) throw new Error(`sync ${syncId} already ended at ${run.endedAt}`);
    this.current = syncId;
  }

  private requireSync(): string {
    if (!this.current) throw new Error("no sync in progress: call startSync() or resumeSync() first");
    return this.current;
  }

  setSyncToken(token: string): void {
    this.stmt("update v1_sync_runs set sync_token = ? where sync_id = ?").run(token, this.requireSync());
  }

  markSupportsDiff(): void {
    this.stmt("update v1_sync_runs set supports_diff = 1 where sync_id = ?").run(this.requireSync());
  }

  endSync(): void {
    const syncId = this.requireSync();
    const endedAt = goLocalTime(this.now());
    if (this.hasSyncRunColumn("stats")) {
      const stats = statsJson(this.computeStats(syncId));
      this.stmt("update v1_sync_runs set ended_at = ?, stats = ? where sync_id = ? and ended_at is null").run(
        endedAt,
        stats,
        syncId,
      );
    } else {
      this.stmt("update v1_sync_runs set ended_at = ? where sync_id = ? and ended_at is null").run(endedAt, syncId);
    }
    this.current = undefined;
  }

  /**
   * Go's retention (`SelectSyncsToDelete`): keep the newest `keep` finished full syncs (one
   * fewer while a sync is open); drop partial/resources_only syncs that ended before the
   * oldest kept full sync started; with more than two diff syncs keep only the latest and
   * its linked partner. Unfinished syncs are never touched. Then VACUUM.
   */
  cleanup(keep = DEFAULT_KEEP_SYNCS): void {
    const limit = this.current && keep > 0 ? keep - 1 : keep;
    const runs = this.stmt(
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
      this.db.transaction(() => {
        for (const syncId of doomed) {
          for (const table of SYNC_SCOPED_TABLES) this.stmt(`delete from ${table} where sync_id = ?`).run(syncId);
        }
      });
    }
    this.db.exec("VACUUM");
  }

  // ---- writes ----

  private discoveredAt(): string {
    return goLocalTime(this.now());
  }

  putResourceTypes(resourceTypes: readonly ResourceType[]): void {
    const syncId = this.requireSync();
    const at = this.discoveredAt();
    const insert = this.stmt(
      `insert into v1_resource_types (external_id, data, sync_id, discovered_at) values (?, ?, ?, ?)
       on conflict (external_id, sync_id) do update set data = excluded.data`,
    );
    this.db.transaction(() => {
      for (const rt of resourceTypes) {
        if (!rt.id) throw new Error("resource type without an id");
        insert.run(rt.id, toGoBinary(ResourceTypeSchema, rt), syncId, at);
      }
    });
  }

  putResources(resources: readonly Resource[]): void {
    const syncId = this.requireSync();
    const at = this.discoveredAt();
    const insert = this.stmt(
      `insert into v1_resources (resource_type_id, external_id, parent_resource_type_id, parent_resource_id, data, sync_id, discovered_at)
       values (?, ?, ?, ?, ?, ?, ?)
       on conflict (external_id, sync_id) do update set data = excluded.data`,
    );
    this.db.transaction(() => {
      for (const resource of resources) {
        const id = resource.id;
        if (!id?.resourceType || !id.resource) throw new Error("resource without an id (resource_type and resource)");
        const parent = resource.parentResourceId;
        const hasParent = parent !== undefined && parent.resource !== "";
        insert.run(
          id.resourceType,
          resourceExternalId(id),
          hasParent ? parent.resourceType : null,
          hasParent ? parent.resource : null,
          toGoBinary(ResourceSchema, resource),
          syncId,
          at,
        );
      }
    });
  }

  putEntitlements(entitlements: readonly Entitlement[]): void {
    const syncId = this.requireSync();
    const at = this.discoveredAt();
    const insert = this.stmt(
      `insert into v1_entitlements (resource_type_id, resource_id, external_id, data, sync_id, discovered_at)
       values (?, ?, ?, ?, ?, ?)
       on conflict (external_id, sync_id) do update set data = excluded.data`,
    );
    this.db.transaction(() => {
      for (const entitlement of entitlements) {
        const resourceId = entitlement.resource?.id;
        if (!entitlement.id) throw new Error("entitlement without an id");
        if (!resourceId) throw new Error(`entitlement ${entitlement.id} does not embed its resource id`);
        insert.run(
          resourceId.resourceType,
          resourceId.resource,
          entitlement.id,
          toGoBinary(EntitlementSchema, entitlement),
          syncId,
          at,
        );
      }
    });
  }

  putGrants(grants: readonly Grant[]): void {
    this.writeGrants(
      grants,
      `data = excluded.data, expansion = excluded.expansion,
       needs_expansion = case
         when excluded.expansion is null or length(excluded.expansion) = 0 then 0
         when v1_grants.expansion is null or v1_grants.expansion != excluded.expansion then 1
         else v1_grants.needs_expansion end`,
    );
  }

  putExpandedGrants(grants: readonly Grant[]): void {
    this.writeGrants(grants, "data = excluded.data");
  }

  private writeGrants(grants: readonly Grant[], onConflict: string): void {
    const syncId = this.requireSync();
    const at = this.discoveredAt();
    const insert = this.stmt(
      `insert into v1_grants (resource_type_id, resource_id, entitlement_id, principal_resource_type_id,
         principal_resource_id, external_id, expansion, needs_expansion, data, sync_id, discovered_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       on conflict (external_id, sync_id) do update set ${onConflict}`,
    );
    this.db.transaction(() => {
      for (const grant of grants) {
        if (!grant.id) throw new Error("grant without an id");
        const resource = grant.entitlement?.resource?.id;
        const principal = grant.principal?.id;
        // Go's baton CLI dereferences these without nil checks; a grant must embed them.
        if (!grant.entitlement?.id || !resource) {
          throw new Error(`grant ${grant.id} does not embed its entitlement (id and resource id)`);
        }
        if (!principal) throw new Error(`grant ${grant.id} does not embed its principal id`);
        const split = splitGrantExpansion(grant);
        insert.run(
          resource.resourceType,
          resource.resource,
          grant.entitlement.id,
          principal.resourceType,
          principal.resource,
          grant.id,
          split.expansion,
          split.expansion ? 1 : 0,
          split.data,
          syncId,
          at,
        );
      }
    });
  }

  deleteGrant(id: string): void {
    this.stmt("delete from v1_grants where external_id = ? and sync_id = ?").run(id, this.requireSync());
  }

  // ---- reads ----

  private page<Desc extends DescMessage>(
    schema: Desc,
    table: string,
    filters: Filter[],
    request: PageRequest | undefined,
    finishedType: SyncType | undefined,
  ): PageOf<MessageShape<Desc>> {
    const rows = this.pageRows(table, "id, data", filters, request, finishedType);
    return { items: rows.items.map((row) => fromBinary(schema, row.data as Uint8Array)), nextPageToken: rows.next };
  }

  /** Go's listConnectorObjects: `id >= token`, `limit pageSize + 1`, next token = last id + 1. */
  private pageRows(
    table: string,
    columns: string,
    filters: Filter[],
    request: PageRequest | undefined,
    finishedType: SyncType | undefined,
  ): { items: SqlRow[]; next: string } {
    const where: string[] = [];
    const values: SqlValue[] = [];
    for (const [sql, params] of filters) {
      where.push(sql);
      values.push(...params);
    }
    const syncId = this.resolve(request?.syncId, finishedType);
    if (syncId !== undefined) {
      where.push("sync_id = ?");
      values.push(syncId);
    }
    const token = request?.pageToken ?? "";
    if (token !== "") {
      if (!/^\d+$/.test(token)) throw new Error(`invalid page token ${JSON.stringify(token)}: expected a row id`);
      where.push("id >= ?");
      values.push(Number(token));
    }
    const requested = request?.pageSize ?? 0;
    const pageSize = requested <= 0 || requested > MAX_PAGE_SIZE ? MAX_PAGE_SIZE : Math.floor(requested);
    values.push(pageSize + 1);
    const sql = `select ${columns} from ${table}${where.length ? ` where ${where.join(" and ")}` : ""} order by id asc limit ?`;
    const rows = this.stmt(sql).all(...values);
    if (rows.length <= pageSize) return { items: rows, next: "" };
    const items = rows.slice(0, pageSize);
    return { items, next: String(Number(items[items.length - 1].id) + 1) };
  }

  private getOne<Desc extends DescMessage>(
    schema: Desc,
    table: string,
    filters: Filter[],
    syncId: string | undefined,
  ): MessageShape<Desc> | undefined {
    const where = filters.map(([sql]) => sql);
    const values: SqlValue[] = filters.flatMap(([, params]) => [...params]);
    if (syncId !== undefined) {
      where.push("sync_id = ?");
      values.push(syncId);
    }
    const row = this.stmt(`select data from ${table} where ${where.join(" and ")} order by id limit 1`).get(...values);
    return row ? fromBinary(schema, row.data as Uint8Array) : undefined;
  }

  listResourceTypes(request?: PageRequest): PageOf<ResourceType> {
    return this.page(ResourceTypeSchema, "v1_resource_types", [], request, "full");
  }

  getResourceType(id: string, syncId?: string): ResourceType | undefined {
    return this.getOne(
      ResourceTypeSchema,
      "v1_resource_types",
      [["external_id = ?", [id]]],
      this.resolve(syncId, undefined),
    );
  }

  listResources(request?: PageRequest & { resourceTypeId?: string; parent?: ResourceId }): PageOf<Resource> {
    const filters: Filter[] = [];
    if (request?.resourceTypeId) filters.push(["resource_type_id = ?", [request.resourceTypeId]]);
    if (request?.parent) {
      filters.push([
        "parent_resource_id = ? and parent_resource_type_id = ?",
        [request.parent.resource, request.parent.resourceType],
      ]);
    }
    return this.page(ResourceSchema, "v1_resources", filters, request, "full");
  }

  getResource(id: ResourceId, syncId?: string): Resource | undefined {
    return this.getOne(
      ResourceSchema,
      "v1_resources",
      [
        ["external_id = ?", [resourceExternalId(id)]],
        ["resource_type_id = ?", [id.resourceType]],
      ],
      this.resolve(syncId, "full"),
    );
  }

  listEntitlements(request?: PageRequest & { resource?: ResourceId }): PageOf<Entitlement> {
    const filters: Filter[] = [];
    if (request?.resource) {
      filters.push([
        "resource_id = ? and resource_type_id = ?",
        [request.resource.resource, request.resource.resourceType],
      ]);
    }
    return this.page(EntitlementSchema, "v1_entitlements", filters, request, "full");
  }

  getEntitlement(id: string, syncId?: string): Entitlement | undefined {
    return this.getOne(
      EntitlementSchema,
      "v1_entitlements",
      [["external_id = ?", [id]]],
      this.resolve(syncId, undefined),
    );
  }

  private grantFilters(request: GrantFilter | undefined): Filter[] {
    const filters: Filter[] = [];
    if (!request) return filters;
    if (request.entitlementId) filters.push(["entitlement_id = ?", [request.entitlementId]]);
    if (request.principal) {
      filters.push([
        "principal_resource_id = ? and principal_resource_type_id = ?",
        [request.principal.resource, request.principal.resourceType],
      ]);
    }
    if (request.resource) {
      filters.push([
        "resource_id = ? and resource_type_id = ?",
        [request.resource.resource, request.resource.resourceType],
      ]);
    }
    if (request.principalResourceTypeIds?.length) {
      const ids = request.principalResourceTypeIds;
      filters.push([`principal_resource_type_id in (${ids.map(() => "?").join(", ")})`, ids]);
    }
    return filters;
  }

  listGrants(request?: GrantFilter): PageOf<Grant> {
    return this.page(GrantSchema, "v1_grants", this.grantFilters(request), request, "full");
  }

  getGrant(id: string, syncId?: string): Grant | undefined {
    return this.getOne(GrantSchema, "v1_grants", [["external_id = ?", [id]]], this.resolve(syncId, undefined));
  }

  listGrantsWithExpansion(request?: GrantFilter & { pendingOnly?: boolean }): PageOf<GrantWithExpansion> {
    const filters = this.grantFilters(request);
    if (request?.pendingOnly) filters.push(["needs_expansion = 1", []]);
    const rows = this.pageRows("v1_grants", "id, data, expansion, needs_expansion", filters, request, "full");
    return {
      items: rows.items.map((row) => {
        const item: GrantWithExpansion = {
          grant: fromBinary(GrantSchema, row.data as Uint8Array),
          needsExpansion: Number(row.needs_expansion) === 1,
        };
        const expansion = decodeExpansion(row.expansion as Uint8Array | null);
        if (expansion) item.expansion = expansion;
        return item;
      }),
      nextPageToken: rows.next,
    };
  }

  /** Cached `stats` when it parses and counts resource types (as Go), else counted from the tables. */
  stats(syncId?: string): SyncStats {
    const resolved = syncId ?? this.current ?? this.latestFinishedSync()?.syncId ?? this.latestUnfinishedSync()?.syncId;
    if (resolved) {
      const cached = this.getSync(resolved)?.stats;
      if (cached && (cached.resource_types ?? 0) > 0) return cached;
    }
    return this.computeStats(resolved);
  }

  /** Go's slow path of `stats`: resources counted per known resource type (zeros kept). */
  private computeStats(syncId: string | undefined): SyncStats {
    const where = syncId === undefined ? "" : " where sync_id = ?";
    const args = syncId === undefined ? [] : [syncId];
    const count = (table: string) =>
      Number(this.stmt(`select count(*) as n from ${table}${where}`).get(...args)?.n ?? 0);
    const byType = (table: string) => {
      const out: Record<string, number> = {};
      const sql = `select resource_type_id as t, count(*) as n from ${table}${where} group by resource_type_id`;
      for (const row of this.stmt(sql).all(...args)) out[String(row.t)] = Number(row.n);
      return out;
    };
    const typeIds = this.stmt(`select external_id from v1_resource_types${where}`)
      .all(...args)
      .map((row) => String(row.external_id));
    const resourceCounts = byType("v1_resources");
    const resourcesByType: Record<string, number> = {};
    let resources = 0;
    for (const id of typeIds) {
      resourcesByType[id] = resourceCounts[id] ?? 0;
      resources += resourcesByType[id];
    }
    const stats: SyncStats = {
      resource_types: typeIds.length,
      resources,
      resources_by_resource_type: resourcesByType,
      assets: count("v1_assets"),
    };
    const syncType = syncId === undefined ? undefined : this.getSync(syncId)?.syncType;
    if (syncType !== "resources_only") {
      stats.entitlements_by_resource_type = byType("v1_entitlements");
      stats.grants_by_resource_type = byType("v1_grants");
      stats.entitlements = Object.values(stats.entitlements_by_resource_type).reduce((a, b) => a + b, 0);
      stats.grants = Object.values(stats.grants_by_resource_type).reduce((a, b) => a + b, 0);
    }
    return stats;
  }

  // ---- bytes ----

  /** The SQLite database file. */
  sqliteBytes(): Uint8Array {
    return this.db.serialize();
  }

  encode(compression: CompressOptions = this.options.compression ?? {}): EncodedC1z {
    return encodeC1zWithInfo(this.db.serialize(), compression);
  }

  toBytes(): Uint8Array {
    return this.encode().bytes;
  }

  close(): void {
    for (const statement of this.statements.values()) statement.finalize();
    this.statements.clear();
    this.db.close();
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
