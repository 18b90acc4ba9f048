/**
 * Structured log lines. Every line carries the request id (or sync id) of the
 * work it describes, and passes through the redactor first.
 */
import type { Logger } from "../plugins/contract.ts";
import type { Redactor } from "../plugins/secrets.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface LogLine {
  level: LogLevel;
  msg: string;
  time: string;
  [field: string]: unknown;
}

export type LogSink = (line: LogLine) => void;

/** One JSON object per line on stderr/stdout (console works on every runtime). */
export const consoleSink: LogSink = (line) => {
  const text = JSON.stringify(line);
  if (line.level === "error" || line.level === "warn") console.error(text);
  else console.log(text);
};

export function makeLogger(
  sink: LogSink,
  redactor: Redactor,
  now: () => number,
  bound: Record<string, unknown> = {},
): Logger {
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    const line = redactor.redactFields({ ...bound, ...fields });
    sink({ level, msg: redactor.redact(msg), time: new Date(now()).toISOString(), ...line });
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
  };
}
