/**
 * The Worker that bench/workers.ts and test/paged-workerd.test.ts run on workerd: one SQLite-backed Durable Object that runs
 * the demo sync in steps (`runDurationMs` per request), with the database either paged into
 * the object's storage (`store=paged`) or in sql.js memory as before (`store=memory`, one
 * request), then uploads the c1z to S3. Test and bench only; the product's Worker is src/runtime/worker.ts.
 */
import { benchOrg } from "../../bench/org/plugin.ts";
import demo from "../../plugins/demo/index.ts";
import { createC1z } from "../../src/c1z/open.ts";
import { openPagedC1z } from "../../src/c1z/paged.ts";
import type { C1zWriter } from "../../src/c1z/store.ts";
import { decompressZstd } from "../../src/compress/zstd.ts";
import { runConnectorSync } from "../../src/jobs/pipeline.ts";
import { PagedDatabase } from "../../src/storage/paged-sqljs.ts";
import {
  DurableObjectPageStore,
  type DurableStorageLike,
  MemoryPageStore,
  type PageStore,
} from "../../src/storage/paged-store.ts";
import { saveC1z } from "../../src/upload/index.ts";
import { uploadPagedC1z } from "../../src/upload/paged.ts";
import { MIN_PART_SIZE, partSizeFrom } from "../../src/upload/s3.ts";
import { pageLikeBytes, probeBytes, probeFrame, streamedFrame } from "./probe-bytes.ts";

type Env = Record<string, string> & {
  PAGED: { idFromName(name: string): unknown; get(id: unknown): { fetch(request: Request): Promise<Response> } };
};

interface StepReport {
  status: string;
  bytes?: number;
  sqliteBytes?: number;
  compression?: string;
  grants?: number;
  stepMs: number;
  /** sql.js's wasm memory after the step (paged mode): it grows and never shrinks. */
  wasmHeapBytes?: number;
  phases: { phase: string; at: number; reads: number; writes: number; heapBytes?: number; sqliteBytes?: number }[];
}

export class PagedSync {
  private readonly pages: DurableObjectPageStore;
  private readonly storage: DurableStorageLike;

  constructor(
    ctx: { storage: DurableStorageLike },
    private readonly env: Env,
  ) {
    this.storage = ctx.storage;
    this.pages = new DurableObjectPageStore(ctx.storage, "c1z");
    this.storage.sql.exec("create table if not exists bench_upload (grants integer not null)");
    this.storage.sql.exec("create table if not exists bench_finished (run text primary key, report text not null)");
  }

  /**
   * The report of run `run`'s last step, if that run finished: a step request resent because its
   * response was lost gets the same answer instead of starting the next sync.
   */
  private finishedReport(run: string | null): string | undefined {
    if (!run) return undefined;
    const row = this.storage.sql.exec("select report from bench_finished where run = ?", run).toArray()[0];
    return row ? String(row.report) : undefined;
  }

  private finished(run: string | null, report: StepReport): Response {
    if (run)
      this.storage.sql.exec(
        "insert or replace into bench_finished (run, report) values (?, ?)",
        run,
        JSON.stringify(report),
      );
    return Response.json(report);
  }

  /** The grant count of a finished sync whose upload was left to the next step, as the product's job does. */
  private pendingUpload(): number | undefined {
    const row = this.storage.sql.exec("select grants from bench_upload").toArray()[0];
    return row ? Number(row.grants) : undefined;
  }

