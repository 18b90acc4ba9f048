/**
 * The object's tables over a real SQLite (better-sqlite3 behind the DO's `sql.exec` shape): the lock,
 * record order, and blobs cut into and read back from 1 MiB rows. The same code on workerd is covered
 * end to end by test/runtime-worker-steps.test.ts.
 */
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { newSyncRecord } from "../http/state/store.ts";
import { retryDelayMs, type SyncJob, stepPolicyFrom } from "./job.ts";
import type { SqlStorage, SqlValue } from "./platform.ts";
import { BLOB_CHUNK_BYTES, ObjectTables } from "./tables.ts";

interface BetterDb {
  prepare(sql: string): { reader: boolean; all(...a: unknown[]): unknown[]; run(...a: unknown[]): unknown };
  close(): void;
}

let Better: (new (path: string) => BetterDb) | undefined;
try {
  Better = createRequire(import.meta.url)("better-sqlite3") as new (path: string) => BetterDb;
} catch {
  console.log("better-sqlite3 is not installed: the Durable Object table tests are skipped");
}

function nativeSql(db: BetterDb): SqlStorage {
  const bind = (values: SqlValue[]) =>
    values.map((v) => (v instanceof Uint8Array || v instanceof ArrayBuffer ? Buffer.from(v as Uint8Array) : v));
  return {
    exec<Row>(query: string, ...bindings: SqlValue[]) {
      const statement = db.prepare(query);
      let rows: Row[] = [];
      if (statement.reader) rows = statement.all(...bind(bindings)) as Row[];
      else statement.run(...bind(bindings));
      return { toArray: () => rows, one: () => rows[0], [Symbol.iterator]: () => rows[Symbol.iterator]() };
    },
  };
}

function tables(): { tables: ObjectTables; close(): void } {
  const db = new Better!(":memory:");
  return { tables: new ObjectTables(nativeSql(db)), close: () => db.close() };
}

function job(id: string): SyncJob {
  return {
    id,
    trigger: "http",
    connector: "demo",
    request: {},
    requestId: "r",
    stage: "sync",
    invocations: 0,
    attempts: 0,
    createdAt: 0,
  };
}

const record = (id: string, createdAt: string) => newSyncRecord(id, "demo", {}, createdAt);

/** Byte equality without a per-element deep compare (megabytes). */
const same = (a: Uint8Array | undefined, b: Uint8Array) => a !== undefined && Buffer.from(a).equals(Buffer.from(b));

const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + (i >> 8)) & 0xff);

describe.skipIf(!Better)("Durable Object tables", () => {
  it("the job row is the lock: one claim wins until the job is cleared", () => {
    const { tables: t, close } = tables();
    expect(t.claim(job("a"))).toBeUndefined();
    expect(t.claim(job("b"))?.id).toBe("a");
    expect(t.job()?.id).toBe("a");
    t.clearJob();
    expect(t.claim(job("b"))).toBeUndefined();
    expect(t.job()?.id).toBe("b");
    close();
  });

  it("lists records newest first and honours a limit", () => {
    const { tables: t, close } = tables();
    t.putRecord(record("x1", "2026-01-01T00:00:00.000Z"));
    t.putRecord(record("x3", "2026-01-03T00:00:00.000Z"));
    t.putRecord(record("x2", "2026-01-02T00:00:00.000Z"));
    expect(t.records().map((r) => r.id)).toEqual(["x3", "x2", "x1"]);
    expect(t.records(2).map((r) => r.id)).toEqual(["x3", "x2"]);
    expect(t.record("x2")?.createdAt).toBe("2026-01-02T00:00:00.000Z");
    close();
  });

  it("cuts blobs into 1 MiB rows and reads back any slice, also across rows", () => {
    const { tables: t, close } = tables();
    const data = bytes(2 * BLOB_CHUNK_BYTES + 12345);
    t.putBlob("b", data);
    expect(t.blobSize("b")).toBe(data.byteLength);
    expect(same(t.blob("b"), data)).toBe(true);
    const at = BLOB_CHUNK_BYTES - 100;
    expect(same(t.blobSlice("b", at, 300), data.subarray(at, at + 300))).toBe(true);
    expect(same(t.blobSlice("b", 2 * BLOB_CHUNK_BYTES, 12345), data.subarray(2 * BLOB_CHUNK_BYTES))).toBe(true);
    t.putBlob("empty", new Uint8Array(0));
    expect(t.blobSize("empty")).toBe(0);
    expect(t.blobSize("missing")).toBeUndefined();
    t.deleteBlob("b");
    expect(t.blob("b")).toBeUndefined();
    close();
  });

  it("a blob written in odd-sized chunks (a stream) reads back as their concatenation", () => {
    const { tables: t, close } = tables();
    const data = bytes(BLOB_CHUNK_BYTES * 3 + 7);
    const writer = t.blobWriter("s");
    const chunk = new Uint8Array(333_333);
    for (let at = 0; at < data.byteLength; at += chunk.byteLength) {
      const piece = data.subarray(at, at + chunk.byteLength);
      chunk.set(piece);
      // The stream reuses its chunk after each write, as the c1z encoder may.
      writer.write(chunk.subarray(0, piece.byteLength));
      chunk.fill(0);
    }
    expect(writer.end()).toBe(data.byteLength);
    expect(same(t.blob("s"), data)).toBe(true);
    close();
  });
});

describe("step policy", () => {
  it("defaults fit an alarm (15 min wall, 5 min CPU) and bad values are refused by name", () => {
    const policy = stepPolicyFrom({});
    expect(policy.budgetMs).toBe(120_000);
    expect(policy.maxAttempts).toBe(5);
    expect(policy.leaseMs).toBeGreaterThan(policy.budgetMs);
    expect(stepPolicyFrom({ BATON_STEP_BUDGET_MS: "1000", BATON_STEP_MAX_ATTEMPTS: "3" })).toMatchObject({
      budgetMs: 1000,
      maxAttempts: 3,
    });
    expect(() => stepPolicyFrom({ BATON_STEP_BUDGET_MS: "soon" })).toThrow(/BATON_STEP_BUDGET_MS/);
    expect(() => stepPolicyFrom({ BATON_STEP_MAX_ATTEMPTS: "0" })).toThrow(
      /BATON_STEP_MAX_ATTEMPTS must be a number ≥ 1/,
    );
    // A lease shorter than a step would run a healthy step twice.
    expect(() => stepPolicyFrom({ BATON_STEP_BUDGET_MS: "60000", BATON_STEP_LEASE_MS: "1000" })).toThrow(
      /BATON_STEP_LEASE_MS/,
    );
  });

  it("retry waits double from the base and stop at 5 min", () => {
    const policy = stepPolicyFrom({ BATON_STEP_RETRY_MS: "1000" });
    expect([1, 2, 3].map((n) => retryDelayMs(policy, n))).toEqual([1000, 2000, 4000]);
    expect(retryDelayMs(policy, 20)).toBe(300_000);
  });
});
