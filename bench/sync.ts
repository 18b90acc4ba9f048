/**
 * Sync engine benchmark: a synthetic plugin end to end into the c1z store.
 * Defaults: 10k users, 1k groups nested 3 deep (chains of 4), 1M direct grants.
 * Override with BENCH_USERS, BENCH_GROUPS, BENCH_GRANTS, BENCH_PAGE, BENCH_WORKERS; BENCH_KEEP_DIR keeps
 * each engine's c1z there (go.c1z, file.c1z, …); BENCH_NODE_FLAGS passes Node flags to our engines.
 * Engines (BENCH_ENGINES, default `go,file,sqljs`; each in its own process, so peak RSS is its own):
 *   go      baton-sdk v0.8.0's own syncer (bench/go/syncbench, built here; skipped without Go),
 *           serving exactly this plugin's output from a record file it pages from disk
 *   file    native SQLite in a temp file (openC1zWorkFile), c1z streamed from the file
 *   native  native SQLite in memory; sqljs: sql.js in memory
 * Prints JSON lines: one per phase, one summary per engine (whole sync = list, write, expand,
 * serialize, compress), one comparison per engine with its ratios to Go, and one for the 36zf
 * vector. Never passes or fails on time. Our engines run from a bundle of this script on bare
 * Node (bench/bundle.ts), as the prebuilt CLI runs; BENCH_LOADER=tsx runs them through tsx.
 *
 *   npx tsx bench/sync.ts
 *   BENCH_USERS=2000 BENCH_GROUPS=200 BENCH_GRANTS=100000 BENCH_ENGINES=file npx tsx bench/sync.ts
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { tuneNodeHeap } from "../bin/node-heap.mjs";
import { createC1z, openC1z, openC1zWorkFile, removeC1zWorkFile, writeC1zFile } from "../src/c1z/index.ts";
import { entitlement } from "../src/model/builders.ts";
import { EntitlementSchema, GrantSchema, ResourceSchema, ResourceTypeSchema } from "../src/model/types.ts";
import { toGoBinary } from "../src/proto/encode.ts";
import { type ProgressEvent, runSync, type SyncPhase } from "../src/sync/index.ts";
import { childCommand } from "./bundle.ts";
import { benchOrg } from "./org/plugin.ts";
import { RECORD_KIND, RecordFileWriter } from "./records.ts";

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const USERS = env("BENCH_USERS", 10_000);
const GROUPS = env("BENCH_GROUPS", 1_000);
const GRANTS = env("BENCH_GRANTS", 1_000_000);
const PAGE = env("BENCH_PAGE", 1_000);
const WORKERS = env("BENCH_WORKERS", 1);
const ENGINE = process.env.BENCH_ENGINE as "sqljs" | "native" | "file" | undefined;
/** Where each engine's c1z is copied for inspection (BENCH_KEEP_DIR), if set. */
const KEEP_DIR = process.env.BENCH_KEEP_DIR;

const print = (line: Record<string, unknown>) => console.log(JSON.stringify(line));
const rssMb = () => Math.round(process.memoryUsage().rss / 1e6);
const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1e3);
/**
 * BENCH_MEMORY=1: where the memory is at each phase end (V8 heap, external, array buffers), and the
 * process's CPU seconds so far (user + system, all threads): a second figure beside wall time on a shared box.
 */
const cpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return Number(((user + system) / 1e6).toFixed(2));
};
const memory = () => {
  if (!process.env.BENCH_MEMORY) return {};
  const m = process.memoryUsage();
  const mb = (n: number) => Math.round(n / 1e6);
  return {
    heapUsedMb: mb(m.heapUsed),
    heapTotalMb: mb(m.heapTotal),
    externalMb: mb(m.external),
    arrayBuffersMb: mb(m.arrayBuffers),
    peakRssMb: peakRssMb(),
    cpuSeconds: cpuSeconds(),
  };
};

const { plugin, users, groups, groupGrants, directGrants } = benchOrg({
  users: USERS,
  groups: GROUPS,
  grants: GRANTS,
  pageSize: PAGE,
});

/** The plugin's whole output as a record file, in the order its lists return it. */
function writePluginRecords(file: string): void {
  const out = new RecordFileWriter(file);
  for (const { resourceType } of plugin.resourceTypes)
    out.write(RECORD_KIND.resourceType, toGoBinary(ResourceTypeSchema, resourceType));
  for (const r of [...users, ...groups]) out.write(RECORD_KIND.resource, toGoBinary(ResourceSchema, r));
  groups.forEach((g, index) => {
    out.write(RECORD_KIND.entitlement, toGoBinary(EntitlementSchema, entitlement(g, "member")));
    for (const each of groupGrants(g, index)) out.write(RECORD_KIND.grant, toGoBinary(GrantSchema, each));
  });
  out.close();
}

