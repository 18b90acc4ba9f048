import type * as v from "valibot";
import type { AnyPlugin, PluginDefinition } from "./contract.ts";
import { ConfigSchemaError, configFields } from "./fields.ts";

/** Names the CLI uses for its own commands, so no plugin can take them. */
export const RESERVED_PLUGIN_NAMES: readonly string[] = [
  "access",
  "capabilities",
  "config",
  "entitlements",
  "grants",
  "help",
  "plugins",
  "principals",
  "resource-types",
  "resources",
  "serve",
  "stats",
  "syncs",
  "version",
];

const NAME = /^[a-z][a-z0-9-]{0,62}$/;

/** A plugin definition that cannot work; the message names the plugin and the field. */
export class PluginDefinitionError extends Error {
  constructor(
    readonly plugin: string,
    readonly field: string,
    problem: string,
  ) {
    super(`plugin "${plugin}": ${field} ${problem}`);
    this.name = "PluginDefinitionError";
  }
}

function isFunction(value: unknown): boolean {
  return typeof value === "function";
}

/** Checks the shape of a definition; throws `PluginDefinitionError` on the first problem. */
export function validatePluginDefinition(value: unknown): asserts value is AnyPlugin {
  if (typeof value !== "object" || value === null) {
    throw new PluginDefinitionError("(unknown)", "definition", "must be an object returned by definePlugin()");
  }
  const def = value as Record<string, unknown>;
  const name = typeof def.name === "string" && def.name !== "" ? def.name : "(unnamed)";
  const fail = (field: string, problem: string): never => {
    throw new PluginDefinitionError(name, field, problem);
  };
  if (typeof def.name !== "string" || !NAME.test(def.name)) {
    fail("name", "must be lower-case letters, digits and dashes, starting with a letter");
  }
  if (RESERVED_PLUGIN_NAMES.includes(name)) fail("name", `"${name}" is reserved for a baton-edge command`);
  if (typeof def.displayName !== "string" || def.displayName.trim() === "")
    fail("displayName", "must be a non-empty string");
  if (def.description !== undefined && typeof def.description !== "string") fail("description", "must be a string");
  if (!isFunction(def.connect)) fail("connect", "must be a function");
  let fieldNames: string[] = [];
  try {
    fieldNames = configFields(def.config as v.GenericSchema).map((field) => field.name);
  } catch (error) {
    if (error instanceof ConfigSchemaError) fail("config", error.message.replace(/^config /, ""));
    fail("config", "must be a valibot object schema, e.g. v.object({...})");
  }
  const relations = def.configRelations ?? [];
  if (!Array.isArray(relations)) fail("configRelations", "must be an array");
  (relations as { kind?: unknown; fields?: unknown }[]).forEach((relation, i) => {
    if (!["requiredTogether", "mutuallyExclusive", "atLeastOne"].includes(String(relation.kind))) {
      fail(`configRelations[${i}].kind`, "must be requiredTogether, mutuallyExclusive or atLeastOne");
    }
    if (!Array.isArray(relation.fields) || relation.fields.length < 2 - (relation.kind === "atLeastOne" ? 1 : 0)) {
      fail(`configRelations[${i}].fields`, "must list the config fields it relates");
    }
    for (const field of relation.fields as unknown[]) {
      if (!fieldNames.includes(String(field)))
        fail(`configRelations[${i}].fields`, `names unknown config field "${field}"`);
    }
  });
  if (!Array.isArray(def.resourceTypes) || def.resourceTypes.length === 0) {
    fail("resourceTypes", "must be a non-empty array");
  }
  const typeIds: string[] = [];
  (def.resourceTypes as Record<string, unknown>[]).forEach((rt, i) => {
    const where = `resourceTypes[${i}]`;
    if (typeof rt !== "object" || rt === null) fail(where, "must be an object");
    const resourceType = rt.resourceType as { id?: unknown; $typeName?: unknown } | undefined;
    if (resourceType?.$typeName !== "c1.connector.v2.ResourceType") {
      fail(`${where}.resourceType`, "must be built with resourceType({ ... })");
    }
    const id = resourceType?.id;
    if (typeof id !== "string" || id === "") fail(`${where}.resourceType.id`, "must be a non-empty string");
    if (typeIds.includes(String(id))) fail(`${where}.resourceType.id`, `"${id}" is declared twice`);
    typeIds.push(String(id));
    for (const method of ["list", "entitlements", "grants"]) {
      if (!isFunction(rt[method])) fail(`${where}.${method}`, "must be a function");
    }
    for (const method of ["staticEntitlements", "get", "grant", "revoke"]) {
      if (rt[method] !== undefined && !isFunction(rt[method])) fail(`${where}.${method}`, "must be a function");
    }
    if ((rt.grant === undefined) !== (rt.revoke === undefined)) {
      fail(`${where}`, "must implement both grant and revoke, or neither");
    }
  });
  for (const method of [
    "close",
    "validate",
    "createAccount",
    "rotateCredentials",
    "deleteResource",
    "syncedResourceTypes",
  ]) {
    if (def[method] !== undefined && !isFunction(def[method])) fail(method, "must be a function");
  }
  const knownTypes = (field: string, ids: unknown) => {
    if (ids === undefined) return;
    if (!Array.isArray(ids)) fail(field, "must be an array of resource type ids");
    for (const id of ids as unknown[]) {
      if (!typeIds.includes(String(id))) fail(field, `names unknown resource type "${id}"`);
    }
  };
  if (def.createAccount !== undefined) {
    const accountType = (def.accountResourceType as string | undefined) ?? "user";
    if (!typeIds.includes(accountType)) {
      fail("accountResourceType", `names resource type "${accountType}", which the plugin does not declare`);
    }
  }
  if (def.rotateCredentials !== undefined) knownTypes("rotateResourceTypes", def.rotateResourceTypes ?? ["user"]);
  knownTypes("deleteResourceTypes", def.deleteResourceTypes);
  if (def.actions !== undefined) {
    if (!Array.isArray(def.actions)) fail("actions", "must be an array");
    const names = new Set<string>();
    (def.actions as { name?: unknown; run?: unknown }[]).forEach((action, i) => {
      if (typeof action.name !== "string" || action.name === "")
        fail(`actions[${i}].name`, "must be a non-empty string");
      if (names.has(String(action.name))) fail(`actions[${i}].name`, `"${action.name}" is declared twice`);
      names.add(String(action.name));
      if (!isFunction(action.run)) fail(`actions[${i}].run`, "must be a function");
      const args = (action as { args?: { kind?: unknown } }).args;
      if (args !== undefined && (typeof args !== "object" || args === null || args.kind !== "schema")) {
        fail(`actions[${i}].args`, "must be a valibot schema");
      }
    });
  }
}

/** Declare a connector plugin; the default export of `plugins/<name>/index.ts`. Throws on an invalid definition. */
export function definePlugin<
  ConfigSchema extends v.GenericSchema<Record<string, unknown>, Record<string, unknown>>,
  Client,
>(definition: PluginDefinition<ConfigSchema, Client>): PluginDefinition<ConfigSchema, Client> {
  validatePluginDefinition(definition);
  return definition;
}
