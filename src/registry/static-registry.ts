/**
 * A registry from statically imported plugins (src/registry/registry.generated.ts),
 * for runtimes without module discovery. Same checks and failure reports as the loader.
 */
import type { LoadedPlugin, PluginLoadFailure, PluginRegistry } from "../plugins/contract.ts";
import { validatePluginDefinition } from "../plugins/define.ts";
import type { GeneratedPluginEntry } from "./types.ts";

export type { GeneratedPluginEntry };

export function registryFromEntries(entries: readonly GeneratedPluginEntry[]): PluginRegistry {
  const plugins: LoadedPlugin[] = [];
  const failures: PluginLoadFailure[] = [];
  for (const entry of entries) {
    try {
      validatePluginDefinition(entry.plugin);
      plugins.push({ name: entry.plugin.name, plugin: entry.plugin, source: entry.source });
    } catch (error) {
      failures.push({
        name: entry.name,
        path: entry.source,
        reason: `invalid definition: ${(error as Error).message}`,
      });
    }
  }
  plugins.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { plugins, failures };
}

/** The generated registry as a PluginRegistry; imported lazily so Node/Bun/Deno never need the file. */
export async function staticRegistry(): Promise<PluginRegistry> {
  const { generatedPlugins } = await import("./registry.generated.ts");
  return registryFromEntries(generatedPlugins);
}
