/**
 * The c1z writer side by side with the Go SDK, on the same messages in one run.
 * Shape: BENCH_USERS users (10k), BENCH_GROUPS groups (1k) with a member entitlement
 * each, BENCH_GRANTS direct grants (100k; try 1000000). The messages are generated
 * once and written to a record file; each engine then reads that file in batches of
 * 10k, decodes the messages and writes one full sync through its own c1z writer:
 *   go      baton-sdk v0.8.0 pkg/dotc1z (bench/go, built here; skipped without Go)
 *   native  ours, file-backed native SQLite, c1z streamed from the database file
 *   sqljs   ours, sql.js in memory, c1z compressed from the serialized database
 * Each engine runs in its own process (peak RSS is its own); ours run from a bundle of this
 * script on bare Node, as the prebuilt CLI runs (bench/bundle.ts; BENCH_LOADER=tsx keeps tsx's
 * loader, ~35 MB more). Prints one JSON line
 * per engine: grants/s (grants over the whole write: open → c1z on disk), peak RSS,
 * c1z bytes, and the ratios to Go. Never passes or fails on time.
 *
 *   npx tsx bench/writer-vs-go.ts
 *   BENCH_GRANTS=1000000 BENCH_ENGINES=go,native npx tsx bench/writer-vs-go.ts
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type DescMessage, fromBinary } from "@bufbuild/protobuf";
import { tuneNodeHeap } from "../bin/node-heap.mjs";
import { createC1z, fileChunks, openC1zWorkFile, removeC1zWorkFile, writeC1zFile } from "../src/c1z/index.ts";
import type { SqliteC1zStore } from "../src/c1z/sqlite-store.ts";
import { entitlement, grant, group, resourceType, user } from "../src/model/builders.ts";
import { EntitlementSchema, GrantSchema, ResourceSchema, ResourceTypeSchema } from "../src/model/types.ts";
import { toGoBinary } from "../src/proto/encode.ts";
import { childCommand } from "./bundle.ts";
import { RECORD_KIND, RecordFileWriter } from "./records.ts";

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const USERS = env("BENCH_USERS", 10_000);
const GROUPS = env("BENCH_GROUPS", 1_000);
const GRANTS = env("BENCH_GRANTS", 100_000);
const BATCH = 10_000;
const here = path.dirname(fileURLToPath(import.meta.url));
const print = (line: Record<string, unknown>) => console.log(JSON.stringify(line));
const round = (n: number, digits = 2) => Number(n.toFixed(digits));

const KINDS = [ResourceTypeSchema, ResourceSchema, EntitlementSchema, GrantSchema] as const;

/** The synthetic org as a record file (bench/records.ts), as bench/go/main.go reads it. */
function writeRecords(file: string): void {
  const out = new RecordFileWriter(file);
  const record = (kind: number, bytes: Uint8Array) => out.write(kind, bytes);
  const userType = resourceType({ id: "user", displayName: "User", traits: ["user"] });
  const groupType = resourceType({ id: "group", displayName: "Group", traits: ["group"] });
  for (const rt of [userType, groupType]) record(RECORD_KIND.resourceType, toGoBinary(ResourceTypeSchema, rt));
  const pad = (n: number) => String(n).padStart(7, "0");
  const users = Array.from({ length: USERS }, (_, i) =>
    user({
      id: `u${pad(i)}`,
      displayName: `User ${i}`,
      emails: [{ address: `user-${i}@example.com`, primary: true }],
      status: "enabled",
    }),
  );
  const groups = Array.from({ length: GROUPS }, (_, i) => group({ id: `g${pad(i)}`, displayName: `Group ${i}` }));
  for (const r of [...users, ...groups]) record(RECORD_KIND.resource, toGoBinary(ResourceSchema, r));
  const entitlements = groups.map((g) => entitlement(g, "member", { grantableTo: [userType] }));
  for (const e of entitlements) record(RECORD_KIND.entitlement, toGoBinary(EntitlementSchema, e));
  const perGroup = Math.ceil(GRANTS / GROUPS);
  for (let i = 0; i < GRANTS; i++) {
    const g = Math.floor(i / perGroup);
    const u = (((g * 7919) % USERS) + (i % perGroup)) % USERS;
    record(RECORD_KIND.grant, toGoBinary(GrantSchema, grant(groups[g], entitlements[g], users[u])));
  }
  out.close();
}

/** Decoded batches of one kind at a time, read from the record file in chunks. */
async function* batches(file: string): AsyncGenerator<{ kind: number; items: unknown[] }> {
  let pending = new Uint8Array(0);
  let kind = 0;
  let items: unknown[] = [];
  for await (const chunk of fileChunks(file, 4 * 1024 * 1024)) {
    const data = new Uint8Array(pending.length + chunk.length);
    data.set(pending);
    data.set(chunk, pending.length);
    let o = 0;
    while (o < data.length) {
      // kind byte, uvarint size, message; stop at a record cut by the chunk's end.
      let p = o + 1;
      let size = 0;
      let shift = 0;
      let complete = false;
      while (p < data.length) {
        const b = data[p++];
        size += (b & 0x7f) * 2 ** shift;
        shift += 7;
        if (b < 0x80) {
          complete = true;
          break;
        }
      }
      if (!complete || p + size > data.length) break;
      const next = data[o];
      if ((next !== kind && items.length > 0) || items.length === BATCH) {
        yield { kind, items };
        items = [];
      }
      kind = next;
      items.push(fromBinary(KINDS[kind - 1] as DescMessage, data.subarray(p, p + size)));
      o = p + size;
    }
    pending = data.slice(o);
  }
  if (items.length > 0) yield { kind, items };
}

