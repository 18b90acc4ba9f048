/**
 * The `config` subcommand's output: protojson of `c1.config.v1.Configuration`,
 * as `baton-<app> config` prints it. protojson omits zero values, so do we.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import type { AnyPlugin, ConfigRelation } from "./contract.ts";
import { type ConfigField, configFields } from "./fields.ts";

const CONSTRAINT_KIND: Record<ConfigRelation["kind"], string> = {
  requiredTogether: "CONSTRAINT_KIND_REQUIRED_TOGETHER",
  atLeastOne: "CONSTRAINT_KIND_AT_LEAST_ONE",
  mutuallyExclusive: "CONSTRAINT_KIND_MUTUALLY_EXCLUSIVE",
};

function typedField(field: ConfigField): [string, JsonObject] {
  const withDefault = (value: unknown, zero: unknown): JsonObject =>
    value === undefined || value === zero ? {} : { defaultValue: value as JsonObject[string] };
  switch (field.kind) {
    case "boolean":
      return ["boolField", withDefault(field.default, false)];
    case "integer":
    case "number":
      // int64 is a string in protojson.
      return [
        "intField",
        field.default === undefined || field.default === 0 ? {} : { defaultValue: String(field.default) },
      ];
    case "string-list":
      return [
        "stringSliceField",
        Array.isArray(field.default) && field.default.length > 0 ? { defaultValue: field.default.map(String) } : {},
      ];
    case "select":
      return [
        "stringField",
        {
          ...withDefault(field.default, ""),
          options: (field.options ?? []).map((option) => ({ name: option, value: option, displayName: option })),
        },
      ];
    default:
      return ["stringField", withDefault(field.default, "")];
  }
}

export function configSchemaJson(plugin: AnyPlugin): JsonObject {
  const fields = configFields(plugin.config);
  const byName = new Map(fields.map((field) => [field.name, field]));
  const out: JsonObject = {
    fields: fields.map((field) => {
      const [key, typed] = typedField(field);
      const entry: JsonObject = { name: field.flag };
      if (field.displayName) entry.displayName = field.displayName;
      if (field.description) entry.description = field.description;
      if (field.required) entry.isRequired = true;
      if (field.secret) entry.isSecret = true;
      entry[key] = typed;
      return entry;
    }),
  };
  const constraints = (plugin.configRelations ?? []).map((relation) => ({
    kind: CONSTRAINT_KIND[relation.kind],
    fieldNames: relation.fields.map((name) => byName.get(name)?.flag ?? name),
  }));
  if (constraints.length > 0) out.constraints = constraints;
  out.displayName = plugin.displayName;
  if (plugin.metadata?.helpUrl) out.helpUrl = plugin.metadata.helpUrl;
  return out;
}
