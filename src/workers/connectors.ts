/**
 * What a step needs to know about its connector, read from the Worker's env at
 * every step (never stored, so secrets stay in the env): the plugin with its
 * resolved config, and for cron syncs the destination template.
 */
import { type ConnectorJob, jobConfig, parseConnectorJobs } from "../jobs/connectors.ts";
import type { SyncEntry } from "../jobs/types.ts";
import { resolveConfig } from "../plugins/config.ts";
import type { PluginRegistry } from "../plugins/contract.ts";
import { connectorsFromRegistry } from "../registry/connectors.ts";
import { staticRegistry } from "../registry/static-registry.ts";
import type { SyncTrigger } from "./job.ts";

export interface StepConnector {
  entry: SyncEntry;
  /** Cron syncs: the c1z location template from `BATON_CONNECTORS`. */
  destination?: string;
}

let registry: Promise<PluginRegistry> | undefined;

export function plugins(): Promise<PluginRegistry> {
  registry ??= staticRegistry();
  return registry;
}

export function cronJob(env: Record<string, unknown>, connector: string): ConnectorJob {
  const job = parseConnectorJobs(env).find((j) => j.name === connector);
  if (!job) throw new Error(`connector ${connector} is no longer listed in BATON_CONNECTORS`);
  return job;
}

/** HTTP syncs use the API's connector (the plugin configured from `BATON_*`); cron syncs their `BATON_CONNECTORS` job. */
export async function stepConnector(
  env: Record<string, unknown>,
  trigger: SyncTrigger,
  connector: string,
): Promise<StepConnector> {
  const loaded = await plugins();
  if (trigger === "http") {
    const { connectors, failures } = connectorsFromRegistry(loaded, env);
    const entry = connectors.find((c) => c.name === connector);
    if (!entry) {
      const failure = failures.find((f) => f.name === connector);
      throw new Error(`connector ${connector} is not available${failure ? `: ${failure.reason}` : ""}`);
    }
    return { entry: { name: entry.name, plugin: entry.plugin, config: entry.config } };
  }
  const job = cronJob(env, connector);
  const plugin = loaded.plugins.find((p) => p.name === job.plugin)?.plugin;
  if (!plugin) throw new Error(`no plugin named "${job.plugin}" in this build`);
  const { config } = resolveConfig(plugin, { file: jobConfig(job, env) });
  return { entry: { name: job.name, plugin, config }, destination: job.destination };
}
