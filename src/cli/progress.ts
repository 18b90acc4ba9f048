/** The one-line progress display on a TTY, fed by runSync's onProgress events. */
import type { ProgressEvent } from "../sync/types.ts";

export interface ProgressLine {
  onProgress(event: ProgressEvent): void;
  /** Erases the line (before a log line, and at the end). */
  clear(): void;
}

export function progressLine(write: (text: string) => void, minIntervalMs = 100): ProgressLine {
  let shown = false;
  let lastAt = Number.NEGATIVE_INFINITY;
  let phase = "init";
  const clear = () => {
    if (shown) write("\r\x1b[2K");
    shown = false;
  };
  return {
    clear,
    onProgress(event) {
      if (event.type === "phase") phase = event.phase;
      if (event.type !== "progress") return;
      if (event.at - lastAt < minIntervalMs) return;
      lastAt = event.at;
      const { resourceTypes, resources, entitlements, grants } = event.written;
      const estimate = event.estimate === undefined ? "" : ` ${Math.round(event.estimate * 100)}%`;
      write(
        `\r\x1b[2K${phase}${estimate}: ${resourceTypes} resource types, ${resources} resources, ${entitlements} entitlements, ${grants} grants (${Math.round(event.rate)}/s)`,
      );
      shown = true;
    },
  };
}
