/**
 * Peak memory of a big demo sync on workerd (`wrangler dev`), uploaded to S3 (moto):
 * the database paged into a Durable Object's SQLite storage and synced in steps of
 * BENCH_STEP_MS (one request = one invocation), then streamed page → zstd → multipart.
 * `BENCH_MODES=paged,memory` also runs the old way (whole database in sql.js memory, one
 * invocation) in a fresh workerd for comparison. Prints one JSON line per run:
 * workerd VmHWM minus its idle baseline, invocations, wall time, c1z size.
 *
 *   npx tsx bench/workers.ts                       # ~100k grants
 *   BENCH_GRANTS=320000 BENCH_USERS=80000 BENCH_GROUPS=800 npx tsx bench/workers.ts   # ~1M grants
 *
 * The demo plugin keeps its whole organisation in memory (~80 MB of the isolate at ~1M
 * grants), so to see whether *our* memory grows with size, BENCH_PLUGIN=bench syncs
 * bench/sync.ts's organisation instead, whose plugin holds only users and groups:
 *   BENCH_PLUGIN=bench BENCH_USERS=10000 BENCH_GROUPS=1000 BENCH_GRANTS=40000    # ~100k grants
 *   BENCH_PLUGIN=bench BENCH_USERS=10000 BENCH_GROUPS=1000 BENCH_GRANTS=400000   # ~1M grants
 * BENCH_V8_FLAGS="--max-old-space-size=48 --max-semi-space-size=2" runs V8 with a heap limit,
 * as an isolate on Cloudflare has one (workerd locally has none, so V8 collects lazily and
 * VmHWM mostly measures garbage); a sync that needs more live heap dies of V8's OOM.
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, ListMultipartUploadsCommand } from "@aws-sdk/client-s3";
import { Agent, fetch } from "undici";
import { openC1z } from "../src/c1z/open.ts";
import { workerdCpuTicks, workerdPeakRss, workerdPids } from "../test/runtime-worker-support.ts";
import { startWranglerDev, writePagedWorkerConfig } from "../test/support/wrangler-dev.ts";
import { motoAdmin, startMoto, testCredentials } from "../test/upload-support.ts";

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const demo = {
  users: env("BENCH_USERS", 8000),
  groups: env("BENCH_GROUPS", 80),
  grants: env("BENCH_GRANTS", 32000),
  pageSize: env("BENCH_PAGE", 500),
};
const stepMs = env("BENCH_STEP_MS", 20_000);
const cacheKiB = env("BENCH_CACHE_KIB", 2048);
const modes = (process.env.BENCH_MODES ?? "paged").split(",");
const bucket = "bench-workers";

const patient = new Agent({ headersTimeout: 0, bodyTimeout: 0 });
/** How long workerd may use no CPU at all while a step is pending before the request counts as lost. */
const IDLE_MS = 30_000;
let lostRequests = 0;

/**
 * One step's request. wrangler dev's proxy sometimes never forwards a request (seen after
 * minutes of long steps: workerd idle, no connection to it, the proxy still holding ours),
 * so a request that leaves workerd without CPU for IDLE_MS is dropped and sent again. That
 * is safe: a step takes up from the last commit, as after a killed invocation, and a step that
 * had finished the sync answers again with its report (the request's `run` id).
 */
