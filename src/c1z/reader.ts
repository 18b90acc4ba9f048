/** Reads of the v1 tables with Go's paging and default-sync rules. */
import { type DescMessage, fromBinary, type MessageShape } from "@bufbuild/protobuf";
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
import type { SqlRow, SqlValue } from "../storage/index.ts";
import { decodeExpansion } from "./expansion.ts";
import type { GrantIndexes, GrantIndexUse } from "./grant-indexes.ts";
import type { StatementCache } from "./statements.ts";
import type {
  GrantFilter,
  GrantWithExpansion,
  PageOf,
  PageRequest,
  StoredGrantRow,
  SyncStats,
  SyncType,
} from "./store.ts";
import type { SyncRuns } from "./sync-runs.ts";

const MAX_PAGE_SIZE = 10_000;

type Filter = readonly [sql: string, values: readonly SqlValue[]];

export class C1zRowReader {
  constructor(
    private readonly statements: StatementCache,
    private readonly syncs: SyncRuns,
    private readonly grantIndexes: GrantIndexes,
  ) {}

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
    const syncId = this.syncs.resolve(request?.syncId, finishedType);
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
    const rows = this.statements.get(sql).all(...values);
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
    const row = this.statements
      .get(`select data from ${table} where ${where.join(" and ")} order by id limit 1`)
      .get(...values);
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
      this.syncs.resolve(syncId, undefined),
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
      this.syncs.resolve(syncId, "full"),
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
      this.syncs.resolve(syncId, undefined),
    );
  }

  private grantFilters(request: GrantFilter | undefined): Filter[] {
    const filters: Filter[] = [];
    if (!request) return filters;
    const need = (use: GrantIndexUse) => this.grantIndexes.need(use);
    if (request.entitlementId) {
      need("entitlement");
      filters.push(["entitlement_id = ?", [request.entitlementId]]);
    }
    if (request.principal) {
      if (!request.entitlementId) need("principal");
      filters.push([
        "principal_resource_id = ? and principal_resource_type_id = ?",
        [request.principal.resource, request.principal.resourceType],
      ]);
    }
    if (request.resource) {
      if (!request.entitlementId && !request.principal) need("resource");
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

  listGrantRows(request?: GrantFilter): PageOf<StoredGrantRow> {
    const rows = this.pageRows(
      "v1_grants",
      "id, principal_resource_type_id, principal_resource_id, data",
      this.grantFilters(request),
      request,
      "full",
    );
    return {
      items: rows.items.map((row) => ({
        principalResourceTypeId: String(row.principal_resource_type_id),
        principalResourceId: String(row.principal_resource_id),
        data: row.data as Uint8Array,
      })),
      nextPageToken: rows.next,
    };
  }

  getGrant(id: string, syncId?: string): Grant | undefined {
    return this.getOne(GrantSchema, "v1_grants", [["external_id = ?", [id]]], this.syncs.resolve(syncId, undefined));
  }

  listGrantsWithExpansion(request?: GrantFilter & { pendingOnly?: boolean }): PageOf<GrantWithExpansion> {
    const filters = this.grantFilters(request);
    if (request?.pendingOnly) {
      this.grantIndexes.need("pending-expansion");
      filters.push(["needs_expansion = 1", []]);
    }
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
    const resolved =
      syncId ??
      this.syncs.currentSyncId ??
      this.syncs.latestFinished()?.syncId ??
      this.syncs.latestUnfinished()?.syncId;
    if (resolved) {
      const cached = this.syncs.get(resolved)?.stats;
      if (cached && (cached.resource_types ?? 0) > 0) return cached;
    }
    return this.computeStats(resolved);
  }

  /** Go's slow path of `stats`: resources counted per known resource type (zeros kept). */
  computeStats(syncId: string | undefined): SyncStats {
    const where = syncId === undefined ? "" : " where sync_id = ?";
    const args = syncId === undefined ? [] : [syncId];
    const count = (table: string) =>
      Number(this.statements.get(`select count(*) as n from ${table}${where}`).get(...args)?.n ?? 0);
    const byType = (table: string) => {
      const out: Record<string, number> = {};
      const sql = `select resource_type_id as t, count(*) as n from ${table}${where} group by resource_type_id`;
      for (const row of this.statements.get(sql).all(...args)) out[String(row.t)] = Number(row.n);
      return out;
    };
    const typeIds = this.statements
      .get(`select external_id from v1_resource_types${where}`)
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
    const syncType = syncId === undefined ? undefined : this.syncs.get(syncId)?.syncType;
    if (syncType !== "resources_only") {
      stats.entitlements_by_resource_type = byType("v1_entitlements");
      stats.grants_by_resource_type = byType("v1_grants");
      stats.entitlements = Object.values(stats.entitlements_by_resource_type).reduce((a, b) => a + b, 0);
      stats.grants = Object.values(stats.grants_by_resource_type).reduce((a, b) => a + b, 0);
    }
    return stats;
  }
}
