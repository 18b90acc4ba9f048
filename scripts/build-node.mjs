#!/usr/bin/env node
/**
 * Prebuilds the Node CLI and the built-in plugins into dist/node (npm install runs this).
 * Without it, Node loads every module through tsx, whose loader thread costs ~35 MB of
 * memory and over a second per start. bin/baton-edge.js uses the build only while it is
 * fresh (scripts/prebuilt.mjs): edit any source file it was built from and the CLI goes
 * back to the sources through tsx until the next build.
 *
 * One bundle with shared chunks: the plugins import the SDK from the same chunks as the CLI,
 * so there is one copy of every module (errors, schemas) at run time.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { MANIFEST, OUT_DIR } from "../bin/prebuilt.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
// `--out <dir>` (relative to the root, two levels deep like dist/node): a build for tests.
const outArg = process.argv.indexOf("--out");
const outDir = outArg > 0 ? process.argv[outArg + 1] : OUT_DIR;
const out = path.join(root, outDir);

let esbuild;
try {
  esbuild = await import("esbuild");
} catch {
  console.warn("build-node: esbuild is not installed; the CLI runs from the sources through tsx");
  process.exit(0);
}

const pluginsDir = path.join(root, "plugins");
const plugins = readdirSync(pluginsDir).filter(
  (name) => !name.startsWith(".") && existsSync(path.join(pluginsDir, name, "index.ts")),
);
const sdk = path.join(root, "src/plugins/sdk.ts");
// The SDK is an entry too: TypeScript plugins outside the build get it from there (bin/prebuilt-hooks.mjs).
const entryPoints = { cli: path.join(root, "src/cli/main.ts"), sdk };
for (const name of plugins) entryPoints[`plugins/${name}`] = path.join(pluginsDir, name, "index.ts");

rmSync(out, { recursive: true, force: true });
const builtAt = Date.now();
const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints,
  outdir: out,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  conditions: ["node"],
  packages: "external",
  // Chunks sit beside cli.mjs: modules that find files relative to themselves (the
  // plugins directory) resolve from there. sql.js's generated paged glue is bundled in.
  chunkNames: "[name]-[hash]",
  outExtension: { ".js": ".mjs" },
  alias: { "baton-edge/plugin": sdk, "baton-edge": sdk },
  metafile: true,
  logLevel: "warning",
});

const inputs = Object.keys(result.metafile.inputs).filter((file) => !file.includes("node_modules/"));
mkdirSync(out, { recursive: true });
writeFileSync(
  path.join(out, MANIFEST),
  `${JSON.stringify(
    {
      builtAt,
      cli: "cli.mjs",
      sdk: "sdk.mjs",
      sdkSource: "src/plugins/sdk.ts",
      plugins: Object.fromEntries(plugins.map((name) => [name, `plugins/${name}.mjs`])),
      inputs: [...inputs, "package.json"].sort(),
    },
    null,
    2,
  )}\n`,
);
const bytes = readdirSync(out).reduce((sum, file) => sum + statSync(path.join(out, file)).size, 0);
console.log(
  `build-node: ${outDir} (${plugins.length} plugins, ${inputs.length} sources, ${Math.round(bytes / 1024)} KiB)`,
);