  private setPendingUpload(grants: number | undefined): void {
    this.storage.sql.exec("delete from bench_upload");
    if (grants !== undefined) this.storage.sql.exec("insert into bench_upload (grants) values (?)", grants);
  }

  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const number = (name: string, fallback: number) => Number(url.searchParams.get(name) ?? fallback);
    const config = {
      users: number("users", 25),
      groups: number("groups", 6),
      grants: number("grants", 60),
      pageSize: number("pageSize", 500),
    };
    const location = url.searchParams.get("location") ?? "";
    const env = { ...this.env } as Record<string, string>;
    const started = Date.now();
    if (url.pathname === "/reset") {
      this.pages.clear();
      this.setPendingUpload(undefined);
      return Response.json({ ok: true });
    }
    if (url.pathname === "/pages") {
      // Storage alone: `mb` MiB of pages written and committed every `every` pages, no sql.js;
      // `reuse=1` writes one array over and over (no garbage per page).
      const count = (number("mb", 64) * 1024 * 1024) / this.pages.pageSize;
      const every = number("every", 1000);
      const reused = number("reuse", 0) ? new Uint8Array(this.pages.pageSize) : undefined;
      for (let i = 0; i < count; i++) {
        this.pages.writePage(i, reused?.fill(i & 0xff) ?? new Uint8Array(this.pages.pageSize).fill(i & 0xff));
        if (i % every === every - 1) {
          this.pages.setSize((i + 1) * this.pages.pageSize);
          this.pages.sync();
        }
      }
      this.pages.setSize(count * this.pages.pageSize);
      this.pages.sync();
      return Response.json({ pages: count, stepMs: Date.now() - started });
    }
    if (url.pathname === "/zstd") {
      // The c1z encoder's streaming zstd on workerd's node:zlib, over the posted bytes or `bytes` incompressible ones.
      const { frame, method } =
        request.method === "POST"
          ? await streamedFrame(new Uint8Array(await request.arrayBuffer()), number("sinkDelayMs", 0))
          : await probeFrame(number("bytes", 100_000), url.searchParams.get("kind") === "pages" ? "pages" : "random");
      return new Response(frame as Uint8Array<ArrayBuffer>, { headers: { "x-zstd-method": method } });
    }
    if (url.pathname === "/unzstd") {
      // A frame streamed here, read back by our reader (decompressZstd: node:zlib's one-shot decoder here).
      const kind = url.searchParams.get("kind") === "pages" ? "pages" : "random";
      const size = number("bytes", 100_000);
      const { frame } = await probeFrame(size, kind);
      try {
        const content = decompressZstd(frame);
        const expected = kind === "pages" ? pageLikeBytes(size) : probeBytes(size);
        return Response.json({ same: content.length === size && content.every((b, i) => b === expected[i]) });
      } catch (error) {
        return Response.json({ error: String(error) });
      }
    }
    if (url.pathname === "/readpages") {
      // Storage alone: `n` page reads in a scattered order, no sql.js.
      const pageCount = Math.ceil(this.pages.size() / this.pages.pageSize);
      let bytes = 0;
      for (let i = 0, n = number("n", 100_000); i < n && pageCount > 0; i++) {
        bytes += this.pages.readPage((i * 7919) % pageCount)?.byteLength ?? 0;
      }
      return Response.json({ pageCount, bytes, stepMs: Date.now() - started });
    }
    // `run`: the bench's id for one sync, the same in every step request of it.
    const run = url.searchParams.get("run");
    const replay = this.finishedReport(run);
    if (replay !== undefined) return new Response(replay, { headers: { "content-type": "application/json" } });
    const paged = url.searchParams.get("store") !== "memory";
    // `pages=memory`: the paged FS over a Map in the isolate, to tell storage costs from the rest.
    const pages: PageStore = url.searchParams.get("pages") === "memory" ? new MemoryPageStore() : this.pages;
    let report: Partial<StepReport> = {};
    // Page reads/writes of the database file and the wasm heap at each phase: where a step's time and memory go.
    const counts = { reads: 0, writes: 0 };
    const counted: PageStore = {
      pageSize: pages.pageSize,
      size: () => pages.size(),
      readPage: (i) => {
        counts.reads++;
        return pages.readPage(i);
      },
      writePage: (i, p) => {
        counts.writes++;
        pages.writePage(i, p);
      },
      setSize: (n) => pages.setSize(n),
      sync: () => pages.sync(),
      rollback: () => pages.rollback(),
      scratch: pages.scratch?.bind(pages),
      copiesPages: pages.copiesPages,
    };
    const phases: StepReport["phases"] = [];
    let database: PagedDatabase | undefined;
    const phase = (name: string) =>
      phases.push({ phase: name, at: Date.now() - started, ...counts, ...(database?.memory() ?? {}) });
    // `plugin=bench`: bench/sync.ts's organisation, whose plugin does not hold its grants in memory.
    const connector =
      url.searchParams.get("plugin") === "bench"
        ? { name: "bench", plugin: benchOrg(config).plugin, config: {} }
        : { name: "demo", plugin: demo, config };
    // The part size of the product's step uploads (src/workers/step-storage.ts).
    const partSize = partSizeFrom(env, MIN_PART_SIZE);
    const pending = paged ? this.pendingUpload() : undefined;
    if (pending !== undefined) {
      // The sync finished in the last step: this one only uploads (src/workers/connector-object.ts).
      phase("upload");
      const saved = await uploadPagedC1z(pages, location, { env, partSize });
      phase("uploaded");
      this.setPendingUpload(undefined);
      this.pages.clear();
      return this.finished(run, {
        status: "finished",
        stepMs: Date.now() - started,
        wasmHeapBytes: await PagedDatabase.heapBytes(),
        phases,
        sqliteBytes: saved.sqliteBytes,
        compression: saved.compression,
        bytes: saved.bytes,
        grants: pending,
      } satisfies StepReport);
    }
    let uploadDeferred = false;
    const stepMs = number("stepMs", 30_000);
    const outcome = await runConnectorSync(connector, {
      store: {
        open: async (): Promise<C1zWriter> => {
          if (!paged) return createC1z({ engine: "sqljs" });
          const store = await openPagedC1z(counted, { cacheKiB: number("cacheKiB", 2048) });
          database = store.db as PagedDatabase;
          return store;
        },
      },
      // Every SQLite commit is already in the object's storage: nothing to copy at a checkpoint.
      checkpoints: { save: async () => {}, clear: async () => {} },
      runDurationMs: paged ? stepMs : undefined,
      onProgress: (event) => {
        if (event.type === "phase") phase(event.phase);
      },
      checkpointIntervalMs: 0,
      destination: {
        save: async (store) => {
          if (!paged) {
            const saved = await saveC1z(location, store.toBytes(), { env });
            return saved;
          }
          if (Date.now() - started >= stepMs) {
            uploadDeferred = true;
            return { destination: "(the next step)", bytes: 0 };
          }
          phase("upload");
          const saved = await uploadPagedC1z(pages, location, { env, partSize });
          phase("uploaded");
          report = { sqliteBytes: saved.sqliteBytes, compression: saved.compression };
          return saved;
        },
      },
    });
    if (outcome.status === "finished" && uploadDeferred) {
      this.setPendingUpload(outcome.totals.grants);
      return Response.json({ status: "checkpointed", stepMs: Date.now() - started, phases } satisfies StepReport);
    }
    const done: StepReport = {
      status: outcome.status,
      stepMs: Date.now() - started,
      wasmHeapBytes: paged ? await PagedDatabase.heapBytes() : undefined,
      phases,
      ...report,
    };
    if (outcome.status === "finished") {
      done.bytes = outcome.saved.bytes;
      done.grants = outcome.totals.grants;
      if (paged) this.pages.clear();
      return this.finished(run, done);
    }
    return Response.json(done);
  }
}

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    return env.PAGED.get(env.PAGED.idFromName("bench")).fetch(request);
  },
};
