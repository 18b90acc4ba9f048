/**
 * The connectors the HTTP API serves, from a plugin registry and the
 * environment: the same on every runtime, and in the Workers' Durable Objects.
 */
import type { ConnectorEntry } from "../http/types.ts";
import { resolveConfig } from "../plugins/config.ts";
import type { PluginLoadFailure, PluginRegistry } from "../plugins/contract.ts";

function str(env: Record<string, unknown>, name: string): string | undefined {
  const value = env[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/**
 * One API connector per loaded plugin whose config resolves from the
 * environment (`BATON_<FLAG>`); a plugin whose required config is missing is
 * reported as unavailable, never fatal (the demo needs none).
 */
export function connectorsFromRegistry(
  registry: PluginRegistry,
  env: Record<string, unknown>,
): { connectors: ConnectorEntry[]; failures: PluginLoadFailure[] } {
  // Read by key, never enumerated: Deno grants env access per variable name.
  const stringEnv = new Proxy({} as Record<string, string | undefined>, {
    get: (_, key) => (typeof key === "string" ? str(env, key) : undefined),
  });
  const provisioning = /^(1|true|yes)$/i.test(str(env, "BATON_PROVISIONING") ?? "");
  const connectors: ConnectorEntry[] = [];
  const failures: PluginLoadFailure[] = [...registry.failures];
  for (const loaded of registry.plugins) {
    try {
      const { config } = resolveConfig(loaded.plugin, { env: stringEnv });
      connectors.push({ name: loaded.name, plugin: loaded.plugin, config, provisioning });
    } catch (error) {
      failures.push({ name: loaded.name, path: loaded.source, reason: `not configured: ${(error as Error).message}` });
    }
  }
  return { connectors, failures };
}
