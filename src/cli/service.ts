/** `baton-edge <plugin> --client-id … --client-secret …`: the CLI side of service mode (src/service). */

import type { Redactor } from "../log/index.ts";
import type { ResourceId } from "../model/types.ts";
import type { ResolvedValues } from "../plugins/config.ts";
import type { Logger, PluginStateStore } from "../plugins/contract.ts";
import { runServiceCommand, shutdownSignal } from "../service/command.ts";
import type { ServiceEntry } from "../service/tasks.ts";
import type { CliIO } from "./io.ts";

export interface CliServiceOptions {
  standard: ResolvedValues;
  pluginState?: PluginStateStore;
  log: Logger;
  redactor: Redactor;
  io: CliIO;
  targetResources: ResourceId[];
  workers: number;
}

export async function runServiceFromCli(entry: ServiceEntry, options: CliServiceOptions): Promise<number> {
  const values = options.standard.values;
  const shutdown = shutdownSignal();
  try {
    return await runServiceCommand({
      entry,
      clientId: values["client-id"] as string,
      clientSecret: values["client-secret"] as string | undefined,
      taskConcurrency: values["task-concurrency"] as number,
      oneShot: values["one-shot"] === true,
      provisioning: values.provisioning === true,
      defaults: {
        resourceTypeIds: values["sync-resource-types"] as string[] | undefined,
        targetResources: options.targetResources.length > 0 ? options.targetResources : undefined,
        skipFullSync: values["skip-full-sync"] === true,
        workers: options.workers,
      },
      env: options.io.env,
      log: options.log,
      redactor: options.redactor,
      pluginState: options.pluginState,
      stdout: (text) => options.io.stdout(text),
      stop: shutdown.signal,
    });
  } finally {
    shutdown.dispose();
  }
}
