/**
 * Rows into the v1 tables of the current sync. Last write wins on `(external_id, sync_id)`,
 * as Go's upserts. Rows go in as multi-row inserts (ROWS_PER_INSERT per statement), which
 * cuts the per-row binding round trips that dominate on sql.js.
 */
import { resourceExternalId } from "../model/ids.ts";
import {
  type Entitlement,
  EntitlementSchema,
  type Grant,
  type Resource,
  ResourceSchema,
  type ResourceType,
  ResourceTypeSchema,
} from "../model/types.ts";
import { toGoBinaryRow } from "../proto/fast-encode.ts";
import type { SqlValue } from "../storage/index.ts";
import { encodedGrantRow } from "./expansion.ts";
import type { StatementCache } from "./statements.ts";
import type { EncodedGrantRow } from "./store.ts";
import type { SyncRuns } from "./sync-runs.ts";
import { goLocalTime } from "./time.ts";

const ROWS_PER_INSERT = 64;

const GRANT_COLUMNS = [
  "resource_type_id",
  "resource_id",
  "entitlement_id",
  "principal_resource_type_id",
  "principal_resource_id",
  "external_id",
  "expansion",
  "needs_expansion",
  "data",
  "sync_id",
  "discovered_at",
] as const;

/** A row's values in GRANT_COLUMNS order. */
function grantValues(row: EncodedGrantRow, syncId: string, at: string): SqlValue[] {
  return [
    row.resourceTypeId,
    row.resourceId,
    row.entitlementId,
    row.principalResourceTypeId,
    row.principalResourceId,
    row.externalId,
    row.expansion,
    row.expansion ? 1 : 0,
    row.data,
    syncId,
    at,
  ];
}

const GRANT_UPSERT = `data = excluded.data, expansion = excluded.expansion,
       needs_expansion = case
         when excluded.expansion is null or length(excluded.expansion) = 0 then 0
         when v1_grants.expansion is null or v1_grants.expansion != excluded.expansion then 1
         else v1_grants.needs_expansion end`;

/** Grants from expansion: `data` updated, the stored `expansion` kept (Go's StoreExpandedGrants). */
const EXPANDED_GRANT_UPSERT = "data = excluded.data";

interface Table {
  name: string;
  columns: readonly string[];
  onConflict: string;
}

export class C1zRowWriter {
  constructor(
    private readonly statements: StatementCache,
    private readonly syncs: SyncRuns,
    private readonly now: () => number,
  ) {}

  private insertSql(table: Table, rows: number): string {
    const tuple = `(${table.columns.map(() => "?").join(", ")})`;
    return `insert into ${table.name} (${table.columns.join(", ")}) values ${Array.from({ length: rows }, () => tuple).join(", ")}
       on conflict (external_id, sync_id) do update set ${table.onConflict}`;
  }

  /** Writes `rows` (each `columns.length` values) in one transaction, ROWS_PER_INSERT at a time. */
  private insert(table: Table, rows: readonly SqlValue[][]): void {
    this.insertEach(table, rows, (row) => row);
  }

  /**
   * Writes one row per item in one transaction (a savepoint inside a sync's batch, so an item
   * that fails leaves nothing of the call behind), ROWS_PER_INSERT at a time. Rows are made
   * just before their statement runs, so a page's encoded rows are never all alive at once.
   */
  private insertEach<T>(table: Table, items: readonly T[], toRow: (item: T) => SqlValue[]): void {
    if (items.length === 0) return;
    const width = table.columns.length;
    const full = this.statements.get(this.insertSql(table, ROWS_PER_INSERT));
    // One parameter array reused for every full statement (no slice + flat per statement).
    const params: SqlValue[] = new Array(ROWS_PER_INSERT * width);
    const fill = (from: number, count: number, into: SqlValue[]) => {
      for (let r = 0; r < count; r++) {
        const row = toRow(items[from + r]);
        for (let c = 0; c < width; c++) into[r * width + c] = row[c];
      }
      return into;
    };
    this.statements.db.transaction(() => {
      let i = 0;
      for (; i + ROWS_PER_INSERT <= items.length; i += ROWS_PER_INSERT) {
        full.run(...fill(i, ROWS_PER_INSERT, params));
      }
      if (i < items.length) {
        // Rows of one statement are applied in order, so a duplicate id later in the batch still wins.
        const rest = items.length - i;
        this.statements.get(this.insertSql(table, rest)).run(...fill(i, rest, new Array(rest * width)));
      }
    });
  }

