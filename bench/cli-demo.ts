/**
 * The CLI as a user runs it: `node bin/baton-edge.js demo` at a few sizes, then one
 * grant round trip, each a real process. Prints JSON lines (wall time, c1z size,
 * peak RSS when /usr/bin/time exists); never passes or fails on time.
 *
 *   npx tsx bench/cli-demo.ts
 *   BENCH_DEMO_SIZES=1000x10000,20000x200000 BENCH_DEMO_GROUPS=200 npx tsx bench/cli-demo.ts
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = path.join(root, "bin/baton-edge.js");
const sizes = (process.env.BENCH_DEMO_SIZES ?? "1000x10000,10000x100000").split(",").map((size) => {
  const [users, grants] = size.split("x").map(Number);
  return { users, grants };
});
const groups = Number(process.env.BENCH_DEMO_GROUPS ?? 100);
const pageSize = Number(process.env.BENCH_DEMO_PAGE ?? 500);
const timeBin = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;
const work = mkdtempSync(path.join(tmpdir(), "bench-cli-demo-"));
const print = (line: Record<string, unknown>) => console.log(JSON.stringify(line));

function run(args: string[]): { ms: number; peakRssMb?: number; stderr: string; status: number | null } {
  const command = timeBin ? timeBin : process.execPath;
  const argv = timeBin ? ["-f", "maxrss_kb=%M", process.execPath, bin, ...args] : [bin, ...args];
  const started = performance.now();
  const result = spawnSync(command, argv, {
    cwd: work,
    encoding: "utf8",
    env: { ...process.env, BATON_LOG_LEVEL: "error" },
  });
  const ms = Math.round(performance.now() - started);
  const rss = /maxrss_kb=(\d+)/.exec(result.stderr)?.[1];
  return {
    ms,
    peakRssMb: rss ? Math.round(Number(rss) / 1024) : undefined,
    stderr: result.stderr,
    status: result.status,
  };
}

try {
  const startup = run(["plugins", "--output", "json"]);
  print({ bench: "cli-demo", step: "startup (plugins)", ms: startup.ms, peakRssMb: startup.peakRssMb });
  for (const size of sizes) {
    const file = `demo-${size.users}-${size.grants}.c1z`;
    const args = [
      "demo",
      "-f",
      file,
      "--users",
      String(size.users),
      "--groups",
      String(groups),
      "--grants",
      String(size.grants),
      "--page-size",
      String(pageSize),
    ];
    const sync = run(args);
    if (sync.status !== 0) throw new Error(`sync failed: ${sync.stderr.slice(0, 500)}`);
    print({
      bench: "cli-demo",
      step: "sync",
      users: size.users,
      groups,
      directGrants: size.grants,
      ms: sync.ms,
      c1zBytes: statSync(path.join(work, file)).size,
      peakRssMb: sync.peakRssMb,
    });
    const grant = run([
      "demo",
      "-f",
      file,
      "--users",
      String(size.users),
      "--groups",
      String(groups),
      "--grants",
      String(size.grants),
      "--grant-entitlement",
      "role:auditor:assigned",
      "--grant-principal",
      `u-${"1".padStart(Math.max(4, String(size.users).length), "0")}`,
      "--grant-principal-type",
      "user",
    ]);
    print({
      bench: "cli-demo",
      step: "grant (reads the c1z, changes demo state)",
      users: size.users,
      ms: grant.ms,
      status: grant.status,
    });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
