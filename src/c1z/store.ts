/**
 * The c1z store as the rest of baton-edge sees it. One SQLite database in the
 * exact v1 schema, behind a synchronous API (every engine we use is synchronous).
 * Implementations live next to this file; the sync engine, provisioning, the
 * CLI inspector and the HTTP API depend only on these interfaces.
 */
import type { Entitlement, Grant, GrantExpandable, Resource, ResourceId, ResourceType } from "../model/types.ts";

export type SyncType = "full" | "partial" | "resources_only" | "partial_upserts" | "partial_deletions";

export interface SyncRun {
  syncId: string;
  /** Go's zone-less local layout, `2006-01-02 15:04:05.999999999`. */
  startedAt: string;
  endedAt: string | null;
  syncToken: string;
  syncType: SyncType;
  parentSyncId: string;
  supportsDiff: boolean;
  /** Parsed `stats` column (snake_case JSON) when present and valid. */
  stats?: SyncStats;
}

/** `c1.reader.v2.SyncStats` as Go's encoding/json writes it. */
export interface SyncStats {
  resource_types?: number;
  resources?: number;
  entitlements?: number;
  grants?: number;
  assets?: number;
  resources_by_resource_type?: Record<string, number>;
  entitlements_by_resource_type?: Record<string, number>;
  grants_by_resource_type?: Record<string, number>;
}

export interface PageRequest {
  /** Which sync to read; defaults to Go's cascade (current, latest finished full, latest unfinished, any). */
  syncId?: string;
  /** `""` for the first page; otherwise the previous page's `nextPageToken` (a decimal row id, as Go). */
  pageToken?: string;
  /** 0 or over 10000 means 10000, as Go. */
  pageSize?: number;
}

export interface PageOf<T> {
  items: T[];
  /** `""` when there are no more pages. */
  nextPageToken: string;
}

export interface GrantFilter extends PageRequest {
  entitlementId?: string;
  principal?: ResourceId;
  /** The entitlement's resource. */
  resource?: ResourceId;
  principalResourceTypeIds?: string[];
}

/** A grant with its expansion side column (`v1_grants.expansion` / `needs_expansion`). */
export interface GrantWithExpansion {
  grant: Grant;
  expansion?: GrantExpandable;
  needsExpansion: boolean;
}

/** A `v1_grants` row as stored, for readers that take `data` apart themselves (grant expansion). */
export interface StoredGrantRow {
  principalResourceTypeId: string;
  principalResourceId: string;
  /** The encoded Grant, without GrantExpandable. */
  data: Uint8Array;
}

/** A `v1_grants` row whose `data` the caller encoded (Go's encoding, GrantExpandable stripped). */
export interface EncodedGrantRow {
  resourceTypeId: string;
  resourceId: string;
  entitlementId: string;
  principalResourceTypeId: string;
  principalResourceId: string;
  externalId: string;
  data: Uint8Array;
  /** Bare GrantExpandable bytes for the `expansion` column of a new row, if any. */
  expansion: Uint8Array | null;
}

export interface C1zReader {
  listSyncs(): SyncRun[];
  getSync(syncId: string): SyncRun | undefined;
  latestFinishedSync(type?: SyncType): SyncRun | undefined;
  /** Started less than 7 days ago, as Go's `getLatestUnfinishedSync`. */
  latestUnfinishedSync(type?: SyncType): SyncRun | undefined;
  /** Go's default-sync cascade for reads; undefined means "no sync filter". */
  resolveSyncId(requested?: string): string | undefined;

  listResourceTypes(request?: PageRequest): PageOf<ResourceType>;
  getResourceType(id: string, syncId?: string): ResourceType | undefined;
  listResources(request?: PageRequest & { resourceTypeId?: string; parent?: ResourceId }): PageOf<Resource>;
  getResource(id: ResourceId, syncId?: string): Resource | undefined;
  listEntitlements(request?: PageRequest & { resource?: ResourceId }): PageOf<Entitlement>;
  getEntitlement(id: string, syncId?: string): Entitlement | undefined;
  /** Grants as stored: without GrantExpandable (Go's plain ListGrants). */
  listGrants(request?: GrantFilter): PageOf<Grant>;
  getGrant(id: string, syncId?: string): Grant | undefined;
  /** Grants as stored rows, not decoded; same filters and paging as `listGrants`. */
  listGrantRows(request?: GrantFilter): PageOf<StoredGrantRow>;
  /** Grants with their expansion column; `pendingOnly` lists `needs_expansion = 1`. */
  listGrantsWithExpansion(request?: GrantFilter & { pendingOnly?: boolean }): PageOf<GrantWithExpansion>;
  /** Counts per table and per resource type for a sync (stats column if valid, else computed). */
  stats(syncId?: string): SyncStats;
}

export interface ResumeOptions {
  /**
   * Leave the grant indexes as they are: the sync is past its writes, in its end work
   * (finishStep), which builds them back; by default a resumed sync defers them again.
   */
  keepGrantIndexes?: boolean;
}

export interface C1zWriter extends C1zReader {
  /** The sync being written, if any. */
  readonly currentSyncId: string | undefined;
  /** Inserts a v1_sync_runs row with a new KSUID and makes it current. */
  startSync(type: SyncType, parentSyncId?: string): string;
  /** Makes an existing unfinished sync current again. */
  resumeSync(syncId: string, options?: ResumeOptions): void;
  /** Last write wins on (external_id, sync_id). */
  putResourceTypes(resourceTypes: readonly ResourceType[]): void;
  putResources(resources: readonly Resource[]): void;
  putEntitlements(entitlements: readonly Entitlement[]): void;
  /** Strips GrantExpandable from `data` into `expansion` / `needs_expansion`, as Go. */
  putGrants(grants: readonly Grant[]): void;
  /** Grants from expansion: `data` updated, existing `expansion` column kept (Go's StoreExpandedGrants). */
  putExpandedGrants(grants: readonly Grant[]): void;
  /** `putExpandedGrants` for grants the caller encoded: rows written as given. */
  putExpandedGrantRows(rows: readonly EncodedGrantRow[]): void;
  deleteGrant(id: string): void;
  /** Checkpoint: `v1_sync_runs.sync_token` of the current sync. */
  setSyncToken(token: string): void;
  markSupportsDiff(): void;
  /**
   * Moves GrantExpandable out of an old writer's grant `data` into `expansion` for the sync
   * in progress (opening a store does it for finished syncs only); returns the grants changed.
   */
  backfillGrantExpansion(): number;
  /**
   * One unit of the work `endSync` would do at once for the sync in progress (a grant index built
   * back), committed; true while more is left. A step-wise sync calls it between checkpoints so
   * its budget can end there; `endSync` then does what is left.
   */
  finishStep(): boolean;
  /** Sets `ended_at` and writes the `stats` column; the sync stops being current. */
  endSync(): void;
  /** Keeps the newest `keep` finished full syncs (Go's Cleanup), then VACUUM. */
  cleanup(keep?: number): void;
  /** The whole c1z: `C1ZF\0` + one zstd frame of the SQLite file. */
  toBytes(): Uint8Array;
  close(): void;
}
