/**
 * Everything a plugin author imports, in one module (`baton-edge/plugin`).
 */

/** valibot, for config schemas: plugins outside this repository need no dependency of their own. */
export * as v from "valibot";
export * from "../model/annotations.ts";
export * from "../model/builders.ts";
export * from "../model/ids.ts";
export * from "../model/types.ts";
/** Errors that steer the engine: NotFoundError is a warning for one object, TransientError is waited on and retried. */
export { NotFoundError, TransientError } from "../upstream/errors.ts";
export type * from "./contract.ts";
export { definePlugin, PluginDefinitionError } from "./define.ts";
