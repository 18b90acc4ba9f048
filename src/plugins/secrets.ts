/**
 * Which values are secret: a plugin's config fields marked `secret` and the
 * storage credentials of the environment. The redactor (src/log/redact.ts)
 * scrubs them from logs, errors, HTTP responses and c1z files.
 */
import { REDACTED } from "../log/redact.ts";
import type { AnyPlugin } from "./contract.ts";
import { type ConfigField, configFields } from "./fields.ts";

/** The string values of a connector's secret config fields: what must never leave the process. */
export function secretValues(plugin: AnyPlugin, config: Record<string, unknown>): string[] {
  return secretFieldValues(config, configFields(plugin.config));
}

function secretFieldValues(config: Record<string, unknown>, fields: readonly ConfigField[]): string[] {
  return fields
    .filter((field) => field.secret)
    .flatMap((field) => {
      const value = config[field.name];
      return typeof value === "string" ? [value] : Array.isArray(value) ? value.map(String) : [];
    });
}

/** The config with every secret field replaced, for display. */
export function redactConfig(config: Record<string, unknown>, fields: readonly ConfigField[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  for (const field of fields) if (field.secret && out[field.name] !== undefined) out[field.name] = REDACTED;
  return out;
}

/** Storage credentials a process may hold in its environment (`AWS_*`), which never leave it either. */
export function environmentSecretValues(env: Record<string, unknown>): string[] {
  return ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"].flatMap((name) => {
    const value = env[name];
    return typeof value === "string" ? [value] : [];
  });
}
