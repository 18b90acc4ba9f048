import type { AnyPlugin, PluginContext } from "../plugins/contract.ts";

/** A connected plugin: what `connectPlugin` returns. */
export interface ProvisionTarget {
  plugin: AnyPlugin;
  ctx: PluginContext<unknown>;
}
