/**
 * c1z writer benchmark. For each grant count and each SQLite engine present
 * (sql.js everywhere; better-sqlite3 / node:sqlite on Node, bun:sqlite on Bun) it
 * writes one full sync, serializes it and compresses it with native zstd (where
 * the runtime has it) and with the raw-block fallback. Each case runs in its own
 * child process so peak RSS belongs to that case alone. Prints JSON lines; never
 * passes or fails on time.
 *
 *   npx tsx bench/c1z-write.ts                      # 100k and 1M grants
 *   npx tsx bench/c1z-write.ts --grants=100000      # or BENCH_C1Z_GRANTS=100000,1000000
 *   node_modules/.bin/bun bench/c1z-write.ts        # bun:sqlite and Bun's native zstd
 *   BENCH_C1Z_ENGINES=sqljs npx tsx bench/c1z-write.ts
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createC1z } from "../src/c1z/index.ts";
import { compressZstd } from "../src/compress/index.ts";
import { entitlement, grant, group, resourceId, resourceType, user } from "../src/model/builders.ts";
import type { Grant, Resource } from "../src/model/types.ts";
import { type EngineChoice, nativeEngine } from "../src/storage/index.ts";

const GROUPS = 100;
const BATCH = 10_000;

const print = (line: Record<string, unknown>) => console.log(JSON.stringify(line));
const seconds = (from: number) => Math.round((performance.now() - from) / 10) / 100;
const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

function runtime(): string {
  const bun = (globalThis as { Bun?: { version: string } }).Bun;
  return bun ? `bun ${bun.version}` : `node ${process.versions.node}`;
}

function argList(name: string, env: string, fallback: string): string[] {
  const flag = process.argv.find((arg) => arg.startsWith(`--${name}=`));
  return (flag?.slice(name.length + 3) ?? process.env[env] ?? fallback).split(",").filter(Boolean);
}

/** Peak RSS of this process so far (bytes). */
function peakRss(sampled: number): number {
  try {
    return Math.max(sampled, process.resourceUsage().maxRSS * 1024);
  } catch {
    return sampled;
  }
}

async function runCase(grants: number, engine: EngineChoice): Promise<void> {
  let sampledRss = process.memoryUsage().rss;
  const sample = () => {
    sampledRss = Math.max(sampledRss, process.memoryUsage().rss);
  };
  const users = Math.ceil(grants / GROUPS);
  const store = await createC1z({ engine });
  const started = performance.now();
  store.startSync("full");
  const userType = resourceType({ displayName: "User", traits: ["user"] });
  const groupType = resourceType({ displayName: "Group", traits: ["group"] });
  store.putResourceTypes([userType, groupType]);

  const groups: Resource[] = [];
  for (let g = 0; g < GROUPS; g++) {
    groups.push(group({ id: `group-${g}`, displayName: `Group ${g}`, profile: { size: g, source: "bench" } }));
  }
  store.putResources(groups);
  store.putEntitlements(groups.map((g) => entitlement(g, "member", { grantableTo: [userType] })));
  let resourceBatch: Resource[] = [];
  for (let u = 0; u < users; u++) {
    resourceBatch.push(
      user({
        id: `user-${u}`,
        displayName: `User ${u}`,
        emails: [{ address: `user-${u}@example.com`, primary: true }],
        status: "enabled",
        profile: { department: `dept-${u % 17}`, employee: u },
      }),
    );
    if (resourceBatch.length === BATCH) {
      store.putResources(resourceBatch);
      resourceBatch = [];
    }
  }
  store.putResources(resourceBatch);
  const resourcesSeconds = seconds(started);
  sample();

  // Grants: generated in batches outside the clock, written (encode + insert) on it.
  let grantMs = 0;
  for (let from = 0; from < grants; from += BATCH) {
    const batch: Grant[] = [];
    for (let i = from; i < Math.min(grants, from + BATCH); i++) {
      // Unique (group, user) pairs: grant i is user floor(i / GROUPS) in group i % GROUPS.
      batch.push(grant(groups[i % GROUPS], "member", resourceId("user", `user-${Math.floor(i / GROUPS)}`)));
    }
    const t = performance.now();
    store.putGrants(batch);
    grantMs += performance.now() - t;
    sample();
  }
  const endStarted = performance.now();
  store.endSync();
  const endSyncSeconds = seconds(endStarted);
  sample();

  const serializeStarted = performance.now();
  const sqlite = store.sqliteBytes();
  const serializeSeconds = seconds(serializeStarted);
  sample();
  store.close();

  const zstd: Record<string, { bytes: number; mib: number; seconds: number } | null> = { native: null, raw: null };
  for (const mode of ["auto", "raw"] as const) {
    const t = performance.now();
    const { frame, method } = compressZstd(sqlite, { mode });
    const took = seconds(t);
    sample();
    if (mode === "auto" && method !== "native") continue; // no native zstd on this runtime
    zstd[method] = { bytes: frame.length + 5, mib: mib(frame.length + 5), seconds: took };
  }

  print({
    bench: "c1z-write",
    runtime: runtime(),
    engine: store.engine,
    grants,
    users,
    groups: GROUPS,
    grantsPerSecond: Math.round(grants / (grantMs / 1000)),
    grantWriteSeconds: Math.round(grantMs / 10) / 100,
    resourcesSeconds,
    endSyncSeconds,
    serializeSeconds,
    sqliteMiB: mib(sqlite.length),
    c1zNativeZstd: zstd.native,
    c1zRawFallback: zstd.raw,
    peakRssMiB: mib(peakRss(sampledRss)),
  });
}

async function main(): Promise<void> {
  const caseArg = process.argv.find((arg) => arg.startsWith("--case="));
  if (caseArg) {
    const [grants, engine] = caseArg.slice(7).split(":");
    await runCase(Number(grants), engine as EngineChoice);
    return;
  }
  const sizes = argList("grants", "BENCH_C1Z_GRANTS", "100000,1000000").map(Number);
  const engines = argList("engines", "BENCH_C1Z_ENGINES", "sqljs,native") as EngineChoice[];
  const hasNative = (await nativeEngine()) !== undefined;
  const self = fileURLToPath(import.meta.url);
  for (const grants of sizes) {
    for (const engine of engines) {
      if (engine === "native" && !hasNative) {
        print({ bench: "c1z-write", runtime: runtime(), engine, grants, skipped: "no native SQLite engine here" });
        continue;
      }
      // A child per case: a clean heap, and a peak RSS that is this case's alone.
      const child = spawnSync(process.execPath, [...process.execArgv, self, `--case=${grants}:${engine}`], {
        stdio: ["ignore", "inherit", "inherit"],
      });
      if (child.status !== 0) {
        print({ bench: "c1z-write", runtime: runtime(), engine, grants, failed: `exit ${child.status}` });
      }
    }
  }
}

await main();
