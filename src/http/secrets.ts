/**
 * Keeps secrets out of responses, logs and errors. Two nets: values of config
 * fields marked `secret` (and the auth secret) are scrubbed from any text, and
 * log fields whose names look secret are replaced whole.
 */
import type { AnyPlugin } from "../plugins/contract.ts";
import { configFields } from "../plugins/fields.ts";

const SECRET_KEY = /secret|password|passwd|token|authorization|credential|api[-_]?key|private[-_]?key/i;
export const REDACTED = "[redacted]";

export interface Redactor {
  redact(text: string): string;
  redactFields(fields: Record<string, unknown>): Record<string, unknown>;
}

export function createRedactor(secretValues: Iterable<string>): Redactor {
  // Longest first, so a secret that contains another is scrubbed whole.
  const values = [...new Set(secretValues)].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  const redact = (text: string) => {
    let out = text;
    for (const value of values) if (out.includes(value)) out = out.split(value).join(REDACTED);
    return out;
  };
  const scrub = (value: unknown, depth: number): unknown => {
    if (typeof value === "string") return redact(value);
    if (value instanceof Error) return redact(value.message);
    if (depth > 4 || value === null || typeof value !== "object") return value;
    if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value))
      out[key] = SECRET_KEY.test(key) ? REDACTED : scrub(item, depth + 1);
    return out;
  };
  return { redact, redactFields: (fields) => scrub(fields, 0) as Record<string, unknown> };
}

/** The string values of a connector's secret config fields: what must never leave the process. */
export function secretValues(plugin: AnyPlugin, config: Record<string, unknown>): string[] {
  return configFields(plugin.config)
    .filter((field) => field.secret)
    .flatMap((field) => {
      const value = config[field.name];
      return typeof value === "string" ? [value] : Array.isArray(value) ? value.map(String) : [];
    });
}