async function stepRequest(url: string, wranglerPid: number): Promise<string> {
  for (;;) {
    const abort = new AbortController();
    let ticks = workerdCpuTicks(wranglerPid);
    let idleSince = Date.now();
    const watchdog = setInterval(() => {
      const now = workerdCpuTicks(wranglerPid);
      if (now !== ticks) [ticks, idleSince] = [now, Date.now()];
      else if (Date.now() - idleSince > IDLE_MS) abort.abort(new Error("lost"));
    }, 2_000);
    try {
      const response = await fetch(url, { signal: abort.signal, dispatcher: patient });
      const text = await response.text();
      if (!response.ok) throw new Error(`step failed: ${response.status} ${text.slice(0, 2000)}`);
      return text;
    } catch (error) {
      if (!abort.signal.aborted) throw error;
      lostRequests++;
    } finally {
      clearInterval(watchdog);
    }
  }
}
const moto = await startMoto();
const admin = await motoAdmin(moto, bucket);
const scratch = mkdtempSync(join(tmpdir(), "bench-workers-"));
try {
  for (const mode of modes) {
    const config = writePagedWorkerConfig(scratch, "baton-bench-workers", testCredentials);
    // BENCH_V8_FLAGS (e.g. "--max-old-space-size=64"): V8 flags for workerd, through bench/workerd-v8-flags.mjs.
    const v8Flags = process.env.BENCH_V8_FLAGS;
    const { server, base } = await startWranglerDev({
      config,
      cwd: scratch,
      persistTo: join(scratch, mode),
      env: v8Flags
        ? { MINIFLARE_WORKERD_PATH: join(import.meta.dirname, "workerd-v8-flags.mjs"), BENCH_V8_FLAGS: v8Flags }
        : {},
    });
    // BENCH_LOG: wrangler's output as it comes (a step that never answers leaves its trace behind).
    const log = process.env.BENCH_LOG ? `${process.env.BENCH_LOG}.${mode}` : undefined;
    if (log) {
      writeFileSync(log, server.output());
      for (const stream of [server.child.stdout, server.child.stderr])
        stream?.on("data", (d) => appendFileSync(log, d));
    }
    try {
      // Idle: the Worker and its Durable Object loaded. Warm: after a 25-user sync and upload
      // (sql.js, zstd and the S3 client loaded), so the difference to the peak is what size costs.
      await (await fetch(`${base}/reset`)).text();
      const idleKiB = workerdPeakRss(server.child.pid!);
      const key = `demo/${mode}.c1z`;
      const location = `s3://${bucket}/${key}?region=us-east-1&endpoint=${moto.endpoint}`;
      const params = (size: typeof demo) =>
        new URLSearchParams({
          ...Object.fromEntries(Object.entries(size).map(([k, v]) => [k, String(v)])),
          store: mode,
          stepMs: String(stepMs),
          cacheKiB: String(cacheKiB),
          location,
          // BENCH_PLUGIN=bench: bench/sync.ts's organisation (users, groups in chains of four) instead of the demo.
          ...(process.env.BENCH_PLUGIN ? { plugin: process.env.BENCH_PLUGIN } : {}),
          // BENCH_PAGES=memory: the paged FS over a Map in the isolate (tells DO storage's share of the peak).
          ...(process.env.BENCH_PAGES ? { pages: process.env.BENCH_PAGES } : {}),
        });
      const warmup = await fetch(`${base}/sync?${params({ users: 25, groups: 6, grants: 60, pageSize: 50 })}`);
      if (!warmup.ok) throw new Error(`warm-up sync failed: ${warmup.status} ${(await warmup.text()).slice(0, 2000)}`);
      await warmup.text();
      const warmKiB = workerdPeakRss(server.child.pid!);
      // One id for every step of this sync: a step resent after a lost response that had finished
      // the sync gets its report back (test/support/paged-sync-worker.ts) instead of starting another.
      const query = new URLSearchParams([...params(demo), ["run", crypto.randomUUID()]]);
      const started = Date.now();
      let invocations = 0;
      lostRequests = 0;
      let peakKiB = 0;
      let workerdRestarts = 0;
      let pids = workerdPids(server.child.pid!);
      let step: { status: string; bytes?: number; grants?: number; sqliteBytes?: number; compression?: string };
      do {
        invocations++;
        const text = await stepRequest(`${base}/sync?${query}`, server.child.pid!);
        // VmHWM after every step, the peak their maximum: if wrangler restarts workerd (it does
        // when a bundled file changes), the new process's VmHWM starts again from zero.
        const hwmKiB = workerdPeakRss(server.child.pid!);
        peakKiB = Math.max(peakKiB, hwmKiB);
        const now = workerdPids(server.child.pid!);
        if (now.some((pid) => !pids.includes(pid))) {
          workerdRestarts++;
          pids = now;
        }
        step = JSON.parse(text) as typeof step;
        if (process.env.BENCH_VERBOSE) {
          console.error(JSON.stringify({ invocation: invocations, at: Date.now() - started, hwmKiB, ...step }));
        }
      } while (step.status !== "finished" && invocations < 1000);
      const wallMs = Date.now() - started;
      peakKiB = Math.max(peakKiB, workerdPeakRss(server.child.pid!));
      const object = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const c1z = new Uint8Array(await object.Body!.transformToByteArray());
      const store = await openC1z(c1z);
      const grants = store.stats(store.latestFinishedSync()!.syncId).grants;
      store.close();
      const open = (await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [];
      console.log(
        JSON.stringify({
          bench: "workers-demo-sync",
          store: mode,
          plugin: process.env.BENCH_PLUGIN ?? "demo",
          demo,
          grants,
          invocations,
          lostRequests,
          workerdRestarts,
          stepMs: mode === "paged" ? stepMs : undefined,
          cacheKiB: mode === "paged" ? cacheKiB : undefined,
          v8Flags: process.env.BENCH_V8_FLAGS,
          wallMs,
          c1zBytes: c1z.length,
          sqliteBytes: step.sqliteBytes,
          compression: step.compression,
          workerdIdleKiB: idleKiB,
          workerdWarmKiB: warmKiB,
          workerdPeakKiB: peakKiB,
          peakAboveIdleMB: Math.round(((peakKiB - idleKiB) / 1024) * 10) / 10,
          peakAboveWarmMB: Math.round(((peakKiB - warmKiB) / 1024) * 10) / 10,
          openMultipartUploads: open.length,
        }),
      );
    } catch (error) {
      console.error(server.output().slice(-4000));
      throw error;
    } finally {
      await server.stop();
    }
  }
} finally {
  admin.destroy();
  await moto.stop();
  rmSync(scratch, { recursive: true, force: true });
}