type Summary = Record<string, unknown>;

/** baton-sdk's syncer on the same output: the summary line in this bench's fields. */
function runGo(): Summary | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const build = spawnSync("bash", [path.join(here, "go/build.sh")], { encoding: "utf8" });
  if (build.status !== 0) {
    print({ bench: "sync", engine: "go", skipped: build.stderr.trim() || `build exit ${build.status}` });
    return undefined;
  }
  const work = mkdtempSync(path.join(tmpdir(), "bench-sync-go-"));
  try {
    const records = path.join(work, "plugin.records");
    writePluginRecords(records);
    const child = spawnSync(path.join(here, "go/bin/syncbench"), [records, path.join(work, "sync.c1z")], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    });
    if (child.status !== 0) {
      print({ bench: "sync", engine: "go", failed: `exit ${child.status}` });
      return undefined;
    }
    const go = JSON.parse(child.stdout.trim().split("\n").at(-1) ?? "{}");
    const summary: Summary = {
      bench: "sync",
      summary: true,
      engine: "go",
      sqlite: go.engine,
      users: USERS,
      groups: GROUPS,
      directGrants: go.listed.grants,
      totalGrants: go.totalGrants,
      wholeSyncSeconds: Number(go.wholeSyncSeconds.toFixed(2)),
      expansionSeconds: Number(go.expansionSeconds.toFixed(2)),
      fileBytes: go.c1zBytes,
      peakRssMb: Math.round(go.peakRssBytes / 1e6),
    };
    print(summary);
    return summary;
  } finally {
    if (KEEP_DIR) copyFileSync(path.join(work, "sync.c1z"), path.join(KEEP_DIR, "go.c1z"));
    rmSync(work, { recursive: true, force: true });
  }
}

/** Each engine in its own process; then each engine's figures as ratios to Go's. */
async function compareEngines(): Promise<void> {
  const summaries = new Map<string, Summary>();
  const run = await childCommand(fileURLToPath(import.meta.url));
  print({ bench: "sync", loader: run.loader, nodeFlags: run.nodeFlags });
  for (const engine of (process.env.BENCH_ENGINES ?? "go,file,sqljs").split(",")) {
    if (engine === "go") {
      const go = runGo();
      if (go) summaries.set(engine, go);
      continue;
    }
    const child = spawnSync(run.command, run.args, {
      stdio: ["ignore", "pipe", "inherit"],
      encoding: "utf8",
      maxBuffer: 1 << 26,
      env: { ...process.env, BENCH_ENGINE: engine },
    });
    process.stdout.write(child.stdout);
    if (child.status !== 0) print({ bench: "sync", engine, failed: `exit ${child.status}` });
    for (const line of child.stdout.split("\n")) {
      if (line.includes('"summary":true')) summaries.set(engine, JSON.parse(line));
    }
  }
  const go = summaries.get("go");
  if (!go) return;
  const ratio = (a: unknown, b: unknown) => Number((Number(a) / Number(b)).toFixed(2));
  for (const [engine, s] of summaries) {
    if (engine === "go") continue;
    print({
      bench: "sync",
      vsGo: true,
      engine,
      sameTotalGrants: s.totalGrants === go.totalGrants,
      wholeSyncVsGo: ratio(s.wholeSyncSeconds, go.wholeSyncSeconds),
      expansionVsGo: ratio(s.expansionSeconds, go.expansionSeconds),
      peakRssVsGo: ratio(s.peakRssMb, go.peakRssMb),
      fileBytesVsGo: ratio(s.fileBytes, go.fileBytes),
    });
  }
}

