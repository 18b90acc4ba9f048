/**
 * A benchmark's own script bundled to plain JavaScript (esbuild), so its measured child
 * processes run on bare Node, as the prebuilt CLI does, instead of paying for tsx's loader
 * thread (~35 MB of RSS) in every peak-memory figure. The bundle sits in `.tmp/`, one level
 * below the root like `bench/`, so `../test/…` URLs in the script resolve the same.
 */

import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/**
 * `BENCH_NODE_FLAGS` (e.g. "--optimize-for-size"): Node/V8 flags for the measured children, to see
 * what a host that runs the CLI with them would get.
 */
const nodeFlags = (process.env.BENCH_NODE_FLAGS ?? "").split(" ").filter(Boolean);

/** `BENCH_LOADER=tsx` keeps the TypeScript loader (the figures then include it). */
export async function childCommand(
  script: string,
): Promise<{ command: string; args: string[]; loader: string; nodeFlags: string[] }> {
  if (process.env.BENCH_LOADER === "tsx") {
    return { command: process.execPath, args: [...nodeFlags, ...process.execArgv, script], loader: "tsx", nodeFlags };
  }
  const outfile = path.join(root, ".tmp", `bench-${path.basename(script, ".ts")}.mjs`);
  await build({
    absWorkingDir: root,
    entryPoints: [script],
    outfile,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    conditions: ["node"],
    packages: "external",
    logLevel: "warning",
  });
  return { command: process.execPath, args: [...nodeFlags, "--expose-gc", outfile], loader: "bundled", nodeFlags };
}
