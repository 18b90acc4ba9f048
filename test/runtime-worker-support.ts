/**
 * Running the Worker in tests: build it once exactly as `wrangler deploy` would
 * (`--dry-run --outdir`), then serve that bundle with `wrangler dev --no-bundle`
 * from a scratch directory, so edits to the source tree never reload it mid-test.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface BundleSize {
  totalKiB: number;
  gzipKiB: number;
}

/** Test files run in parallel; two wrangler builds at once would both rewrite the generated registry. */
async function withBuildLock<T>(root: string, fn: () => T): Promise<T> {
  const lock = join(root, ".tmp/worker-build.lock");
  mkdirSync(join(root, ".tmp"), { recursive: true });
  for (let i = 0; ; i++) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 180_000 || i > 1800) rmSync(lock, { recursive: true, force: true });
      await new Promise((ok) => setTimeout(ok, 100));
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export async function buildWorker(root: string, scratch: string): Promise<BundleSize> {
  const out = await withBuildLock(root, () =>
    execFileSync(
      join(root, "node_modules/.bin/wrangler"),
      ["deploy", "--dry-run", "--outdir", join(scratch, "bundle")],
      { cwd: root, env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1" }, encoding: "utf8", stdio: "pipe" },
    ),
  );
  const match = out.match(/Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/);
  if (!match) throw new Error(`wrangler deploy --dry-run printed no size:\n${out}`);
  const size = { totalKiB: Number(match[1]), gzipKiB: Number(match[2]) };
  console.log(JSON.stringify({ measure: "worker-bundle", ...size }));
  return size;
}

const tomlString = (value: string) => JSON.stringify(value);

export function writeWorkerConfig(
  scratch: string,
  options: { vars?: Record<string, string>; name?: string; durableObjects?: boolean } = {},
): string {
  // The same binding and migration as wrangler.toml: syncs run step by step in the connector objects.
  const objects = options.durableObjects
    ? `
[[durable_objects.bindings]]
name = "SYNCS"
class_name = "ConnectorSyncObject"

[[migrations]]
tag = "v1"
new_sqlite_classes = ["ConnectorSyncObject"]
`
    : "";
  const vars = Object.entries(options.vars ?? {})
    .map(([k, v]) => `${k} = ${tomlString(v)}`)
    .join("\n");
  const path = join(scratch, `${options.name ?? "wrangler"}.test.toml`);
  writeFileSync(
    path,
    `name = "baton-edge-test"
main = "bundle/worker.js"
no_bundle = true
compatibility_date = "2026-04-20"
compatibility_flags = ["nodejs_compat"]
rules = [{ type = "CompiledWasm", globs = ["**/*.wasm"], fallthrough = true }]

[triggers]
crons = ["0 * * * *"]

[[r2_buckets]]
binding = "C1Z_BUCKET"
bucket_name = "baton-c1z"
${objects}
[vars]
${vars}
`,
  );
  return path;
}

/** Peak resident memory (VmHWM, KiB) of the workerd processes wrangler started (same process group). */
/** The /proc entries of the workerd processes in wrangler's process group: their stat fields and status. */
function workerdProcesses(wranglerPid: number): { pid: number; stat: string[]; status: string }[] {
  const found: { pid: number; stat: string[]; status: string }[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) !== wranglerPid) continue;
      const status = readFileSync(`/proc/${entry}/status`, "utf8");
      if (/^Name:\s+workerd/m.test(status)) found.push({ pid: Number(entry), stat: fields, status });
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

export function workerdPeakRss(wranglerPid: number): number {
  let total = 0;
  for (const { status } of workerdProcesses(wranglerPid)) {
    total += Number(status.match(/^VmHWM:\s+(\d+) kB/m)?.[1] ?? 0);
  }
  return total;
}

export function workerdPids(wranglerPid: number): number[] {
  return workerdProcesses(wranglerPid).map(({ pid }) => pid);
}

/** CPU time (clock ticks, user + system) the workerd processes of wrangler's group have used. */
export function workerdCpuTicks(wranglerPid: number): number {
  let total = 0;
  // After the command name: state is field 3 of stat(5), utime 14, stime 15.
  for (const { stat } of workerdProcesses(wranglerPid)) total += Number(stat[11]) + Number(stat[12]);
  return total;
}

/**
 * Starts a sync of `connector` through a running Worker's HTTP API, waits until it ends
 * (failing with its error), and returns the c1z the Worker serves for it.
 */
export async function syncThroughWorker(
  base: string,
  connector: string,
  headers: Record<string, string>,
  polls = 1200,
): Promise<Uint8Array> {
  const started = await fetch(`${base}/v1/connectors/${connector}/syncs`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: "{}",
  });
  if (started.status !== 202) throw new Error(`starting the sync answered ${started.status}: ${await started.text()}`);
  const { id } = (await started.json()) as { id: string };
  let record: { state: string; error?: unknown } = { state: "" };
  for (let i = 0; i < polls && record.state !== "succeeded" && record.state !== "failed"; i++) {
    record = (await (
      await fetch(`${base}/v1/connectors/${connector}/syncs/${id}`, { headers })
    ).json()) as typeof record;
    if (record.state !== "succeeded" && record.state !== "failed") await new Promise((ok) => setTimeout(ok, 100));
  }
  if (record.state !== "succeeded")
    throw new Error(`the sync ended ${record.state || "unfinished"}: ${JSON.stringify(record.error)}`);
  const download = await fetch(`${base}/v1/connectors/${connector}/syncs/${id}/c1z`, { headers });
  if (download.status !== 200) throw new Error(`downloading the c1z answered ${download.status}`);
  return new Uint8Array(await download.arrayBuffer());
}

/** The JSON log lines a Worker printed (`{"level":…}`), from wrangler's output. */
export function workerLogLines<Line extends { level: string; msg: string }>(output: string): Line[] {
  return (
    output
      .split("\n")
      // wrangler may wrap a line in colour codes or an "[ERROR]" prefix: keep the outermost {...}.
      .map((line) => line.slice(line.indexOf("{"), line.lastIndexOf("}") + 1))
      .filter((line) => line.startsWith('{"level"'))
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as Line];
        } catch {
          return [];
        }
      })
  );
}
