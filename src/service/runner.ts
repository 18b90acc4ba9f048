/**
 * The service loop (baton-model.md §5.3), as baton-sdk's connector runner:
 * a startup Hello (retried from 1 s, doubling to 5 min, except on errors that
 * retrying cannot fix), then poll GetTask while a task slot is free
 * (`--task-concurrency`), wait `next_poll` (0 … 5 min) between polls, back off
 * `errors²` seconds (at most 60) after failed polls, and run tasks
 * concurrently. Stopping (SIGTERM) cancels the running tasks, which report
 * Canceled through FinishTask, and ends the loop.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { Redactor } from "../log/index.ts";
import type { Logger } from "../plugins/contract.ts";
import type { Clock } from "../upstream/clock.ts";
import type { BatonClient } from "./client.ts";
import { durationMs } from "./heartbeat.ts";
import { helloRequest } from "./hello.ts";
import { runTask, type TaskContext, type TaskOutcome } from "./tasks.ts";
import { TokenExchangeError } from "./token.ts";

export const MAX_POLL_MS = 5 * 60_000;
export const MAX_BACKOFF_MS = 60_000;
export const INITIAL_HELLO_BACKOFF_MS = 1_000;
export const MAX_HELLO_BACKOFF_MS = 5 * 60_000;

/** Service mode cannot go on: bad credentials, the wrong host, a refused Hello. One line for the CLI. */
export class ServiceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ServiceError";
  }
}

/** Go's isRetryableHelloError: these codes will not get better by retrying. */
const PERMANENT_CODES = new Set([
  Code.Unauthenticated,
  Code.PermissionDenied,
  Code.InvalidArgument,
  Code.Unimplemented,
  Code.FailedPrecondition,
  Code.NotFound,
]);

/** TLS and name-resolution failures: the host is wrong (or not who it claims), not down. */
const WRONG_HOST_CODES = new Set([
  "ENOTFOUND",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_SSL_WRONG_VERSION_NUMBER",
]);

function causes(error: unknown): unknown[] {
  const out: unknown[] = [];
  for (let current = error; current !== undefined && out.length < 8; ) {
    out.push(current);
    current = current instanceof Error ? current.cause : undefined;
  }
  return out;
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function text(error: unknown): string {
  if (error instanceof ConnectError) return error.rawMessage;
  return error instanceof Error ? error.message : String(error);
}

/** Why an error means stopping for good, or undefined when it may pass (the server is down, a timeout). */
export function permanentFailure(error: unknown, host: string): string | undefined {
  for (const cause of causes(error)) {
    if (cause instanceof TokenExchangeError) return cause.message;
    if (cause instanceof ServiceError) return cause.message;
    const code = errorCode(cause);
    if (code && WRONG_HOST_CODES.has(code)) return `cannot reach ConductorOne at ${host}: ${text(cause)} (${code})`;
  }
  if (error instanceof ConnectError && PERMANENT_CODES.has(error.code)) {
    return `ConductorOne at ${host} refused the connector: ${Code[error.code]}: ${error.rawMessage}`;
  }
  return undefined;
}

export interface ServiceLoopOptions {
  client: BatonClient;
  ctx: TaskContext;
  /** `host[:port]`, for messages. */
  host: string;
  concurrency: number;
  clock: Clock;
  /** Aborted on SIGTERM / SIGINT. */
  stop: AbortSignal;
  log: Logger;
  redactor: Redactor;
  /** Run tasks one at a time and return after the first full sync task (Baton's one-shot). */
  oneShot?: boolean;
  /** Told about every successfully finished full sync (the CLI prints `Task complete!`). */
  onSyncComplete?: () => void;
}

/** Startup Hello with Go's backoff; throws ServiceError when retrying cannot help. */
export async function bootstrap(options: ServiceLoopOptions): Promise<void> {
  const { client, clock, stop, log, host } = options;
  let backoff = INITIAL_HELLO_BACKOFF_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      await client.hello(helloRequest(options.ctx.entry.plugin), stop);
      log.info("hello sent", { attempts: attempt, host });
      return;
    } catch (error) {
      if (stop.aborted) throw stop.reason;
      const permanent = permanentFailure(error, host);
      if (permanent) throw new ServiceError(options.redactor.redact(permanent), { cause: error });
      log.warn("hello failed; retrying", { attempt, waitMs: backoff, error: text(error) });
      await clock.sleep(backoff, stop);
      backoff = Math.min(backoff * 2, MAX_HELLO_BACKOFF_MS);
    }
  }
}

function clampPoll(ms: number): number {
  return Math.min(MAX_POLL_MS, Math.max(0, ms));
}

/** Go's runner backoff after `errors` failed polls in a row. */
export function pollBackoffMs(errors: number): number {
  return Math.min(errors * errors * 1000, MAX_BACKOFF_MS);
}

export interface LoopResult {
  /** Full sync tasks that finished and uploaded. */
  syncsCompleted: number;
}

/** Runs Hello and the task loop until `stop` aborts (or, one-shot, until the first full sync task ends). */
export async function runServiceLoop(options: ServiceLoopOptions): Promise<LoopResult> {
  const { client, clock, stop, log } = options;
  const concurrency = options.oneShot ? 1 : options.concurrency;
  const running = new Set<Promise<unknown>>();
  let syncsCompleted = 0;
  try {
    await bootstrap(options);
  } catch (error) {
    if (stop.aborted) return { syncsCompleted };
    throw error;
  }

  const settle = (outcome: TaskOutcome) => {
    if (outcome.kind === "sync_full" && outcome.ok) {
      syncsCompleted++;
      options.onSyncComplete?.();
    }
  };
  const dispatch = (task: Parameters<typeof runTask>[1]) =>
    runTask(options.ctx, task, stop).then(
      (outcome) => {
        settle(outcome);
        return outcome;
      },
      (error: unknown) => {
        // Only the calls to ConductorOne itself (Hello, FinishTask) can end here.
        log.error("task could not be reported", { taskId: task.id, error: text(error) });
        return { kind: "unsupported", ok: false, error } satisfies TaskOutcome;
      },
    );

  let wait = 0;
  let failures = 0;
  while (!stop.aborted) {
    try {
      // Even a zero wait goes through the clock: it yields, so a server answering next_poll 0 cannot starve the tasks.
      await clock.sleep(wait, stop);
      while (running.size >= concurrency) await Promise.race(running);
    } catch {
      break;
    }
    if (stop.aborted) break;
    let response: Awaited<ReturnType<BatonClient["getTask"]>>;
    try {
      response = await client.getTask(stop);
    } catch (error) {
      if (stop.aborted) break;
      failures++;
      wait = pollBackoffMs(failures);
      log.warn("polling for tasks failed; backing off", { failures, waitMs: wait, error: text(error) });
      continue;
    }
    failures = 0;
    wait = clampPoll(durationMs(response.nextPoll));
    const task = response.task;
    if (!task || task.taskType.case === undefined || task.taskType.case === "none") continue;
    if (options.oneShot) {
      const outcome = await dispatch(task);
      if (outcome.kind === "sync_full") {
        if (!outcome.ok) {
          throw new ServiceError(`the sync task failed: ${options.redactor.redact(text(outcome.error))}`, {
            cause: outcome.error,
          });
        }
        break;
      }
      continue;
    }
    const pending: Promise<unknown> = dispatch(task).finally(() => running.delete(pending));
    running.add(pending);
  }
  // Running tasks saw `stop` too: they finish (reporting Canceled) before the process ends.
  await Promise.allSettled(running);
  return { syncsCompleted };
}
