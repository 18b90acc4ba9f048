/** Sinks: where finished log lines go, in which format. */
import type { LogLine, LogSink } from "./types.ts";

export type LogFormat = "json" | "console";

export const LOG_FORMATS: readonly LogFormat[] = ["json", "console"];

function consoleValue(value: unknown): string {
  if (typeof value === "string") return /\s/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

/** `json`: one object a line, as Baton's zap writes; `console`: tab-separated for a terminal. */
export function formatLine(line: LogLine, format: LogFormat): string {
  if (format === "json") return JSON.stringify(line);
  const { level, ts, msg, ...fields } = line;
  const extra = Object.entries(fields)
    .map(([key, value]) => `${key}=${consoleValue(value)}`)
    .join(" ");
  return `${ts}\t${level.toUpperCase()}\t${msg}${extra ? `\t${extra}` : ""}`;
}

export interface TextSinkOptions {
  format: LogFormat;
  write(text: string): void;
  /** Called before each line, so a progress line can be cleared first. */
  beforeWrite?: () => void;
}

/** Formatted lines to a text stream (the CLI's stderr). */
export function textSink(options: TextSinkOptions): LogSink {
  return (line) => {
    options.beforeWrite?.();
    options.write(formatLine(line, options.format));
  };
}

/**
 * JSON lines to the console, which every runtime has (Workers' logs collect it):
 * warnings and errors on stderr, the rest on stdout.
 */
export const consoleSink: LogSink = (line) => {
  const text = JSON.stringify(line);
  if (line.level === "error") console.error(text);
  else if (line.level === "warn") console.warn(text);
  else if (line.level === "debug") console.debug(text);
  else console.log(text);
};
