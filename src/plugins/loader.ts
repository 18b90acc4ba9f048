/**
 * Discovers plugins at start: every `<dir>/<name>/index.{ts,js,mjs}` whose default
 * export is a plugin definition. No build step: Node loads TypeScript through tsx
 * (bin/baton-edge.js registers it), Bun and Deno natively. When Node runs the prebuilt CLI,
 * the built-in plugins come prebuilt too, and tsx is registered only for the first other
 * TypeScript plugin. A broken plugin is reported with its path and reason; it never stops
 * the others.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { LoadedPlugin, PluginLoadFailure, PluginRegistry } from "./contract.ts";
import { validatePluginDefinition } from "./define.ts";
import { prebuiltModules } from "./prebuilt.ts";

export const ENTRY_FILES = ["index.ts", "index.mts", "index.mjs", "index.js"];

/** The plugins shipped with baton-edge (the repository's `plugins/`). */
export function builtinPluginsDir(): string {
  return resolve(fileURLToPath(new URL("../../plugins", import.meta.url)));
}

function firstLines(text: string, count = 3): string {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(0, count)
    .join(" ");
}

function reasonOf(error: unknown): string {
  if (error instanceof Error) return firstLines(`${error.name === "Error" ? "" : `${error.name}: `}${error.message}`);
  return String(error);
}

/** The plugin's prebuilt module when it is a built-in one and the CLI runs prebuilt, else its own file. */
async function importPlugin(name: string, entry: string): Promise<Record<string, unknown>> {
  const prebuilt = prebuiltModules();
  const builtin = prebuilt?.plugins[name];
  if (builtin && entry === join(builtinPluginsDir(), name, "index.ts")) {
    return (await import(builtin)) as Record<string, unknown>;
  }
  if (prebuilt && /\.[mc]?ts$/.test(entry)) await prebuilt.loadTypeScript();
  return (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
}

/** Imports one plugin module and checks its default export. */
export async function loadPluginModule(
  name: string,
  entry: string,
): Promise<{ loaded: LoadedPlugin } | { failure: PluginLoadFailure }> {
  let module: Record<string, unknown>;
  try {
    module = await importPlugin(name, entry);
  } catch (error) {
    const reason = reasonOf(error);
    // Outside an ESM package, tsx compiles index.ts as CommonJS and the import fails obscurely.
    const hint = /require\(\) ES Module|Cannot use import statement outside a module/.test(reason)
      ? ' (put a package.json with "type": "module" above the plugin, or name it index.mts)'
      : "";
    return { failure: { name, path: entry, reason: `failed to import: ${reason}${hint}` } };
  }
  if (module.default === undefined) {
    return { failure: { name, path: entry, reason: "has no default export (export default definePlugin({...}))" } };
  }
  try {
    validatePluginDefinition(module.default);
  } catch (error) {
    return { failure: { name, path: entry, reason: `invalid definition: ${reasonOf(error)}` } };
  }
  return { loaded: { name: module.default.name, plugin: module.default, source: entry } };
}

function pluginDirectories(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((entry) => !entry.startsWith(".") && !entry.startsWith("_"))
    .filter((entry) => {
      try {
        return statSync(join(dir, entry)).isDirectory();
      } catch {
        return false;
      }
    })
    .sort();
}

/**
 * Loads every plugin under the given directories. A later directory's plugin
 * replaces an earlier one with the same name (a `--plugins-dir` can override a built-in).
 */
export async function loadPlugins(dirs: string | readonly string[]): Promise<PluginRegistry> {
  const byName = new Map<string, LoadedPlugin>();
  const failures: PluginLoadFailure[] = [];
  for (const dir of typeof dirs === "string" ? [dirs] : dirs) {
    const seenHere = new Map<string, string>();
    for (const entryDir of pluginDirectories(dir)) {
      const path = join(dir, entryDir);
      const entry = ENTRY_FILES.map((file) => join(path, file)).find((file) => existsSync(file));
      if (!entry) {
        failures.push({ name: entryDir, path, reason: `no ${ENTRY_FILES.join(", ")} found` });
        continue;
      }
      const result = await loadPluginModule(entryDir, entry);
      if ("failure" in result) {
        failures.push(result.failure);
        continue;
      }
      const { loaded } = result;
      const clash = seenHere.get(loaded.name);
      if (clash) {
        failures.push({
          name: loaded.name,
          path: entry,
          reason: `plugin name "${loaded.name}" is already used by ${clash}`,
        });
        continue;
      }
      seenHere.set(loaded.name, entry);
      byName.set(loaded.name, loaded);
    }
  }
  const plugins = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  failures.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.path < b.path ? -1 : 1));
  return { plugins, failures };
}
