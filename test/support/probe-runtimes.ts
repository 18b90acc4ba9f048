/** How the probes (test/*-probe.ts) run on the real Bun and Deno binaries from npm. */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");
const bun = join(root, "node_modules/.bin/bun");
const deno = join(root, "node_modules/deno/deno");

export interface ProbeRuntime {
  name: "bun" | "deno";
  available: boolean;
  command: string;
  args: string[];
}

/** `script` (relative to the repository) on Bun, and on Deno under `denoPermissions` and no more. */
export function probeRuntimes(script: string, denoPermissions: string[]): ProbeRuntime[] {
  const runtimes: ProbeRuntime[] = [
    { name: "bun", available: existsSync(bun), command: bun, args: ["run", script] },
    {
      name: "deno",
      available: existsSync(deno),
      command: deno,
      args: ["run", "--no-prompt", ...denoPermissions, script],
    },
  ];
  for (const r of runtimes) if (!r.available) console.warn(`${script} on ${r.name} skipped: binary not installed`);
  return runtimes;
}
