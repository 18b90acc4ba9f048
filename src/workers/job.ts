/**
 * A sync in progress in a connector's Durable Object, and the rules for its
 * steps. The job row is the connector's lock: it exists from the moment a
 * trigger starts a sync until the sync succeeds or fails for good.
 */
import type { SyncRequest } from "../http/state/store.ts";
import type { ObjectCounts } from "../sync/types.ts";

export type SyncTrigger = "cron" | "http";

export interface SyncJob {
  /** The sync record's id (the HTTP API's sync id; cron runs get one too). */
  id: string;
  trigger: SyncTrigger;
  connector: string;
  request: SyncRequest;
  requestId: string;
  /** `sync`: the engine has work left; `upload`: the finished c1z is waiting to be saved. */
  stage: "sync" | "upload";
  /** Steps (alarm invocations) that ran, killed ones included. */
  invocations: number;
  /** Tries of the current step that failed or were killed since the last one that made progress. */
  attempts: number;
  lastError?: string;
  /** Set once the engine finished: what the upload (and the record) needs, so a retry uploads alone. */
  finished?: FinishedSync;
  /** A multipart upload that was created and not yet completed or aborted: aborted before the next try. */
  upload?: { uploadId: string; destination: string };
  createdAt: number;
}

export interface FinishedSync {
  /** The c1z's sync id. */
  syncId: string;
  /** `{date}` of the destination key, fixed at the first try so every try writes the same key. */
  date: string;
  counts: ObjectCounts;
  expandedGrants: number;
  warnings: string[];
}

export interface StepPolicy {
  /** Wall time one step gives the engine before it stops at a checkpoint. */
  budgetMs: number;
  /** Tries of one step (failures or kills in a row) before the sync ends as failed. */
  maxAttempts: number;
  /** Wait before retrying a failed step: `retryBaseMs * 2^(attempt-1)`, at most 5 min. */
  retryBaseMs: number;
  /** Pause between two steps that made progress (lets other requests reach the object). */
  gapMs: number;
  /**
   * A step that has not ended after this long is taken as killed: the alarm set
   * at its start fires again and the next try resumes from the last checkpoint.
   */
  leaseMs: number;
}

/**
 * A DO alarm may run 15 min of wall time and, on the Paid plan, up to 5 min of
 * CPU (`limits.cpu_ms`); a step of 2 min of work plus saving the checkpoint
 * stays well inside both.
 */
export const DEFAULT_STEP_POLICY: StepPolicy = {
  budgetMs: 120_000,
  maxAttempts: 5,
  retryBaseMs: 2_000,
  gapMs: 0,
  leaseMs: 15 * 60_000,
};

function numberVar(env: Record<string, unknown>, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) {
    throw new RangeError(`${name} must be a number ≥ ${min}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** `BATON_STEP_BUDGET_MS`, `BATON_STEP_MAX_ATTEMPTS`, `BATON_STEP_RETRY_MS`, `BATON_STEP_GAP_MS`, `BATON_STEP_LEASE_MS`. */
export function stepPolicyFrom(env: Record<string, unknown>): StepPolicy {
  const budgetMs = numberVar(env, "BATON_STEP_BUDGET_MS", DEFAULT_STEP_POLICY.budgetMs, 1);
  return {
    budgetMs,
    maxAttempts: Math.floor(numberVar(env, "BATON_STEP_MAX_ATTEMPTS", DEFAULT_STEP_POLICY.maxAttempts, 1)),
    retryBaseMs: numberVar(env, "BATON_STEP_RETRY_MS", DEFAULT_STEP_POLICY.retryBaseMs, 0),
    gapMs: numberVar(env, "BATON_STEP_GAP_MS", DEFAULT_STEP_POLICY.gapMs, 0),
    leaseMs: numberVar(env, "BATON_STEP_LEASE_MS", DEFAULT_STEP_POLICY.leaseMs, budgetMs),
  };
}

export function retryDelayMs(policy: StepPolicy, attempt: number): number {
  return Math.min(300_000, policy.retryBaseMs * 2 ** Math.max(0, attempt - 1));
}
