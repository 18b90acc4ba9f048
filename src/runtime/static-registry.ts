/**
 * Plugins from a build-time list of static imports (src/plugins/registry.generated.ts),
 * for Workers, which cannot list or import files at run time.
 */
import type { AnyPlugin, LoadedPlugin, PluginLoadFailure, PluginRegistry } from "../plugins/contract.ts";
import { validatePluginDefinition } from "../plugins/define.ts";

export type PluginModules = Record<string, () => Promise<{ default?: unknown }>>;

export async function loadStaticRegistry(modules: PluginModules): Promise<PluginRegistry> {
  const plugins: LoadedPlugin[] = [];
  const failures: PluginLoadFailure[] = [];
  for (const key of Object.keys(modules).sort()) {
    const path = `registry:${key}`;
    try {
      const module = await modules[key]();
      validatePluginDefinition(module.default);
      const plugin = module.default as AnyPlugin;
      if (plugins.some((p) => p.name === plugin.name)) {
        failures.push({ name: plugin.name, path, reason: `plugin name "${plugin.name}" is used twice` });
        continue;
      }
      plugins.push({ name: plugin.name, plugin, source: path });
    } catch (error) {
      failures.push({ name: key, path, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return { plugins, failures };
}
