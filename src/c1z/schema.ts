/**
 * The c1z v1 schema exactly as baton-sdk creates it (reference c1z-format.md §2.2):
 * seven tables in creation order, with the index names (two of them swapped) and the
 * partial indexes that Go's migrations add.
 */

export const V1_TABLES = [
  "v1_resource_types",
  "v1_resources",
  "v1_entitlements",
  "v1_sync_runs",
  "v1_grants",
  "v1_assets",
  "v1_connector_sessions",
] as const;

export type V1Table = (typeof V1_TABLES)[number];

/** Statements per table, in Go's order: the table, then its indexes. */
export const V1_DDL: Record<V1Table, readonly string[]> = {
  v1_resource_types: [
    `create table if not exists v1_resource_types (
    id integer primary key,
    external_id text not null,
    data blob not null,
    sync_id text not null,
    discovered_at datetime not null
)`,
    "create unique index if not exists idx_resource_types_external_sync_v1 on v1_resource_types (external_id, sync_id)",
  ],
  v1_resources: [
    `create table if not exists v1_resources (
    id integer primary key,
    resource_type_id text not null,
    external_id text not null,
    parent_resource_type_id text,
    parent_resource_id text,
    data blob not null,
    sync_id text not null,
    discovered_at datetime not null
)`,
    "create index if not exists idx_resources_resource_type_id_v1 on v1_resources (resource_type_id)",
    // The swapped names are Go's, kept so sqlite_master matches files baton-sdk writes.
    "create index if not exists idx_resources_external_sync_v1 on v1_resources (parent_resource_type_id, parent_resource_id)",
    "create unique index if not exists idx_resources_parent_resource_id_v1 on v1_resources (external_id, sync_id)",
  ],
  v1_entitlements: [
    `create table if not exists v1_entitlements (
    id integer primary key,
    resource_type_id text not null,
    resource_id text not null,
    external_id text not null,
    data blob not null,
    sync_id text not null,
    discovered_at datetime not null
)`,
    "create index if not exists idx_entitlements_resource_id_v1 on v1_entitlements (resource_type_id, resource_id)",
    "create unique index if not exists idx_entitlements_external_sync_v1 on v1_entitlements (external_id, sync_id)",
  ],
  v1_sync_runs: [
    `create table if not exists v1_sync_runs (
    id integer primary key,
    sync_id text not null,
    started_at datetime not null,
    ended_at datetime,
    sync_token text not null,
    sync_type text not null default 'full',
    parent_sync_id text not null default '',
    linked_sync_id text not null default '',
    supports_diff integer not null default 0
)`,
    "create unique index if not exists idx_sync_runs_sync_id_v1 on v1_sync_runs (sync_id)",
  ],
  v1_grants: [
    `create table if not exists v1_grants (
    id integer primary key,
    resource_type_id text not null,
    resource_id text not null,
    entitlement_id text not null,
    principal_resource_type_id text not null,
    principal_resource_id text not null,
    external_id text not null,
    expansion blob,                             -- Serialized GrantExpandable proto; NULL if grant is not expandable.
    needs_expansion integer not null default 0, -- 1 if grant should be processed during expansion.
    data blob not null,
    sync_id text not null,
    discovered_at datetime not null
)`,
    "create index if not exists idx_grants_resource_type_id_resource_id_v1 on v1_grants (resource_type_id, resource_id)",
    "create index if not exists idx_grants_principal_id_v1 on v1_grants (principal_resource_type_id, principal_resource_id)",
    "create index if not exists idx_grants_entitlement_id_principal_id_v1 on v1_grants (entitlement_id, principal_resource_type_id, principal_resource_id)",
    "create unique index if not exists idx_grants_external_sync_v1 on v1_grants (external_id, sync_id)",
    "create index if not exists idx_grants_entitlement_sync_grant_v1 on v1_grants (entitlement_id, sync_id, id)",
  ],
  v1_assets: [
    `create table if not exists v1_assets (
    id integer primary key,
    external_id text not null,
    content_type text not null,
    data blob not null,
    sync_id text not null,
    discovered_at datetime not null
)`,
    "create unique index if not exists idx_assets_external_sync_v1 on v1_assets (external_id, sync_id)",
  ],
  v1_connector_sessions: [
    `CREATE TABLE IF NOT EXISTS v1_connector_sessions (
    id integer primary key,
    sync_id text NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL
)`,
    "create unique index if not exists idx_session_store_sync_key_v1 on v1_connector_sessions (sync_id, key)",
  ],
};

/** Added by Go's grants migration, after the expansion columns exist. */
export const GRANT_PARTIAL_INDEXES = [
  "create index if not exists idx_grants_sync_expansion_v1 on v1_grants (sync_id) where expansion is not null",
  "create index if not exists idx_grants_sync_needs_expansion_v1 on v1_grants (sync_id) where needs_expansion = 1",
];

/**
 * Columns the `baton` CLI's reader (baton-sdk v0.7.27) adds to files from older writers.
 * Our v1_sync_runs stops here on purpose: that reader's clone (`baton export c1z`) copies
 * every column the source has into its own table and fails on any it lacks. Newer SDKs add
 * the columns below when they open a file; files that already carry them keep them.
 */
export const SYNC_RUNS_ADDED_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ["sync_type", "text not null default 'full'"],
  ["parent_sync_id", "text not null default ''"],
  ["linked_sync_id", "text not null default ''"],
  ["supports_diff", "integer not null default 0"],
];

/** v1_sync_runs columns of newer SDKs (reference §2.4): used when present, never added. */
export const SYNC_RUNS_NEWER_COLUMNS = [
  "grants_backfilled",
  "stats",
  "ingest_invariant_generation",
  "ingest_invariant_coverage",
  "ingest_invariant_mode",
] as const;

export const GRANTS_ADDED_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ["expansion", "blob"],
  ["needs_expansion", "integer not null default 0"],
];

/** Tables without migrations: Go's queries need every one of these columns to be present already. */
export const REQUIRED_COLUMNS: Partial<Record<V1Table, readonly string[]>> = {
  v1_resource_types: ["id", "external_id", "data", "sync_id", "discovered_at"],
  v1_resources: [
    "id",
    "resource_type_id",
    "external_id",
    "parent_resource_type_id",
    "parent_resource_id",
    "data",
    "sync_id",
    "discovered_at",
  ],
  v1_entitlements: ["id", "resource_type_id", "resource_id", "external_id", "data", "sync_id", "discovered_at"],
  v1_grants: [
    "id",
    "resource_type_id",
    "resource_id",
    "entitlement_id",
    "principal_resource_type_id",
    "principal_resource_id",
    "external_id",
    "data",
    "sync_id",
    "discovered_at",
  ],
};

/** The record tables a file must have to be a c1z at all; the others are created empty like Go does. */
export const CORE_TABLES: readonly V1Table[] = ["v1_resource_types", "v1_resources", "v1_entitlements", "v1_grants"];