/** BENCH_TRACE=1: memory at each phase of our writer, on stderr. */
function trace(phase: string): void {
  if (!process.env.BENCH_TRACE) return;
  const m = process.memoryUsage();
  const mib = (n: number) => Math.round(n / 1024 / 1024);
  const line = { phase, rssMiB: mib(m.rss), heapMiB: mib(m.heapUsed), externalMiB: mib(m.external) };
  console.error(JSON.stringify({ ...line, peakRssMiB: mib(process.resourceUsage().maxRSS * 1024) }));
}

async function ours(engine: "native" | "sqljs", records: string, out: string): Promise<Record<string, unknown>> {
  const started = performance.now();
  trace("start");
  const dbPath = `${out}.db`;
  const store: SqliteC1zStore =
    engine === "native" ? await openC1zWorkFile(dbPath) : await createC1z({ engine: "sqljs" });
  store.startSync("full");
  const counts = [0, 0, 0, 0];
  for await (const { kind, items } of batches(records)) {
    counts[kind - 1] += items.length;
    if (kind === 1) store.putResourceTypes(items as never);
    else if (kind === 2) store.putResources(items as never);
    else if (kind === 3) store.putEntitlements(items as never);
    else store.putGrants(items as never);
    if (counts[kind - 1] % 50_000 === 0) trace(`${counts[kind - 1]} of kind ${kind}`);
  }
  trace("written");
  store.endSync();
  trace("endSync");
  store.cleanup();
  trace("cleanup");
  await writeC1zFile(out, store);
  trace("c1z");
  store.close();
  if (engine === "native") await removeC1zWorkFile(dbPath);
  return {
    engine: engine === "native" ? `ours, file-backed native (${store.engine})` : "ours, sql.js in memory",
    resourceTypes: counts[0],
    resources: counts[1],
    entitlements: counts[2],
    grants: counts[3],
    writeSeconds: (performance.now() - started) / 1000,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    c1zBytes: statSync(out).size,
  };
}

async function main(): Promise<void> {
  const caseArg = process.argv.find((arg) => arg.startsWith("--case="));
  if (caseArg) {
    // As bin/baton-edge.js runs the CLI: the figures are the CLI's.
    tuneNodeHeap();
    const [engine, records, out] = caseArg.slice(7).split("|");
    console.log(JSON.stringify(await ours(engine as "native" | "sqljs", records, out)));
    return;
  }
  const work = mkdtempSync(path.join(tmpdir(), "bench-writer-"));
  try {
    const records = path.join(work, "org.records");
    writeRecords(records);
    const engines = (process.env.BENCH_ENGINES ?? "go,native,sqljs").split(",");
    const run = await childCommand(fileURLToPath(import.meta.url));
    print({ bench: "writer-vs-go", loader: run.loader });
    const results = new Map<string, Record<string, unknown>>();
    for (const engine of engines) {
      const out = path.join(work, `${engine}.c1z`);
      let child: ReturnType<typeof spawnSync>;
      if (engine === "go") {
        const build = spawnSync("bash", [path.join(here, "go/build.sh")], { encoding: "utf8" });
        if (build.status !== 0) {
          print({ bench: "writer-vs-go", engine, skipped: build.stderr.trim() || `build exit ${build.status}` });
          continue;
        }
        child = spawnSync(path.join(here, "go/bin/bench"), [records, out], { encoding: "utf8" });
      } else {
        child = spawnSync(run.command, [...run.args, `--case=${engine}|${records}|${out}`], {
          encoding: "utf8",
          maxBuffer: 1 << 26,
        });
      }
      if (process.env.BENCH_TRACE) process.stderr.write(String(child.stderr));
      if (child.status !== 0) {
        print({
          bench: "writer-vs-go",
          engine,
          failed: `exit ${child.status}`,
          stderr: String(child.stderr).slice(-2000),
        });
        continue;
      }
      results.set(engine, JSON.parse(String(child.stdout).trim().split("\n").at(-1) ?? "{}"));
    }
    const go = results.get("go");
    for (const [engine, r] of results) {
      const grantsPerSecond = Number(r.grants) / Number(r.writeSeconds);
      const line: Record<string, unknown> = {
        bench: "writer-vs-go",
        engine,
        name: r.engine,
        users: USERS,
        groups: GROUPS,
        grants: r.grants,
        writeSeconds: round(Number(r.writeSeconds)),
        grantsPerSecond: Math.round(grantsPerSecond),
        peakRssMiB: round(Number(r.peakRssBytes) / 1024 / 1024, 1),
        c1zBytes: r.c1zBytes,
      };
      if (go && engine !== "go") {
        line.grantsPerSecondVsGo = round(grantsPerSecond / (Number(go.grants) / Number(go.writeSeconds)));
        line.peakRssVsGo = round(Number(r.peakRssBytes) / Number(go.peakRssBytes));
        line.c1zBytesVsGo = round(Number(r.c1zBytes) / Number(go.c1zBytes), 3);
      }
      print(line);
    }
    if (process.env.BENCH_KEEP) print({ bench: "writer-vs-go", kept: work });
  } finally {
    if (!process.env.BENCH_KEEP) rmSync(work, { recursive: true, force: true });
  }
}

await main();
