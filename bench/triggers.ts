/**
 * Peak memory of a sync triggered over the HTTP API (`POST /v1/connectors/{name}/syncs`,
 * app.request, a data directory as the Node server has), at several grant counts:
 *   file    the sync's database in its work file, the c1z streamed into the data directory
 *   memory  the same state store without work files: database in memory, c1z built whole
 * Each (mode, size) runs in its own process (bare Node on a bundle of this script;
 * BENCH_LOADER=tsx keeps tsx), so its peak RSS (getrusage maxrss) is its own:
 * `peakRssMb` at the end of the sync, `peakRssAfterReadsMb` after one grants read (which
 * opens the finished sync) and the c1z download.
 * The plugin is bench/sync.ts's organisation (bench/org) without nesting: 10k users and 1k
 * groups, each group's members made when it is listed, so the plugin's own memory does not
 * grow with the grant count, and expansion adds nothing.
 * Prints one JSON line per run and one summary per mode with the ratio of peak RSS between
 * the largest and the smallest size. Never passes or fails on time.
 *
 *   npx tsx bench/triggers.ts
 *   BENCH_TRIGGER_GRANTS=50000,200000 BENCH_TRIGGER_MODES=file npx tsx bench/triggers.ts
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { tuneNodeHeap } from "../bin/node-heap.mjs";
import { createApp } from "../src/http/app.ts";
import { createFsStateStore } from "../src/http/state/fs.ts";
import { childCommand } from "./bundle.ts";
import { benchOrg } from "./org/plugin.ts";

const USERS = 10_000;
const GROUPS = 1_000;
const PAGE = 1_000;
const print = (line: Record<string, unknown>) => console.log(JSON.stringify(line));

/** One HTTP-triggered sync in this process; prints its line. */
async function child(mode: "file" | "memory", grants: number): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "bench-triggers-"));
  try {
    const state = await createFsStateStore(dataDir);
    if (mode === "memory") delete state.workFiles;
    else if (!state.workFiles) throw new Error("no native file engine on this runtime: no work files");
    const app = createApp({
      connectors: [
        {
          name: "bench",
          plugin: benchOrg({ users: USERS, groups: GROUPS, grants, pageSize: PAGE, chain: 1 }).plugin,
          config: {},
        },
      ],
      auth: { mode: "off" },
      state,
      log: () => {},
    });
    const workDir = join(dataDir, "work", "bench");
    let workFileSeen = false;
    const sampler = setInterval(() => {
      try {
        for (const name of readdirSync(workDir)) if (name.endsWith(".work.db")) workFileSeen = true;
      } catch {
        // Not created yet, or removed.
      }
    }, 250);
    const started = performance.now();
    const accepted = await app.request("/v1/connectors/bench/syncs", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    const { location } = (await accepted.json()) as { location: string };
    // The event stream ends with the result.
    await (await app.request(`${location}/events`)).text();
    const durationMs = Math.round(performance.now() - started);
    clearInterval(sampler);
    const record = (await (await app.request(location)).json()) as {
      state: string;
      counts: { grants: number };
      c1zBytes: number;
      error: unknown;
    };
    if (record.state !== "succeeded") throw new Error(`sync ${record.state}: ${JSON.stringify(record.error)}`);
    const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    // Then the read routes: they open the finished sync (a file-backed copy, or in memory).
    const read = await app.request("/v1/connectors/bench/grants?limit=100");
    if (read.status !== 200) throw new Error(`grants read answered ${read.status}`);
    await read.arrayBuffer();
    const download = await app.request(`${location}/c1z`);
    const downloaded = (await download.arrayBuffer()).byteLength;
    if (downloaded !== record.c1zBytes) throw new Error(`downloaded ${downloaded} bytes of ${record.c1zBytes}`);
    print({
      bench: "triggers",
      trigger: "http",
      mode,
      grants: record.counts.grants,
      peakRssMb,
      peakRssAfterReadsMb: Math.round(process.resourceUsage().maxRSS / 1024),
      durationMs,
      grantsPerSec: Math.round(record.counts.grants / (durationMs / 1000)),
      c1zBytes: record.c1zBytes,
      workFileUsed: workFileSeen,
      workFilesLeft: readdirSafe(workDir).filter((n) => n.endsWith(".work.db")).length,
    });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

async function main(): Promise<void> {
  const sizes = (process.env.BENCH_TRIGGER_GRANTS ?? "100000,400000").split(",").map(Number);
  const modes = (process.env.BENCH_TRIGGER_MODES ?? "file,memory").split(",") as ("file" | "memory")[];
  // Bare Node on a bundle of this script (bench/bundle.ts), so tsx's loader is not in the figures.
  const runner = await childCommand(fileURLToPath(import.meta.url));
  for (const mode of modes) {
    const peaks: { grants: number; peakRssMb: number; peakRssAfterReadsMb: number }[] = [];
    for (const grants of sizes) {
      const run = spawnSync(runner.command, [...runner.args, "child", mode, String(grants)], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
        maxBuffer: 1 << 26,
      });
      const line = run.stdout.trim().split("\n").at(-1) ?? "";
      if (run.status !== 0 || !line.startsWith("{")) {
        print({ bench: "triggers", trigger: "http", mode, grants, error: `exit ${run.status}` });
        continue;
      }
      print({ ...(JSON.parse(line) as Record<string, unknown>), loader: runner.loader });
      peaks.push(JSON.parse(line) as (typeof peaks)[number]);
    }
    if (peaks.length >= 2) {
      const first = peaks[0]!;
      const last = peaks.at(-1)!;
      print({
        bench: "triggers",
        summary: mode,
        grants: peaks.map((p) => p.grants),
        peakRssMb: peaks.map((p) => p.peakRssMb),
        peakRatio: Number((last.peakRssMb / first.peakRssMb).toFixed(2)),
        peakRssAfterReadsMb: peaks.map((p) => p.peakRssAfterReadsMb),
        afterReadsRatio: Number((last.peakRssAfterReadsMb / first.peakRssAfterReadsMb).toFixed(2)),
        grantRatio: Number((last.grants / first.grants).toFixed(2)),
      });
    }
  }
}

if (process.argv[2] === "child") {
  // As bin/baton-edge.js runs the CLI: the figures are the CLI's.
  tuneNodeHeap();
  await child(process.argv[3] as "file" | "memory", Number(process.argv[4]));
} else {
  await main();
}