  putResourceTypes(resourceTypes: readonly ResourceType[]): void {
    const syncId = this.syncs.require();
    const at = goLocalTime(this.now());
    this.insert(
      {
        name: "v1_resource_types",
        columns: ["external_id", "data", "sync_id", "discovered_at"],
        onConflict: "data = excluded.data",
      },
      resourceTypes.map((rt): SqlValue[] => {
        if (!rt.id) throw new Error("resource type without an id");
        return [rt.id, toGoBinaryRow(ResourceTypeSchema, rt), syncId, at];
      }),
    );
  }

  putResources(resources: readonly Resource[]): void {
    const syncId = this.syncs.require();
    const at = goLocalTime(this.now());
    const toRow = (resource: Resource): SqlValue[] => {
      const id = resource.id;
      if (!id?.resourceType || !id.resource) throw new Error("resource without an id (resource_type and resource)");
      const parent = resource.parentResourceId;
      const hasParent = parent !== undefined && parent.resource !== "";
      return [
        id.resourceType,
        resourceExternalId(id),
        hasParent ? parent.resourceType : null,
        hasParent ? parent.resource : null,
        toGoBinaryRow(ResourceSchema, resource),
        syncId,
        at,
      ];
    };
    this.insertEach(
      {
        name: "v1_resources",
        columns: [
          "resource_type_id",
          "external_id",
          "parent_resource_type_id",
          "parent_resource_id",
          "data",
          "sync_id",
          "discovered_at",
        ],
        onConflict: "data = excluded.data",
      },
      resources,
      toRow,
    );
  }

  putEntitlements(entitlements: readonly Entitlement[]): void {
    const syncId = this.syncs.require();
    const at = goLocalTime(this.now());
    const toRow = (entitlement: Entitlement): SqlValue[] => {
      const resourceId = entitlement.resource?.id;
      if (!entitlement.id) throw new Error("entitlement without an id");
      if (!resourceId) throw new Error(`entitlement ${entitlement.id} does not embed its resource id`);
      return [
        resourceId.resourceType,
        resourceId.resource,
        entitlement.id,
        toGoBinaryRow(EntitlementSchema, entitlement),
        syncId,
        at,
      ];
    };
    this.insertEach(
      {
        name: "v1_entitlements",
        columns: ["resource_type_id", "resource_id", "external_id", "data", "sync_id", "discovered_at"],
        onConflict: "data = excluded.data",
      },
      entitlements,
      toRow,
    );
  }

  putGrants(grants: readonly Grant[]): void {
    this.writeGrants(grants, GRANT_UPSERT);
  }

  putExpandedGrants(grants: readonly Grant[]): void {
    this.writeGrants(grants, EXPANDED_GRANT_UPSERT);
  }

  /** `putExpandedGrants` for rows the caller encoded (grant expansion composes them as bytes). */
  putExpandedGrantRows(rows: readonly EncodedGrantRow[]): void {
    const syncId = this.syncs.require();
    const at = goLocalTime(this.now());
    this.insert(
      { name: "v1_grants", columns: GRANT_COLUMNS, onConflict: EXPANDED_GRANT_UPSERT },
      rows.map((row) => grantValues(row, syncId, at)),
    );
  }

  private writeGrants(grants: readonly Grant[], onConflict: string): void {
    const syncId = this.syncs.require();
    const at = goLocalTime(this.now());
    this.insertEach({ name: "v1_grants", columns: GRANT_COLUMNS, onConflict }, grants, (grant) =>
      grantValues(encodedGrantRow(grant), syncId, at),
    );
  }

  deleteGrant(id: string): void {
    this.statements.get("delete from v1_grants where external_id = ? and sync_id = ?").run(id, this.syncs.require());
  }
}
