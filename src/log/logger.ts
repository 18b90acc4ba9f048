/**
 * The one logger: level filter, the redactor built in, fields bound per
 * request or sync, and a sink for the finished line.
 */
import { createRedactor } from "./redact.ts";
import type { Logger, LogLevel, LogSink, Redactor } from "./types.ts";

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface LoggerOptions {
  sink: LogSink;
  /** Lines below this level are dropped; default debug (all). */
  level?: LogLevel;
  /** Scrubs every message and field; default a new one (teach it with `log.redactor.add`). */
  redactor?: Redactor;
  now?: () => number;
  /** Fields on every line (a request id, a sync id); a line's own fields win. */
  fields?: Record<string, unknown>;
}

export interface RedactingLogger extends Logger {
  readonly redactor: Redactor;
  /** The same logger with more fields bound. */
  child(fields: Record<string, unknown>): RedactingLogger;
}

export function createLogger(options: LoggerOptions): RedactingLogger {
  const redactor = options.redactor ?? createRedactor();
  const now = options.now ?? Date.now;
  const threshold = ORDER[options.level ?? "debug"];
  const bound = options.fields ?? {};
  const emit = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < threshold) return;
    const scrubbed = redactor.redactFields({ ...bound, ...fields });
    options.sink({ level, ts: new Date(now()).toISOString(), msg: redactor.redact(message), ...scrubbed });
  };
  return {
    redactor,
    debug: (message, fields) => emit("debug", message, fields),
    info: (message, fields) => emit("info", message, fields),
    warn: (message, fields) => emit("warn", message, fields),
    error: (message, fields) => emit("error", message, fields),
    child: (fields) => createLogger({ ...options, redactor, fields: { ...bound, ...fields } }),
  };
}

/** For callers that log nothing. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
