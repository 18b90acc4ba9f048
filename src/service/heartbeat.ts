/**
 * Heartbeats for a running task, as baton-sdk's HeartbeatTask (baton-model.md
 * §5.3): one heartbeat before the work starts, then one every `next_heartbeat`
 * (0 ⇒ 30 s, clamped to 1 s … 5 min). `cancelled` from the server, or 10
 * failed attempts in a row, abort the task's signal.
 */
import type { Duration } from "@bufbuild/protobuf/wkt";
import type { Clock } from "../upstream/clock.ts";
import type { BatonClient } from "./client.ts";

export const DEFAULT_HEARTBEAT_MS = 30_000;
export const MIN_HEARTBEAT_MS = 1_000;
export const MAX_HEARTBEAT_MS = 5 * 60_000;
export const MAX_HEARTBEAT_FAILURES = 10;

/** The server cancelled the task through a heartbeat. */
export class TaskCancelledError extends Error {
  constructor() {
    super("task was cancelled");
    this.name = "TaskCancelledError";
  }
}

export class HeartbeatFailedError extends Error {
  constructor(cause?: unknown) {
    super("task failed heartbeat", cause === undefined ? undefined : { cause });
    this.name = "HeartbeatFailedError";
  }
}

export function durationMs(duration: Duration | undefined): number {
  if (!duration) return 0;
  return Number(duration.seconds) * 1000 + Math.floor(duration.nanos / 1e6);
}

export function heartbeatInterval(duration: Duration | undefined): number {
  const ms = durationMs(duration);
  if (ms === 0) return DEFAULT_HEARTBEAT_MS;
  return Math.min(MAX_HEARTBEAT_MS, Math.max(MIN_HEARTBEAT_MS, ms));
}

export interface Heartbeat {
  /** Aborted when the server cancels, heartbeats keep failing, or the parent signal aborts. */
  signal: AbortSignal;
  /** Stops heartbeating (the task is done). */
  stop(): void;
}

export interface HeartbeatOptions {
  client: BatonClient;
  taskId: string;
  clock: Clock;
  parent: AbortSignal;
  onBeat?: (intervalMs: number) => void;
  onFailure?: (error: unknown, attempt: number) => void;
}

/** Sends the first heartbeat; throws if it fails or the task was already cancelled. */
export async function startHeartbeat(options: HeartbeatOptions): Promise<Heartbeat> {
  const { client, taskId, clock, parent } = options;
  const task = new AbortController();
  const stopped = new AbortController();
  const forward = () => task.abort(parent.reason);
  if (parent.aborted) forward();
  else parent.addEventListener("abort", forward, { once: true });

  let first: Awaited<ReturnType<BatonClient["heartbeat"]>>;
  try {
    // Not cut by `parent`: once the server has the first heartbeat it counts the task as running,
    // so a stop arriving now must still end in a Canceled FinishTask (through the aborted signal),
    // not leave the task unreported. The call keeps its own unary deadline.
    first = await client.heartbeat(taskId);
  } catch (error) {
    parent.removeEventListener("abort", forward);
    throw new HeartbeatFailedError(error);
  }
  if (first.cancelled) {
    parent.removeEventListener("abort", forward);
    throw new TaskCancelledError();
  }
  let interval = heartbeatInterval(first.nextHeartbeat);
  options.onBeat?.(interval);

  const loop = async () => {
    let failures = 0;
    const both = AbortSignal.any([task.signal, stopped.signal]);
    while (!both.aborted) {
      try {
        await clock.sleep(interval, both);
      } catch {
        return;
      }
      try {
        const response = await client.heartbeat(taskId, both);
        if (both.aborted) return;
        failures = 0;
        interval = heartbeatInterval(response.nextHeartbeat);
        options.onBeat?.(interval);
        if (response.cancelled) {
          task.abort(new TaskCancelledError());
          return;
        }
      } catch (error) {
        if (both.aborted) return;
        failures++;
        options.onFailure?.(error, failures);
        if (failures >= MAX_HEARTBEAT_FAILURES) {
          task.abort(new HeartbeatFailedError(error));
          return;
        }
      }
    }
  };
  void loop();
  return {
    signal: task.signal,
    stop() {
      stopped.abort();
      parent.removeEventListener("abort", forward);
    },
  };
}
