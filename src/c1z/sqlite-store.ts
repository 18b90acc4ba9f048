/**
 * A c1z v1 store over one SQLite database (any engine, in memory or in a file): the sync
 * runs, the writer and the reader, sharing one statement cache. Writes of a sync go into
 * one open transaction that each checkpoint (`setSyncToken`) commits, so a killed process
 * leaves the last checkpoint, and bulk loads pay one commit per checkpoint instead of one
 * per page of rows. The secondary grant indexes are built once (grant-indexes.ts).
 */
import type { CompressOptions } from "../compress/index.ts";
import type { Entitlement, Grant, Resource, ResourceId, ResourceType } from "../model/types.ts";
import type { SqliteDatabase } from "../storage/index.ts";
import { type EncodedC1z, encodeC1zWithInfo } from "./envelope.ts";
import { GRANT_INDEX_ORDER, GrantIndexes } from "./grant-indexes.ts";
import { backfillExpansion } from "./migrate.ts";
import { isPacked, packInto } from "./pack.ts";
import { C1zRowReader } from "./reader.ts";
import { StatementCache } from "./statements.ts";
import type {
  C1zWriter,
  EncodedGrantRow,
  GrantFilter,
  GrantWithExpansion,
  PageOf,
  PageRequest,
  ResumeOptions,
  StoredGrantRow,
  SyncRun,
  SyncStats,
  SyncType,
} from "./store.ts";
import { chunksOf } from "./stream.ts";
import { DEFAULT_KEEP_SYNCS, SyncRuns } from "./sync-runs.ts";
import { C1zRowWriter } from "./writer.ts";

export { statsJson } from "./sync-runs.ts";

export interface StoreOptions {
  /** Epoch milliseconds; time columns are written in Go's local zone-less layout. */
  now?: () => number;
  /** Used by `toBytes()`. */
  compression?: CompressOptions;
  /**
   * Drop the secondary v1_grants indexes while a sync writes and build each once, when a read
   * first needs it or when the sync ends. Default true.
   */
  deferGrantIndexes?: boolean;
}

const grantIndexOrder = (table: string) => (table === "v1_grants" ? GRANT_INDEX_ORDER : []);

export class SqliteC1zStore implements C1zWriter {
  private readonly statements: StatementCache;
  private readonly syncs: SyncRuns;
  private readonly writer: C1zRowWriter;
  private readonly reader: C1zRowReader;
  private readonly grantIndexes: GrantIndexes;
  private closed = false;

  constructor(
    readonly db: SqliteDatabase,
    private readonly options: StoreOptions = {},
  ) {
    const now = options.now ?? Date.now;
    this.statements = new StatementCache(db);
    this.syncs = new SyncRuns(this.statements, now);
    this.grantIndexes = new GrantIndexes(db);
    this.writer = new C1zRowWriter(this.statements, this.syncs, now);
    this.reader = new C1zRowReader(this.statements, this.syncs, this.grantIndexes);
  }

  get engine(): string {
    return this.db.engine;
  }

  /** What `toBytes()` and the file writers compress with. */
  get compression(): CompressOptions {
    return this.options.compression ?? {};
  }

  /** The database file, when the store is file-backed. */
  get path(): string | undefined {
    return this.db.path;
  }

  get currentSyncId(): string | undefined {
    return this.syncs.currentSyncId;
  }

  // ---- syncs ----

  listSyncs(): SyncRun[] {
    return this.syncs.list();
  }

  getSync(syncId: string): SyncRun | undefined {
    return this.syncs.get(syncId);
  }

  latestFinishedSync(type?: SyncType): SyncRun | undefined {
    return this.syncs.latestFinished(type);
  }

  latestUnfinishedSync(type?: SyncType): SyncRun | undefined {
    return this.syncs.latestUnfinished(type);
  }

  resolveSyncId(requested?: string): string | undefined {
    return this.syncs.resolve(requested, "full");
  }

