/** The shapes service-mode modules share. */

import type { Redactor } from "../log/index.ts";
import type { ResourceId } from "../model/types.ts";
import type { AnyPlugin, Logger, PluginStateStore } from "../plugins/contract.ts";
import type { Clock } from "../upstream/clock.ts";
import type { BatonClient } from "./client.ts";

/** A connector to run tasks for: the plugin with its resolved config. */
export interface ServiceEntry {
  name: string;
  plugin: AnyPlugin;
  config: Record<string, unknown>;
}

/** The local sync flags; a task's own fields take precedence, as in Go. */
export interface LocalSyncDefaults {
  resourceTypeIds?: string[];
  targetResources?: ResourceId[];
  skipFullSync?: boolean;
  workers?: number;
}

export interface TaskContext {
  entry: ServiceEntry;
  client: BatonClient;
  log: Logger;
  redactor: Redactor;
  clock: Clock;
  provisioning: boolean;
  defaults: LocalSyncDefaults;
  pluginState?: PluginStateStore;
  /** Where sync tasks keep their work files (a native file engine); unset: syncs run in memory. */
  workDir?: string;
}
