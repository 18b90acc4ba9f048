/**
 * Logs to stderr like a Baton binary (zap): JSON lines, or a console format on a TTY.
 * Messages and fields come from our code and plugins; config values are never logged.
 */
import type { Logger } from "../plugins/contract.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFormat = "json" | "console";

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  write?: (line: string) => void;
  now?: () => Date;
  /** Called before each line so a progress line can be cleared first. */
  beforeWrite?: () => void;
}

function consoleValue(value: unknown): string {
  if (typeof value === "string") return /\s/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

export function createLogger(options: LoggerOptions): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  const emit = (level: LogLevel, message: string, fields: Record<string, unknown> = {}) => {
    if (ORDER[level] < ORDER[options.level]) return;
    options.beforeWrite?.();
    const ts = now().toISOString();
    if (options.format === "json") {
      write(JSON.stringify({ level, ts, msg: message, ...fields }));
    } else {
      const extra = Object.entries(fields)
        .map(([key, value]) => `${key}=${consoleValue(value)}`)
        .join(" ");
      write(`${ts}\t${level.toUpperCase()}\t${message}${extra ? `\t${extra}` : ""}`);
    }
  };
  return {
    debug: (message, fields) => emit("debug", message, fields),
    info: (message, fields) => emit("info", message, fields),
    warn: (message, fields) => emit("warn", message, fields),
    error: (message, fields) => emit("error", message, fields),
  };
}
