/**
 * Everything a plugin author imports, in one module (`baton-edge/plugin`).
 */
export * from "../model/annotations.ts";
export * from "../model/builders.ts";
export * from "../model/ids.ts";
export * from "../model/types.ts";
export type * from "./contract.ts";
export { definePlugin, PluginDefinitionError } from "./define.ts";
