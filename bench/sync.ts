/**
 * Sync engine benchmark: a synthetic plugin end to end into the c1z store.
 * Defaults: 10k users, 1k groups nested 3 deep (chains of 4), 1M direct grants.
 * Override with BENCH_USERS, BENCH_GROUPS, BENCH_GRANTS, BENCH_PAGE, BENCH_WORKERS.
 * Engines (BENCH_ENGINES, default `file,sqljs`; each in its own process, so peak RSS is its own):
 *   file    native SQLite in a temp file (openC1zWorkFile), c1z streamed from the file
 *   native  native SQLite in memory; sqljs: sql.js in memory (c1z compressed whole)
 * Prints JSON lines: one per phase, one summary per engine (whole sync = list, write, expand,
 * serialize, compress), one for the 36zf vector. Never passes or fails on time.
 *
 *   npx tsx bench/sync.ts
 *   BENCH_USERS=2000 BENCH_GROUPS=200 BENCH_GRANTS=100000 BENCH_ENGINES=file npx tsx bench/sync.ts
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as v from "valibot";
import { createC1z, openC1z, openC1zWorkFile, removeC1zWorkFile, writeC1zFile } from "../src/c1z/index.ts";
import { entitlement, grant, group, resourceType, user } from "../src/model/builders.ts";
import type { Grant, Resource, ResourceId } from "../src/model/types.ts";
import type { AnyPlugin, Page } from "../src/plugins/contract.ts";
import { type ProgressEvent, runSync, type SyncPhase } from "../src/sync/index.ts";

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const USERS = env("BENCH_USERS", 10_000);
const GROUPS = env("BENCH_GROUPS", 1_000);
const GRANTS = env("BENCH_GRANTS", 1_000_000);
const PAGE = env("BENCH_PAGE", 1_000);
const WORKERS = env("BENCH_WORKERS", 1);
const ENGINE = process.env.BENCH_ENGINE as "sqljs" | "native" | "file" | undefined;
const CHAIN = 4; // g(4k) ⊂ g(4k+1) ⊂ g(4k+2) ⊂ g(4k+3): three levels of nesting

const print = (line: Record<string, unknown>) => console.log(JSON.stringify(line));
const rssMb = () => Math.round(process.memoryUsage().rss / 1e6);
const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1e3);

function page<T>(items: T[], token: string): Page<T> {
  const offset = token === "" ? 0 : Number(token);
  return {
    items: items.slice(offset, offset + PAGE),
    nextPageToken: offset + PAGE < items.length ? String(offset + PAGE) : "",
  };
}

const pad = (n: number) => String(n).padStart(7, "0");
const users = Array.from({ length: USERS }, (_, i) => user({ id: `u${pad(i)}`, displayName: `User ${i}` }));
const groups = Array.from({ length: GROUPS }, (_, i) => group({ id: `g${pad(i)}`, displayName: `Group ${i}` }));
const perGroup = Math.floor(GRANTS / GROUPS);

/** Group i's members: `perGroup` users starting at a group-dependent offset, plus its nested child group. */
function groupGrants(g: Resource, index: number): Grant[] {
  const out: Grant[] = [];
  const start = (index * 7919) % USERS;
  for (let k = 0; k < perGroup; k++) out.push(grant(g, "member", users[(start + k) % USERS]?.id as ResourceId));
  if (index % CHAIN !== 0) {
    const child = groups[index - 1] as Resource;
    out.push(
      grant(g, "member", child.id as ResourceId, {
        expandable: { entitlementIds: [`group:${child.id?.resource}:member`] },
      }),
    );
  }
  return out;
}

const plugin: AnyPlugin = {
  name: "bench",
  displayName: "bench",
  config: v.object({}),
  connect: () => ({}),
  resourceTypes: [
    {
      resourceType: resourceType({ id: "user", displayName: "User", traits: ["user"], skip: "entitlementsAndGrants" }),
      list: async (parent, ctx) => (parent ? { items: [] } : page(users, ctx.pageToken)),
      entitlements: async () => ({ items: [] }),
      grants: async () => ({ items: [] }),
    },
    {
      resourceType: resourceType({ id: "group", displayName: "Group", traits: ["group"] }),
      list: async (parent, ctx) => (parent ? { items: [] } : page(groups, ctx.pageToken)),
      entitlements: async (r) => ({ items: [entitlement(r, "member")] }),
      grants: async (r, ctx) => page(groupGrants(r, Number(r.id?.resource.slice(1))), ctx.pageToken),
    },
  ],
};

async function main() {
  if (!ENGINE) {
    for (const engine of (process.env.BENCH_ENGINES ?? "file,sqljs").split(",")) {
      const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
        stdio: "inherit",
        env: { ...process.env, BENCH_ENGINE: engine },
      });
      if (child.status !== 0) print({ bench: "sync", engine, failed: `exit ${child.status}` });
    }
    return;
  }
  const work = mkdtempSync(path.join(tmpdir(), "bench-sync-"));
  const dbPath = path.join(work, "sync.db");
  const store = ENGINE === "file" ? await openC1zWorkFile(dbPath) : await createC1z({ engine: ENGINE });
  let phase: SyncPhase | undefined;
  let phaseStart = performance.now();
  let lastWritten = { resourceTypes: 0, resources: 0, entitlements: 0, grants: 0 };
  let current = lastWritten;
  let expansionSeconds: number | undefined;
  const onProgress = (event: ProgressEvent) => {
    if (event.type === "progress") current = event.written;
    if (event.type !== "phase") return;
    const now = performance.now();
    if (phase && phase !== "init") {
      const seconds = (now - phaseStart) / 1000;
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
      });
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
  const databaseBytes = store.path ? statSync(store.path).size : store.sqliteBytes().length;
  print({
    bench: "sync",
    summary: true,
    engine: ENGINE,
    sqlite: store.engine,
    users: USERS,
    groups: GROUPS,
    directGrants: perGroup * GROUPS + GROUPS - GROUPS / CHAIN,
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