  startSync(type: SyncType, parentSyncId = ""): string {
    const syncId = this.syncs.start(type, parentSyncId);
    this.beginWriting();
    return syncId;
  }

  resumeSync(syncId: string, options: ResumeOptions = {}): void {
    this.syncs.resume(syncId);
    this.beginWriting(options.keepGrantIndexes !== true);
  }

  private beginWriting(deferIndexes = true): void {
    if (deferIndexes && this.options.deferGrantIndexes !== false) this.grantIndexes.defer();
    this.db.beginBatch();
  }

  /** Commits what was written so far; the current sync, if any, goes on in a new transaction. */
  commit(): void {
    this.db.commitBatch();
    if (this.syncs.currentSyncId) this.db.beginBatch();
  }

  setSyncToken(token: string): void {
    this.syncs.setToken(token);
    this.commit();
  }

  markSupportsDiff(): void {
    this.syncs.markSupportsDiff();
  }

  backfillGrantExpansion(): number {
    const changed = backfillExpansion(this.db, { syncId: this.syncs.require() });
    this.commit();
    return changed;
  }

  finishStep(): boolean {
    // A file-backed store's indexes are built by endSync and its c1z packed in Go's order (pack.ts).
    if (this.db.path !== undefined) return false;
    const more = this.grantIndexes.restoreStep();
    this.commit();
    return more;
  }

  endSync(): void {
    // A file-backed store's c1z is written from a packed copy laid out in Go's order (packInto).
    if (this.db.path !== undefined) this.grantIndexes.buildMissing();
    else this.grantIndexes.restoreAll();
    this.syncs.end((syncId) => this.reader.computeStats(syncId));
    this.db.commitBatch();
  }

  /**
   * Go's retention (SyncRuns.deleteOld), then VACUUM, which needs no open transaction. Deferred
   * grant indexes are built first, so VACUUM packs them too and leaves no free pages behind.
   * A file-backed store is not vacuumed in place: its c1z is written from a packed copy
   * (`packInto`), which is VACUUM's result written once, and the work file stays as it is.
   */
  cleanup(keep = DEFAULT_KEEP_SYNCS): void {
    this.syncs.deleteOld(keep);
    if (this.db.path !== undefined) {
      this.grantIndexes.buildMissing();
      this.commit();
      return;
    }
    this.grantIndexes.restoreAll();
    this.db.commitBatch();
    this.db.vacuum();
    if (this.syncs.currentSyncId) this.db.beginBatch();
  }

  /**
   * Whether the c1z must be written from a packed copy (`packInto`) rather than from the file as
   * it is: a file-backed store with no sync running whose file is not laid out as VACUUM would
   * leave it in Go's order. Read from the file, not remembered, so a store re-opened after a
   * cleanup (the process restarted before its c1z was written) still packs. A snapshot taken
   * while a sync runs is written as it is, as before.
   */
  get packsOnWrite(): boolean {
    if (this.db.path === undefined || this.syncs.currentSyncId) return false;
    this.db.commitBatch();
    return !isPacked(this.db, grantIndexOrder);
  }

  /**
   * The database, as VACUUM would leave it, written into the new file `path` (see pack.ts); the
   * store's own file is only read. What was written is committed first.
   */
  packInto(path: string): void {
    this.db.commitBatch();
    try {
      if (!packInto(this.db, path, grantIndexOrder)) {
        // A schema pack.ts does not lay out (views, triggers…): SQLite's own copy, in Go's order.
        this.db.transaction(() => this.grantIndexes.reorder());
        const vacuum = this.db.prepare("vacuum into ?");
        try {
          vacuum.run(path);
        } finally {
          vacuum.finalize();
        }
      }
    } finally {
      if (this.syncs.currentSyncId) this.db.beginBatch();
    }
  }

  // ---- writes ----

  putResourceTypes(resourceTypes: readonly ResourceType[]): void {
    this.writer.putResourceTypes(resourceTypes);
  }

  putResources(resources: readonly Resource[]): void {
    this.writer.putResources(resources);
  }

