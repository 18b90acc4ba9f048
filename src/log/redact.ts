/**
 * Keeps secrets out of logs, errors, HTTP responses and c1z files, for every
 * trigger (CLI, HTTP, cron). Two nets: known secret values (config fields
 * marked `secret`, the auth secret, storage credentials) are scrubbed from any
 * text, and log fields whose names say they hold a secret are replaced whole.
 */
import type { Logger, Redactor } from "./types.ts";

export const REDACTED = "[redacted]";

/** Words that make a field name secret wherever they appear in it (`clientSecret`, `x-api-key`). */
const SECRET_WORDS = new Set([
  "secret",
  "secrets",
  "password",
  "passwd",
  "passphrase",
  "authorization",
  "cookie",
  "credential",
  "credentials",
  "apikey",
  "privatekey",
]);
const SECRET_PAIRS = new Set(["api key", "private key"]);
/** `token` names a secret (`token`, `apiToken`, `sessionToken`), except these pagination and sync cursors. */
const CURSOR_QUALIFIERS = new Set(["page", "next", "prev", "previous", "continuation", "cursor", "sync", "resume"]);

function wordsOf(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== "");
}

/** Whether a log field (or header, or env var) named `key` holds a secret. */
export function isSecretKey(key: string): boolean {
  const words = wordsOf(key);
  for (let i = 0; i < words.length; i++) {
    if (SECRET_WORDS.has(words[i])) return true;
    if (i > 0 && SECRET_PAIRS.has(`${words[i - 1]} ${words[i]}`)) return true;
  }
  const last = words.at(-1);
  if (last !== "token" && last !== "tokens") return false;
  return words.length < 2 || !CURSOR_QUALIFIERS.has(words[words.length - 2]);
}

// Shorter values would scrub ordinary words.
const MIN_SECRET_LENGTH = 4;

export function createRedactor(secretValues: Iterable<string | undefined> = []): Redactor {
  let values: string[] = [];
  const add = (more: Iterable<string | undefined>) => {
    const all = new Set(values);
    for (const value of more) if (typeof value === "string" && value.length >= MIN_SECRET_LENGTH) all.add(value);
    // Longest first, so a secret that contains another is scrubbed whole.
    values = [...all].sort((a, b) => b.length - a.length);
  };
  add(secretValues);
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
    for (const [key, item] of Object.entries(value)) {
      // Counts and flags under a secret-sounding name (`credentials: 2`) say nothing secret.
      const hidden = isSecretKey(key) && (typeof item === "string" || (typeof item === "object" && item !== null));
      out[key] = hidden ? REDACTED : scrub(item, depth + 1);
    }
    return out;
  };
  return { redact, redactFields: (fields) => scrub(fields, 0) as Record<string, unknown>, add };
}

/** A logger (e.g. one a caller passed in) whose messages and fields pass through the redactor first. */
export function redactingLogger(log: Logger, redactor: Redactor): Logger {
  const wrap =
    (write: Logger["info"]): Logger["info"] =>
    (message, fields) =>
      write(redactor.redact(message), fields === undefined ? undefined : redactor.redactFields(fields));
  return { debug: wrap(log.debug), info: wrap(log.info), warn: wrap(log.warn), error: wrap(log.error) };
}

/** The text of a thrown value with every known secret scrubbed: for error output. */
export function redactedMessage(error: unknown, redactor: Redactor): string {
  return redactor.redact(error instanceof Error ? error.message : String(error));
}
