/**
 * Whether the prebuilt CLI (scripts/build-node.mjs) may stand in for the sources: it exists
 * and no file it was built from changed since. Checking ~300 mtimes costs a few milliseconds.
 */
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

export const OUT_DIR = "dist/node";
export const MANIFEST = "manifest.json";

/**
 * @param {string} root the package root
 * @param {string} [outDir] the build, relative to the root
 * @returns {{ cli: string, sdk: string, sdkSource: string, plugins: Record<string, string> } | { stale: string }}
 *   file URLs of the prebuilt CLI, SDK (and the SDK source it replaces) and plugins, or why the
 *   sources must be used
 */
export function prebuiltBuild(root, outDir = OUT_DIR) {
  const dir = path.join(root, outDir);
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(path.join(dir, MANIFEST), "utf8"));
  } catch {
    return { stale: `no ${outDir}/${MANIFEST}` };
  }
  for (const input of manifest.inputs) {
    let modified;
    try {
      modified = statSync(path.join(root, input)).mtimeMs;
    } catch {
      return { stale: `${input} is gone` };
    }
    if (modified > manifest.builtAt) return { stale: `${input} changed after the build` };
  }
  const url = (file) => pathToFileURL(path.join(dir, file)).href;
  return {
    cli: url(manifest.cli),
    sdk: url(manifest.sdk),
    sdkSource: pathToFileURL(path.join(root, manifest.sdkSource)).href,
    plugins: Object.fromEntries(Object.entries(manifest.plugins).map(([name, file]) => [name, url(file)])),
  };
}
