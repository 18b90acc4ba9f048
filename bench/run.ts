/**
 * Runs the benchmarks in bench/ one after another, each in its own process with the
 * current runtime (`npm run bench`, or `npm run bench -- c1z-write` for one of them).
 * Every benchmark prints JSON lines; none passes or fails on time.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2).filter((arg) => !arg.startsWith("--"));
const passThrough = process.argv.slice(2).filter((arg) => arg.startsWith("--"));
const benches = readdirSync(here)
  .filter((name) => name.endsWith(".ts") && name !== "run.ts" && !name.endsWith(".test.ts"))
  .map((name) => name.slice(0, -3))
  .filter((name) => wanted.length === 0 || wanted.includes(name))
  .sort();

let failed = 0;
for (const name of benches) {
  const result = spawnSync(process.execPath, [...process.execArgv, path.join(here, `${name}.ts`), ...passThrough], {
    stdio: "inherit",
  });
  if (result.status !== 0) {
    failed++;
    console.log(JSON.stringify({ bench: name, failed: `exit ${result.status}` }));
  }
}
process.exitCode = failed > 0 ? 1 : 0;
