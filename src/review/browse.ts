/**
 * The explorer's reads over one sync, each a page in external-id order with a
 * keyset cursor (`after`), so a page costs the same at row 100 and row 100,000.
 * Search matches the id or the display name, case-insensitively, on the server
 * (over a per-type index of names built on the first search, see search-index.ts).
 */
import { fromBinary } from "@bufbuild/protobuf";
import type { SqliteC1zStore } from "../c1z/index.ts";
import { resourceId } from "../model/builders.ts";
import { type Entitlement, type Grant, GrantSchema, type Resource, ResourceSchema } from "../model/types.ts";
import type { SqlValue } from "../storage/index.ts";
import { searchIndex } from "./search-index.ts";
import { compareCodePoints } from "./sorted.ts";

export interface Page<T> {
  items: T[];
  /** The cursor for the next page, or null on the last one. */
  next: string | null;
}

const SCAN_BATCH = 500;

/** Rows of a query ordered by external_id, `after` the cursor, `limit` of them. */
function keysetPage<T>(
  store: SqliteC1zStore,
  sql: { table: string; where: string; params: SqlValue[] },
  after: string,
  limit: number,
  decode: (data: Uint8Array) => T,
): Page<T> {
  const statement = store.db.prepare(
    `select external_id, data from ${sql.table} where ${sql.where} and external_id > ? order by external_id limit ?`,
  );
  try {
    const items: T[] = [];
    let last = after;
    let lastKept = after;
    for (;;) {
      const rows = statement.all(...sql.params, last, SCAN_BATCH);
      for (const row of rows) {
        last = String(row.external_id);
        if (items.length === limit) return { items, next: lastKept };
        items.push(decode(row.data as Uint8Array));
        lastKept = last;
      }
      if (rows.length < SCAN_BATCH) return { items, next: null };
    }
  } finally {
    statement.finalize();
  }
}

function count(store: SqliteC1zStore, sql: string, params: SqlValue[]): number {
  return Number(store.db.prepare(sql).get(...params)?.n ?? 0);
}

export function matches(resource: Resource, query: string): boolean {
  const q = query.toLowerCase();
  return resource.displayName.toLowerCase().includes(q) || (resource.id?.resource ?? "").toLowerCase().includes(q);
}

/** A type's resources, optionally only those whose id or display name contains `query`. */
export function resourcesOfType(
  store: SqliteC1zStore,
  syncId: string,
  type: string,
  options: { query?: string; after?: string; limit: number },
): Page<Resource> & { total: number } {
  const total = count(store, "select count(*) as n from v1_resources where sync_id = ? and resource_type_id = ?", [
    syncId,
    type,
  ]);
  const query = options.query?.trim().toLowerCase();
  if (!query) {
    const where = { table: "v1_resources", where: "sync_id = ? and resource_type_id = ?", params: [syncId, type] };
    const page = keysetPage(store, where, options.after ?? "", options.limit, (data) =>
      fromBinary(ResourceSchema, data),
    );
    return { ...page, total };
  }
  const entries = searchIndex(store, syncId, type);
  let start = 0;
  if (options.after) {
    const after = options.after;
    let high = entries.length;
    while (start < high) {
      const mid = (start + high) >>> 1;
      if (compareCodePoints(entries[mid].externalId, after) <= 0) start = mid + 1;
      else high = mid;
    }
  }
  const ids: string[] = [];
  for (let i = start; i < entries.length && ids.length <= options.limit; i++) {
    if (entries[i].text.includes(query)) ids.push(entries[i].externalId);
  }
  const shown = ids.slice(0, options.limit);
  const rows = shown.length
    ? store.db
        .prepare(
          `select external_id, data from v1_resources where sync_id = ? and resource_type_id = ? and external_id in (${shown.map(() => "?").join(", ")})`,
        )
        .all(syncId, type, ...shown)
    : [];
  const byId = new Map(rows.map((row) => [String(row.external_id), row.data as Uint8Array]));
  const items = shown.flatMap((id) => {
    const data = byId.get(id);
    return data ? [fromBinary(ResourceSchema, data)] : [];
  });
  return { items, next: ids.length > options.limit ? shown[shown.length - 1] : null, total };
}

type ResourceRef = { resourceType: string; resource: string };

/** Grants whose (type, id) columns equal `ref`: those on a resource's entitlements, or those a principal holds. */
function grantsBy(
  store: SqliteC1zStore,
  syncId: string,
  columns: "resource" | "principal_resource",
  ref: ResourceRef,
  options: { after?: string; limit: number },
): Page<Grant> & { total: number } {
  const params = [syncId, ref.resourceType, ref.resource];
  const where = `sync_id = ? and ${columns}_type_id = ? and ${columns}_id = ?`;
  return {
    ...keysetPage(store, { table: "v1_grants", where, params }, options.after ?? "", options.limit, (data) =>
      fromBinary(GrantSchema, data),
    ),
    total: count(store, `select count(*) as n from v1_grants where ${where}`, params),
  };
}

/** Grants on the entitlements of one resource. */
export function grantsOnResource(
  store: SqliteC1zStore,
  syncId: string,
  resource: ResourceRef,
  options: { after?: string; limit: number },
): Page<Grant> & { total: number } {
  return grantsBy(store, syncId, "resource", resource, options);
}

/** Grants held by one principal: its access. */
export function grantsOfPrincipal(
  store: SqliteC1zStore,
  syncId: string,
  principal: ResourceRef,
  options: { after?: string; limit: number },
): Page<Grant> & { total: number } {
  return grantsBy(store, syncId, "principal_resource", principal, options);
}

/** How many grants each entitlement of a resource has. */
export function grantCountsByEntitlement(
  store: SqliteC1zStore,
  syncId: string,
  resource: { resourceType: string; resource: string },
): Map<string, number> {
  const rows = store.db
    .prepare(
      `select entitlement_id as e, count(*) as n from v1_grants
       where sync_id = ? and resource_type_id = ? and resource_id = ? group by entitlement_id`,
    )
    .all(syncId, resource.resourceType, resource.resource);
  return new Map(rows.map((row) => [String(row.e), Number(row.n)]));
}

/** Every entitlement of a resource (a resource has few). */
export function entitlementsOf(
  store: SqliteC1zStore,
  syncId: string,
  resource: { resourceType: string; resource: string },
): Entitlement[] {
  const out: Entitlement[] = [];
  let pageToken = "";
  do {
    const page = store.listEntitlements({
      syncId,
      pageToken,
      resource: resourceId(resource.resourceType, resource.resource),
    });
    out.push(...page.items);
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return out;
}
