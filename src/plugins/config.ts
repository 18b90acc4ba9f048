/**
 * Config resolution as a `baton-<app>` binary does it (viper + cobra):
 * CLI flag > environment (`BATON_<FLAG>`) > YAML config file > default,
 * then the schema's own checks and Baton's field relationships.
 */
import * as v from "valibot";
import type { AnyPlugin, ConfigRelation } from "./contract.ts";
import { type ConfigField, configFields } from "./fields.ts";

export type RawValue = string | number | boolean | string[];

export interface ConfigSources {
  /** Parsed CLI flags by flag name without dashes; repeated flags arrive as arrays. */
  flags?: Record<string, RawValue | undefined>;
  env?: Record<string, string | undefined>;
  /** The config file's top-level mapping; keys are flag names (`api-token`) or field names (`apiToken`). */
  file?: Record<string, unknown>;
}

export type ValueSource = "flag" | "env" | "file" | "default";

/** A config problem a user fixes by changing a flag, env var or file; the CLI exits 2 with its one-line message. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly field?: ConfigField,
  ) {
    super(message);
    this.name = "ConfigError";
  }
}

/** `--api-token ($BATON_API_TOKEN)`, the way Baton names a setting in its help. */
export function describeField(field: Pick<ConfigField, "flag" | "env">): string {
  return `--${field.flag} ($${field.env})`;
}

const TRUE = new Set(["true", "1", "yes", "on", "t", "y"]);
const FALSE = new Set(["false", "0", "no", "off", "f", "n", ""]);

function shown(field: ConfigField, raw: unknown): string {
  return field.secret ? "(secret value not shown)" : `got ${JSON.stringify(raw)}`;
}

/** Turns what a flag, env var or YAML value holds into the field's type. */
export function coerceValue(field: ConfigField, raw: unknown, source: ValueSource): unknown {
  const bad = (expected: string) =>
    new ConfigError(
      `invalid value for ${describeField(field)} from ${source}: expected ${expected}, ${shown(field, raw)}`,
      field,
    );
  switch (field.kind) {
    case "string":
    case "select":
      if (typeof raw === "string") return raw;
      if (source === "file" && (typeof raw === "number" || typeof raw === "boolean")) return String(raw);
      throw bad("a string");
    case "integer":
    case "number": {
      const expected = field.kind === "integer" ? "an integer" : "a number";
      if (typeof raw === "number") {
        if (field.kind === "integer" && !Number.isInteger(raw)) throw bad(expected);
        return raw;
      }
      if (typeof raw !== "string" || raw.trim() === "") throw bad(expected);
      const parsed = Number(raw.trim());
      if (!Number.isFinite(parsed) || (field.kind === "integer" && !Number.isInteger(parsed))) throw bad(expected);
      return parsed;
    }
    case "boolean": {
      if (typeof raw === "boolean") return raw;
      const text = String(raw).trim().toLowerCase();
      if (TRUE.has(text)) return true;
      if (FALSE.has(text)) return false;
      throw bad("true or false");
    }
    case "string-list":
      if (Array.isArray(raw))
        return raw
          .flatMap((item) => String(item).split(","))
          .map((s) => s.trim())
          .filter(Boolean);
      if (typeof raw === "string")
        return raw
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean);
      throw bad("a comma-separated list");
  }
}

function fileValue(file: Record<string, unknown> | undefined, field: ConfigField): unknown {
  if (!file) return undefined;
  if (Object.hasOwn(file, field.flag)) return file[field.flag];
  if (Object.hasOwn(file, field.name)) return file[field.name];
  return undefined;
}

export interface ResolvedValues {
  values: Record<string, unknown>;
  sources: Record<string, ValueSource>;
}

/** Applies the precedence to each field; fields with no value and no default are left out. */
export function resolveFieldValues(fields: readonly ConfigField[], sources: ConfigSources): ResolvedValues {
  const values: Record<string, unknown> = {};
  const from: Record<string, ValueSource> = {};
  for (const field of fields) {
    const flag = sources.flags?.[field.flag];
    const env = sources.env?.[field.env];
    const file = fileValue(sources.file, field);
    if (flag !== undefined) {
      values[field.name] = coerceValue(field, flag, "flag");
      from[field.name] = "flag";
    } else if (env !== undefined && env !== "") {
      values[field.name] = coerceValue(field, env, "env");
      from[field.name] = "env";
    } else if (file !== undefined && file !== null) {
      values[field.name] = coerceValue(field, file, "file");
      from[field.name] = "file";
    } else if (field.default !== undefined) {
      values[field.name] = field.default;
      from[field.name] = "default";
    }
  }
  return { values, sources: from };
}

function isSet(values: Record<string, unknown>, sources: Record<string, ValueSource>, name: string): boolean {
  if (sources[name] === undefined || sources[name] === "default") return false;
  const value = values[name];
  return !(value === "" || value === false || (Array.isArray(value) && value.length === 0));
}

/** Baton's FieldsRequiredTogether / FieldsMutuallyExclusive / FieldsAtLeastOneUsed. */
export function checkRelations(
  relations: readonly ConfigRelation[],
  fields: readonly ConfigField[],
  resolved: ResolvedValues,
): void {
  const byName = new Map(fields.map((field) => [field.name, field]));
  const name = (fieldName: string) => {
    const field = byName.get(fieldName);
    return field ? describeField(field) : fieldName;
  };
  for (const relation of relations) {
    const set = relation.fields.filter((f) => isSet(resolved.values, resolved.sources, f));
    const list = relation.fields.map(name).join(", ");
    if (relation.kind === "requiredTogether" && set.length > 0 && set.length < relation.fields.length) {
      const missing = relation.fields.filter((f) => !set.includes(f));
      throw new ConfigError(
        `${list} must be set together: missing ${missing.map(name).join(", ")}`,
        byName.get(missing[0]),
      );
    }
    if (relation.kind === "mutuallyExclusive" && set.length > 1) {
      throw new ConfigError(`only one of ${list} may be set, got ${set.map(name).join(" and ")}`, byName.get(set[1]));
    }
    if (relation.kind === "atLeastOne" && set.length === 0) {
      throw new ConfigError(`at least one of ${list} must be set`, byName.get(relation.fields[0]));
    }
  }
}

export interface ResolvedConfig {
  config: Record<string, unknown>;
  sources: Record<string, ValueSource>;
  fields: ConfigField[];
}

/**
 * Resolves and validates a plugin's config. Every failure is a `ConfigError`
 * whose one-line message names the flag and its env var and never a secret's value.
 */
export function resolveConfig(plugin: AnyPlugin, sources: ConfigSources): ResolvedConfig {
  const fields = configFields(plugin.config);
  const resolved = resolveFieldValues(fields, sources);
  for (const field of fields) {
    if (field.required && resolved.values[field.name] === undefined) {
      throw new ConfigError(`missing required config ${describeField(field)} for plugin ${plugin.name}`, field);
    }
  }
  checkRelations(plugin.configRelations ?? [], fields, resolved);
  const result = v.safeParse(plugin.config, resolved.values);
  if (!result.success) {
    const issue = result.issues[0];
    const key = issue.path?.[0]?.key;
    const field = fields.find((f) => f.name === key);
    if (!field) throw new ConfigError(`invalid config for plugin ${plugin.name}: ${issue.message}`);
    const reason = field.secret ? `failed the ${issue.type} check (value not shown)` : issue.message;
    throw new ConfigError(`invalid value for ${describeField(field)}: ${reason}`, field);
  }
  return { config: result.output as Record<string, unknown>, sources: resolved.sources, fields };
}