async function main() {
  if (!ENGINE) return compareEngines();
  // As bin/baton-edge.js runs the CLI: the figures are the CLI's.
  tuneNodeHeap();
  const work = mkdtempSync(path.join(tmpdir(), "bench-sync-"));
  const dbPath = path.join(work, "sync.db");
  const store = ENGINE === "file" ? await openC1zWorkFile(dbPath) : await createC1z({ engine: ENGINE });
  let phase: SyncPhase | undefined;
  let phaseStart = performance.now();
  let lastWritten = { resourceTypes: 0, resources: 0, entitlements: 0, grants: 0 };
  let current = lastWritten;
  let expansionSeconds: number | undefined;
  // The last checkpoint in grant-expansion follows expansion; cleanup (index builds, VACUUM) and
  // endSync run after it, before the "done" phase event, so they are timed apart.
  let lastCheckpoint = 0;
  const onProgress = (event: ProgressEvent) => {
    if (event.type === "progress") current = event.written;
    if (event.type === "checkpoint") lastCheckpoint = performance.now();
    if (event.type !== "phase") return;
    const now = performance.now();
    if (phase && phase !== "init") {
      const end = phase === "grant-expansion" && lastCheckpoint > phaseStart ? lastCheckpoint : now;
      const seconds = (end - phaseStart) / 1000;
      const objects =
        current.resourceTypes +
        current.resources +
        current.entitlements +
        current.grants -
        (lastWritten.resourceTypes + lastWritten.resources + lastWritten.entitlements + lastWritten.grants);
      if (phase === "grant-expansion") expansionSeconds = Number(seconds.toFixed(2));
      print({
        bench: "sync",
        engine: ENGINE,
        phase,
        seconds: Number(seconds.toFixed(3)),
        objects,
        objectsPerSecond: Math.round(objects / Math.max(seconds, 1e-6)),
        rssMb: rssMb(),
        ...memory(),
      });
      if (end !== now) {
        const cleanup = (now - end) / 1000;
        print({
          bench: "sync",
          engine: ENGINE,
          phase: "cleanup",
          seconds: Number(cleanup.toFixed(3)),
          rssMb: rssMb(),
          ...memory(),
        });
      }
    }
    lastWritten = current;
    phase = event.phase;
    phaseStart = now;
  };
  const started = performance.now();
  const result = await runSync({ plugin, client: {}, store, onProgress, workers: WORKERS });
  const syncSeconds = (performance.now() - started) / 1000;
  const encodeStart = performance.now();
  const c1zPath = path.join(work, "sync.c1z");
  await writeC1zFile(c1zPath, store);
  // Asked of SQLite, not of a serialized copy: an in-memory engine's export would be another peak.
  const databaseBytes = Number(
    store.db.prepare("select page_count * page_size as n from pragma_page_count(), pragma_page_size()").get()?.n,
  );
  print({
    bench: "sync",
    summary: true,
    engine: ENGINE,
    sqlite: store.engine,
    users: USERS,
    groups: GROUPS,
    directGrants,
    expandedGrants: result.expandedGrants,
    totalGrants: store.stats(result.syncId).grants,
    syncSeconds: Number(syncSeconds.toFixed(2)),
    encodeSeconds: Number(((performance.now() - encodeStart) / 1000).toFixed(2)),
    wholeSyncSeconds: Number(((performance.now() - started) / 1000).toFixed(2)),
    expansionSeconds: expansionSeconds ?? null,
    fileBytes: statSync(c1zPath).size,
    databaseBytes,
    peakRssMb: peakRssMb(),
    peakRssVsDatabase: Number((peakRssMb() / (databaseBytes / 1e6)).toFixed(2)),
    workers: WORKERS,
  });
  store.close();
  await removeC1zWorkFile(dbPath);
  if (KEEP_DIR) copyFileSync(c1zPath, path.join(KEEP_DIR, `${ENGINE}.c1z`));
  rmSync(work, { recursive: true, force: true });
  if (ENGINE === "file") return;

  // The Go vector: resume at grant-expansion, time the expansion.
  const vector = new Uint8Array(readFileSync(new URL("../test/fixtures/go/go-36zf-unexpanded.c1z", import.meta.url)));
  const clock = { now: () => Date.parse("2025-12-17T17:31:25"), sleep: async () => {} };
  const goStore = await openC1z(vector, { now: clock.now, engine: ENGINE === "native" ? "native" : "sqljs" });
  const marks = new Map<string, number>();
  const runStart = performance.now();
  const goResult = await runSync({
    plugin,
    client: {},
    store: goStore,
    clock,
    legacyGrantSources: true,
    onProgress: (event) => {
      if (event.type === "phase") marks.set(event.phase, performance.now());
      // The final checkpoint follows expansion directly; cleanup (VACUUM) and endSync come after it.
      if (event.type === "checkpoint" && event.phase === "grant-expansion") marks.set("expanded", performance.now());
    },
  });
  const expansionStart = marks.get("grant-expansion") ?? runStart;
  print({
    bench: "sync",
    vector: "go-36zf-unexpanded",
    expansionSeconds: Number((((marks.get("expanded") ?? performance.now()) - expansionStart) / 1000).toFixed(3)),
    resumeToEndSeconds: Number(((performance.now() - runStart) / 1000).toFixed(3)),
    expandedGrants: goResult.expandedGrants,
  });
}

await main();
