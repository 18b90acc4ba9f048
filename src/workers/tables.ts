/**
 * What one connector's Durable Object keeps in its SQLite storage: the sync in
 * progress (the lock), the sync records, idempotency records, the plugin's
 * state, and byte blobs (the unfinished c1z between steps, finished c1z files).
 * Every call is synchronous (DO SQL), so a check-and-set such as taking the
 * lock cannot interleave with another request to the same object.
 */
import type { IdempotencyRecord, SyncRecord } from "../http/state/store.ts";
import type { SyncJob } from "./job.ts";
import type { SqlStorage } from "./platform.ts";

/** DO SQLite allows 2 MB per value; 1 MiB chunks stay well inside it. */
export const BLOB_CHUNK_BYTES = 1024 * 1024;

const SCHEMA = [
  "create table if not exists job (k integer primary key check (k = 1), json text not null)",
  "create table if not exists sync_records (id text primary key, created_at text not null, json text not null)",
  "create index if not exists sync_records_created on sync_records (created_at desc, id desc)",
  "create table if not exists idempotency (key text primary key, json text not null)",
  "create table if not exists plugin_state (k integer primary key check (k = 1), text text not null)",
  "create table if not exists blobs (name text not null, seq integer not null, data blob not null, primary key (name, seq))",
];

export class ObjectTables {
  constructor(private readonly sql: SqlStorage) {
    for (const statement of SCHEMA) sql.exec(statement);
  }

  job(): SyncJob | undefined {
    const row = this.sql.exec<{ json: string }>("select json from job where k = 1").toArray()[0];
    return row && (JSON.parse(row.json) as SyncJob);
  }

  /** Takes the connector's lock: stores `job` only when no sync is in progress; returns the running one otherwise. */
  claim(job: SyncJob): SyncJob | undefined {
    const running = this.job();
    if (running) return running;
    this.putJob(job);
    return undefined;
  }

  putJob(job: SyncJob): void {
    this.sql.exec("insert or replace into job (k, json) values (1, ?)", JSON.stringify(job));
  }

  clearJob(): void {
    this.sql.exec("delete from job");
  }

  putRecord(record: SyncRecord): void {
    this.sql.exec(
      "insert or replace into sync_records (id, created_at, json) values (?, ?, ?)",
      record.id,
      record.createdAt,
      JSON.stringify(record),
    );
  }

  record(id: string): SyncRecord | undefined {
    const row = this.sql.exec<{ json: string }>("select json from sync_records where id = ?", id).toArray()[0];
    return row && (JSON.parse(row.json) as SyncRecord);
  }

  /** Newest first, as `SyncStateStore.listSyncs`. */
  records(limit = -1): SyncRecord[] {
    return this.sql
      .exec<{ json: string }>("select json from sync_records order by created_at desc, id desc limit ?", limit)
      .toArray()
      .map((row) => JSON.parse(row.json) as SyncRecord);
  }

  idempotency(key: string): IdempotencyRecord | undefined {
    const row = this.sql.exec<{ json: string }>("select json from idempotency where key = ?", key).toArray()[0];
    return row && (JSON.parse(row.json) as IdempotencyRecord);
  }

  putIdempotency(key: string, record: IdempotencyRecord): void {
    this.sql.exec("insert or replace into idempotency (key, json) values (?, ?)", key, JSON.stringify(record));
  }

  deleteIdempotency(key: string): void {
    this.sql.exec("delete from idempotency where key = ?", key);
  }

  pluginState(): string | undefined {
    return this.sql.exec<{ text: string }>("select text from plugin_state where k = 1").toArray()[0]?.text;
  }

  putPluginState(text: string): void {
    this.sql.exec("insert or replace into plugin_state (k, text) values (1, ?)", text);
  }

  /** Replaces the named blob; call inside `transactionSync` with the state that refers to it. */
  putBlob(name: string, bytes: Uint8Array): void {
    this.deleteBlob(name);
    for (let seq = 0, at = 0; at < bytes.byteLength || seq === 0; seq++, at += BLOB_CHUNK_BYTES) {
      this.sql.exec(
        "insert into blobs (name, seq, data) values (?, ?, ?)",
        name,
        seq,
        bytes.subarray(at, Math.min(bytes.byteLength, at + BLOB_CHUNK_BYTES)),
      );
    }
  }

  /**
   * Writes a blob chunk by chunk (a stream's output) in full-size rows. Not one
   * transaction: whoever writes it marks it usable only after `end()`.
   */
  blobWriter(name: string): { write(chunk: Uint8Array): void; end(): number } {
    this.deleteBlob(name);
    const buffer = new Uint8Array(BLOB_CHUNK_BYTES);
    let filled = 0;
    let seq = 0;
    let total = 0;
    const flush = () => {
      this.sql.exec("insert into blobs (name, seq, data) values (?, ?, ?)", name, seq++, buffer.slice(0, filled));
      filled = 0;
    };
    return {
      write: (chunk) => {
        total += chunk.byteLength;
        for (let at = 0; at < chunk.byteLength; ) {
          const n = Math.min(BLOB_CHUNK_BYTES - filled, chunk.byteLength - at);
          buffer.set(chunk.subarray(at, at + n), filled);
          filled += n;
          at += n;
          if (filled === BLOB_CHUNK_BYTES) flush();
        }
      },
      end: () => {
        if (filled > 0 || seq === 0) flush();
        return total;
      },
    };
  }

  blobSize(name: string): number | undefined {
    const row = this.sql
      .exec<{ n: number; size: number | null }>(
        "select count(*) as n, sum(length(data)) as size from blobs where name = ?",
        name,
      )
      .one();
    return row.n === 0 ? undefined : (row.size ?? 0);
  }

  /** Bytes `[offset, offset + length)` of a blob, for callers that fetch a large one in slices. */
  blobSlice(name: string, offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    const first = Math.floor(offset / BLOB_CHUNK_BYTES);
    const last = Math.floor((offset + length - 1) / BLOB_CHUNK_BYTES);
    let written = 0;
    for (const row of this.sql.exec<{ seq: number; data: ArrayBuffer }>(
      "select seq, data from blobs where name = ? and seq between ? and ? order by seq",
      name,
      first,
      last,
    )) {
      const chunk = new Uint8Array(row.data);
      const start = row.seq === first ? offset - first * BLOB_CHUNK_BYTES : 0;
      const piece = chunk.subarray(start, Math.min(chunk.byteLength, start + length - written));
      out.set(piece, written);
      written += piece.byteLength;
    }
    return written === length ? out : out.subarray(0, written);
  }

  blob(name: string): Uint8Array | undefined {
    const size = this.blobSize(name);
    return size === undefined ? undefined : this.blobSlice(name, 0, size);
  }

  deleteBlob(name: string): void {
    this.sql.exec("delete from blobs where name = ?", name);
  }
}
