#!/usr/bin/env node
// Node runs the prebuilt CLI (dist/node, written by npm install) while it is as new as the
// sources; otherwise, or with BATON_EDGE_FROM_SOURCE=1, the TypeScript sources through tsx.
// Bun and Deno run src/cli/main.ts directly.
import { register } from "node:module";
import { fileURLToPath } from "node:url";
import { tuneNodeHeap } from "./node-heap.mjs";
import { prebuiltBuild } from "./prebuilt.mjs";

try {
  tuneNodeHeap();
} catch (error) {
  process.stderr.write(`baton-edge: ${error.message}\n`);
  process.exit(2);
}

const root = fileURLToPath(new URL("..", import.meta.url));
const build = process.env.BATON_EDGE_FROM_SOURCE
  ? { stale: "BATON_EDGE_FROM_SOURCE is set" }
  : prebuiltBuild(root, process.env.BATON_EDGE_PREBUILT_DIR || undefined);
const registerTsx = async () => (await import("tsx/esm/api")).register();

if ("cli" in build) {
  if (process.env.BATON_EDGE_DEBUG_LOADER) process.stderr.write(`baton-edge: prebuilt ${build.cli}\n`);
  let typescript;
  // Read by src/plugins/prebuilt.ts.
  globalThis[Symbol.for("baton-edge.prebuilt")] = {
    plugins: build.plugins,
    // Only a TypeScript plugin that was not prebuilt pays for tsx's loader.
    loadTypeScript: () => {
      typescript ??= registerTsx().then(() =>
        register("./prebuilt-hooks.mjs", import.meta.url, {
          data: { sdkSource: build.sdkSource, sdkPrebuilt: build.sdk },
        }),
      );
      return typescript;
    },
  };
  await import(build.cli);
} else {
  if (process.env.BATON_EDGE_DEBUG_LOADER) process.stderr.write(`baton-edge: sources through tsx (${build.stale})\n`);
  await registerTsx();
  await import("../src/cli/main.ts");
}
