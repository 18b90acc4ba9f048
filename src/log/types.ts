/** The shapes of logging, shared by every trigger and by plugins (via the SDK). */

export type LogLevel = "debug" | "info" | "warn" | "error";

export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** One log line as sinks receive it: already redacted. */
export interface LogLine {
  level: LogLevel;
  /** ISO 8601 time, as zap's `ts` field name in Baton's logs. */
  ts: string;
  msg: string;
  [field: string]: unknown;
}

/** Where log lines go: stderr, the console of a Worker, a test's array. */
export type LogSink = (line: LogLine) => void;

export interface Redactor {
  redact(text: string): string;
  redactFields(fields: Record<string, unknown>): Record<string, unknown>;
  /** Learns more values to scrub (a plugin's config once it is resolved). */
  add(values: Iterable<string | undefined>): void;
}
