/**
 * Reads a plugin's valibot config schema as a list of Baton-style fields:
 * name, flag, env var, type, default, secret. The schema stays the single
 * source of truth; this only inspects it.
 */
import type * as v from "valibot";
import type { ConfigFieldMetadata } from "./contract.ts";

export type FieldKind = "string" | "integer" | "number" | "boolean" | "string-list" | "select";

export interface ConfigField {
  /** The key in the plugin's config object. */
  name: string;
  /** Without dashes, e.g. `api-token`. */
  flag: string;
  /** e.g. `BATON_API_TOKEN`. */
  env: string;
  kind: FieldKind;
  /** For `select` fields (a valibot picklist). */
  options?: string[];
  required: boolean;
  default?: unknown;
  secret: boolean;
  description: string;
  displayName?: string;
}

type SchemaNode = v.GenericSchema & {
  type: string;
  pipe?: readonly { kind: string; type: string; metadata?: Record<string, unknown>; description?: string }[];
  wrapped?: SchemaNode;
  default?: unknown;
  entries?: Record<string, SchemaNode>;
  item?: SchemaNode;
  options?: readonly unknown[];
};

const WRAPPERS = new Set(["optional", "nullish", "nullable", "exact_optional", "undefinedable"]);

/** `apiToken` → `api-token`; `api_token` → `api-token`. */
export function kebabCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .replaceAll("_", "-")
    .toLowerCase();
}

/** Viper's rule: `BATON_` + the flag upper-cased with `-` as `_`. */
export function envNameForFlag(flag: string): string {
  return `BATON_${flag.toUpperCase().replaceAll("-", "_")}`;
}

function pipeMetadata(node: SchemaNode): { metadata: ConfigFieldMetadata; description?: string; integer: boolean } {
  let metadata: ConfigFieldMetadata = {};
  let description: string | undefined;
  let integer = false;
  for (const action of node.pipe ?? []) {
    if (action.kind === "metadata" && action.type === "metadata" && action.metadata) {
      metadata = { ...metadata, ...(action.metadata as ConfigFieldMetadata) };
    } else if (action.type === "description" && typeof action.description === "string") {
      description = action.description;
    } else if (action.type === "integer") {
      integer = true;
    }
  }
  return { metadata, description, integer };
}

/** Thrown when a config schema cannot be read as fields (not an object, unsupported field type). */
export class ConfigSchemaError extends Error {}

function fieldKind(node: SchemaNode, integer: boolean, name: string): { kind: FieldKind; options?: string[] } {
  switch (node.type) {
    case "string":
      return { kind: "string" };
    case "number":
      return { kind: integer ? "integer" : "number" };
    case "boolean":
      return { kind: "boolean" };
    case "picklist":
      return { kind: "select", options: (node.options ?? []).map(String) };
    case "array":
      if (node.item && unwrapBase(node.item).type === "string") return { kind: "string-list" };
      break;
  }
  throw new ConfigSchemaError(`config field "${name}" has unsupported type "${node.type}"`);
}

function unwrapBase(node: SchemaNode): SchemaNode {
  let current = node;
  while (WRAPPERS.has(current.type) && current.wrapped) current = current.wrapped;
  return current;
}

/** The config schema's fields in declaration order. */
export function configFields(schema: v.GenericSchema): ConfigField[] {
  const root = schema as SchemaNode;
  if (root.type !== "object" && root.type !== "strict_object" && root.type !== "loose_object") {
    throw new ConfigSchemaError(`config must be a valibot object schema, got "${root.type}"`);
  }
  return Object.entries(root.entries ?? {}).map(([name, entry]) => {
    let node = entry;
    let required = true;
    let defaultValue: unknown;
    let metadata: ConfigFieldMetadata = {};
    let description: string | undefined;
    let integer = false;
    // Metadata may sit on the wrapper's pipe or on the wrapped schema's pipe.
    for (;;) {
      const found = pipeMetadata(node);
      metadata = { ...found.metadata, ...metadata };
      description ??= found.description;
      integer ||= found.integer;
      if (!WRAPPERS.has(node.type) || !node.wrapped) break;
      if (node.type !== "nullable") required = false;
      if (node.default !== undefined && defaultValue === undefined) {
        defaultValue = typeof node.default === "function" ? (node.default as () => unknown)() : node.default;
      }
      node = node.wrapped;
    }
    if (defaultValue !== undefined) required = false;
    const flag = metadata.flag ?? kebabCase(name);
    return {
      name,
      flag,
      env: metadata.env ?? envNameForFlag(flag),
      ...fieldKind(node, integer, name),
      required,
      default: defaultValue,
      secret: metadata.secret === true,
      description: metadata.description ?? description ?? "",
      displayName: metadata.displayName,
    };
  });
}
