import { describe, expect, it } from "vitest";
import { createLogger, textSink } from "../log/index.ts";
import { progressLine } from "./progress.ts";

const counts = (grants: number) => ({ resourceTypes: 5, resources: 38, entitlements: 16, grants });

describe("progress line", () => {
  it("rewrites one line per interval from runSync's events and clears it before a log line", () => {
    const out: string[] = [];
    const progress = progressLine((text) => out.push(text), 100);
    const log = createLogger({
      level: "info",
      sink: textSink({ format: "console", write: (line) => out.push(`${line}\n`), beforeWrite: progress.clear }),
      now: () => 0,
    });
    progress.onProgress({ type: "phase", phase: "list-grants", at: 0 });
    progress.onProgress({
      type: "progress",
      phase: "list-grants",
      written: counts(10),
      pages: 1,
      retries: 0,
      rate: 59.4,
      at: 1000,
    });
    // Within 100 ms of the last draw: skipped, so a fast sync does not flood the terminal.
    progress.onProgress({
      type: "progress",
      phase: "list-grants",
      written: counts(11),
      pages: 2,
      retries: 0,
      rate: 60,
      at: 1050,
    });
    progress.onProgress({
      type: "progress",
      phase: "list-grants",
      written: counts(20),
      pages: 3,
      retries: 0,
      rate: 80,
      estimate: 0.5,
      at: 1200,
    });
    log.info("sync finished", { grants: 20 });
    expect(out).toEqual([
      "\r\x1b[2Klist-grants: 5 resource types, 38 resources, 16 entitlements, 10 grants (59/s)",
      "\r\x1b[2Klist-grants 50%: 5 resource types, 38 resources, 16 entitlements, 20 grants (80/s)",
      "\r\x1b[2K",
      "1970-01-01T00:00:00.000Z\tINFO\tsync finished\tgrants=20\n",
    ]);
  });

  it("writes JSON log lines with level filtering", () => {
    const out: string[] = [];
    const log = createLogger({
      level: "warn",
      sink: textSink({ format: "json", write: (line) => out.push(line) }),
      now: () => 0,
    });
    log.info("hidden");
    log.warn("shown", { n: 1 });
    expect(out.map((line) => JSON.parse(line))).toEqual([
      { level: "warn", ts: "1970-01-01T00:00:00.000Z", msg: "shown", n: 1 },
    ]);
  });
});
