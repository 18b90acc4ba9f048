/**
 * Peak memory of a sync triggered over the HTTP API (`POST /v1/connectors/{name}/syncs`,
 * app.request, a data directory as the Node server has), at several grant counts:
 *   file    the sync's database in its work file, the c1z streamed into the data directory
 *   memory  the same state store without work files: database in memory, c1z built whole
 * Each (mode, size) runs in its own process (bare Node on a bundle of this script;
 * BENCH_LOADER=tsx keeps tsx), so its peak RSS (getrusage maxrss) is its own:
 * `peakRssMb` at the end of the sync, `peakRssAfterReadsMb` after one grants read (which
 * opens the finished sync) and the c1z download.
 * The plugin makes 10k users and 1k groups and generates each group's members page by page,
 * so its own memory does not grow with the grant count. No nesting: expansion adds nothing.
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
import * as v from "valibot";
import { createApp } from "../src/http/app.ts";
import { createFsStateStore } from "../src/http/state/fs.ts";
import { entitlement, grant, group, resourceId, resourceType, user } from "../src/model/builders.ts";
import type { AnyPlugin } from "../src/plugins/contract.ts";
import { childCommand } from "./bundle.ts";

const USERS = 10_000;
const GROUPS = 1_000;
const PAGE = 1_000;
const print = (line: Record<string, unknown>) => console.log(JSON.stringify(line));

function benchPlugin(grants: number): AnyPlugin {
  const perGroup = Math.ceil(grants / GROUPS);
  const pad = (n: number) => String(n).padStart(6, "0");
  const offsetOf = (token: string) => (token === "" ? 0 : Number(token));
  return {
    name: "bench",
    displayName: "bench",
    config: v.object({}),
    connect: () => ({}),
    resourceTypes: [
      {
        resourceType: resourceType({
          id: "user",
          displayName: "User",
          traits: ["user"],
          skip: "entitlementsAndGrants",
        }),
        list: async (parent, ctx) => {
          if (parent) return { items: [] };
          const offset = offsetOf(ctx.pageToken);
          const end = Math.min(USERS, offset + PAGE);
          const items = [];
          for (let i = offset; i < end; i++) items.push(user({ id: `u${pad(i)}`, displayName: `User ${i}` }));
          return { items, nextPageToken: end < USERS ? String(end) : "" };
        },
        entitlements: async () => ({ items: [] }),
        grants: async () => ({ items: [] }),
      },
      {
        resourceType: resourceType({ id: "group", displayName: "Group", traits: ["group"] }),
        list: async (parent, ctx) => {
          if (parent) return { items: [] };
          const offset = offsetOf(ctx.pageToken);
          const end = Math.min(GROUPS, offset + PAGE);
          const items = [];
          for (let i = offset; i < end; i++) items.push(group({ id: `g${pad(i)}`, displayName: `Group ${i}` }));
          return { items, nextPageToken: end < GROUPS ? String(end) : "" };
        },
        entitlements: async (r) => ({ items: [entitlement(r, "member")] }),
        grants: async (r, ctx) => {
          const index = Number(r.id?.resource.slice(1));
          const start = (index * 7919) % USERS;
          const offset = offsetOf(ctx.pageToken);
          const end = Math.min(perGroup, offset + PAGE);
          const items = [];
          for (let k = offset; k < end; k++) {
            items.push(grant(r, "member", resourceId("user", `u${pad((start + k) % USERS)}`)));
          }
          return { items, nextPageToken: end < perGroup ? String(end) : "" };
        },
      },
    ],
  };
}

/** One HTTP-triggered sync in this process; prints its line. */
async function child(mode: "file" | "memory", grants: number): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "bench-triggers-"));
  try {
    const state = await createFsStateStore(dataDir);
    if (mode === "memory") delete state.workFiles;
    else if (!state.workFiles) throw new Error("no native file engine on this runtime: no work files");
    const app = createApp({
      connectors: [{ name: "bench", plugin: benchPlugin(grants), config: {} }],
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
  await child(process.argv[3] as "file" | "memory", Number(process.argv[4]));
} else {
  await main();
}