  putEntitlements(entitlements: readonly Entitlement[]): void {
    this.writer.putEntitlements(entitlements);
  }

  putGrants(grants: readonly Grant[]): void {
    this.writer.putGrants(grants);
  }

  putExpandedGrants(grants: readonly Grant[]): void {
    this.writer.putExpandedGrants(grants);
  }

  putExpandedGrantRows(rows: readonly EncodedGrantRow[]): void {
    this.writer.putExpandedGrantRows(rows);
  }

  deleteGrant(id: string): void {
    this.writer.deleteGrant(id);
  }

  // ---- reads ----

  listResourceTypes(request?: PageRequest): PageOf<ResourceType> {
    return this.reader.listResourceTypes(request);
  }

  getResourceType(id: string, syncId?: string): ResourceType | undefined {
    return this.reader.getResourceType(id, syncId);
  }

  listResources(request?: PageRequest & { resourceTypeId?: string; parent?: ResourceId }): PageOf<Resource> {
    return this.reader.listResources(request);
  }

  getResource(id: ResourceId, syncId?: string): Resource | undefined {
    return this.reader.getResource(id, syncId);
  }

  listEntitlements(request?: PageRequest & { resource?: ResourceId }): PageOf<Entitlement> {
    return this.reader.listEntitlements(request);
  }

  getEntitlement(id: string, syncId?: string): Entitlement | undefined {
    return this.reader.getEntitlement(id, syncId);
  }

  listGrants(request?: GrantFilter): PageOf<Grant> {
    return this.reader.listGrants(request);
  }

  getGrant(id: string, syncId?: string): Grant | undefined {
    return this.reader.getGrant(id, syncId);
  }

  listGrantRows(request?: GrantFilter): PageOf<StoredGrantRow> {
    return this.reader.listGrantRows(request);
  }

  listGrantsWithExpansion(request?: GrantFilter & { pendingOnly?: boolean }): PageOf<GrantWithExpansion> {
    return this.reader.listGrantsWithExpansion(request);
  }

  stats(syncId?: string): SyncStats {
    return this.reader.stats(syncId);
  }

  // ---- bytes ----

  /**
   * The SQLite database file as of now (what was written is committed first). A snapshot taken
   * while a sync runs may lack deferred grant indexes: Go's InitTables creates them on open;
   * ours builds each when a read needs it, and all of them when the sync ends.
   */
  sqliteBytes(): Uint8Array {
    // sql.js re-opens the database to export it: no transaction may be open across that.
    this.db.commitBatch();
    if (this.packsOnWrite) {
      // The bytes as a cleanup that vacuums in place leaves them (engines here hold no files beside the database).
      this.db.transaction(() => this.grantIndexes.reorder());
      this.db.vacuum();
    }
    const bytes = this.db.serialize();
    if (this.syncs.currentSyncId) this.db.beginBatch();
    return bytes;
  }

  /** Whether `sqliteChunks()` streams the database without a whole copy. */
  get streamsChunks(): boolean {
    return this.db.fileChunks !== undefined;
  }

  /**
   * `sqliteBytes()` a chunk at a time, without a whole copy where the engine allows it
   * (sql.js on chunked pages). Read it before writing to the store again: the chunks may be
   * views of the live file.
   */
  sqliteChunks(): Iterable<Uint8Array> {
    if (!this.db.fileChunks) return chunksOf(this.sqliteBytes());
    this.db.commitBatch();
    const chunks = this.db.fileChunks();
    if (this.syncs.currentSyncId) this.db.beginBatch();
    return chunks;
  }

  encode(compression: CompressOptions = this.options.compression ?? {}): EncodedC1z {
    return encodeC1zWithInfo(this.sqliteBytes(), compression);
  }

  toBytes(): Uint8Array {
    return this.encode().bytes;
  }

  /** Commits what was written and closes the database (again: nothing). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.commitBatch();
    this.statements.finalizeAll();
    this.db.close();
  }
}
