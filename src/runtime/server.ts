/**
 * What the Node, Bun and Deno entries share: plugins from directories, state
 * in a data directory, settings from the environment. (Workers: worker.ts.)
 */
import { resolve } from "node:path";
import type { Hono } from "hono";
import { createApp } from "../http/app.ts";
import type { AppEnv } from "../http/route.ts";
import { createFsStateStore } from "../http/state/fs.ts";
import type { PluginRegistry } from "../plugins/contract.ts";
import { builtinPluginsDir, loadPlugins } from "../plugins/loader.ts";
import { connectorsFromRegistry } from "../registry/connectors.ts";
import { authSettingsFromEnv, type EnvLike, type ListenAddress, listenAddressFromEnv } from "./settings.ts";

export interface PreparedServer {
  app: Hono<AppEnv>;
  address: ListenAddress;
  connectorNames: string[];
}

/** `registry`: plugins already loaded (the CLI's `serve`); otherwise `plugins/` plus `BATON_PLUGINS_DIR`. */
export async function prepareServer(
  env: EnvLike,
  options: { registry?: PluginRegistry } = {},
): Promise<PreparedServer> {
  const auth = authSettingsFromEnv(env);
  const address = listenAddressFromEnv(env, auth);
  const dirs = [builtinPluginsDir()];
  if (typeof env.BATON_PLUGINS_DIR === "string" && env.BATON_PLUGINS_DIR !== "") {
    dirs.push(resolve(env.BATON_PLUGINS_DIR));
  }
  const registry = options.registry ?? (await loadPlugins(dirs));
  const { connectors, failures } = connectorsFromRegistry(registry, env);
  for (const failure of failures) {
    console.warn(
      JSON.stringify({ level: "warn", msg: "plugin unavailable", plugin: failure.name, reason: failure.reason }),
    );
  }
  const dataDir =
    typeof env.BATON_DATA_DIR === "string" && env.BATON_DATA_DIR !== "" ? env.BATON_DATA_DIR : ".baton-edge";
  // Running syncs' databases (file engines): BATON_WORK_DIR, else inside the data directory.
  const workDir = typeof env.BATON_WORK_DIR === "string" && env.BATON_WORK_DIR !== "" ? env.BATON_WORK_DIR : undefined;
  const state = await createFsStateStore(resolve(dataDir), { workDir: workDir && resolve(workDir) });
  const checkpointSaveIntervalMs = checkpointSaveIntervalFromEnv(env);
  const app = createApp({ connectors, loadFailures: failures, auth, state, checkpointSaveIntervalMs });
  if (address.warning) console.warn(JSON.stringify({ level: "warn", msg: address.warning }));
  return { app, address, connectorNames: connectors.map((c) => c.name) };
}

/** `BATON_CHECKPOINT_SAVE_INTERVAL_MS`: how often a running sync's c1z is saved for resuming after a restart. */
export function checkpointSaveIntervalFromEnv(env: EnvLike): number | undefined {
  const raw = env.BATON_CHECKPOINT_SAVE_INTERVAL_MS;
  if (typeof raw !== "string" || raw === "") return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(
      `BATON_CHECKPOINT_SAVE_INTERVAL_MS must be a whole number of milliseconds, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

export function announce(runtime: string, server: PreparedServer, port: number): void {
  console.log(
    JSON.stringify({
      level: "info",
      msg: "listening",
      runtime,
      url: `http://${server.address.hostname.includes(":") ? `[${server.address.hostname}]` : server.address.hostname}:${port}`,
      connectors: server.connectorNames,
    }),
  );
}
