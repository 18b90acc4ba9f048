import type * as v from "valibot";
import type { PluginDefinition } from "./contract.ts";

/** Declare a connector plugin; the default export of `plugins/<name>/index.ts`. */
export function definePlugin<
  ConfigSchema extends v.GenericSchema<Record<string, unknown>, Record<string, unknown>>,
  Client,
>(definition: PluginDefinition<ConfigSchema, Client>): PluginDefinition<ConfigSchema, Client> {
  return definition;
}
