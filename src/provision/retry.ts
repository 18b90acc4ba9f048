/**
 * How one-shot provisioning calls a plugin when the upstream is flaky. Grant and
 * revoke retry `TransientError` as Baton's builder does (resource_provisioner.go:
 * MaxAttempts 3, 15 s initial, 60 s max, only Unavailable/DeadlineExceeded), with
 * the sync engine's wait rule. A transient failure that outlasts the retries, or
 * hits a call that is not retried, becomes a ProvisionError "unavailable".
 */

import type { Clock } from "../upstream/clock.ts";
import { systemClock } from "../upstream/clock.ts";
import { TransientError } from "../upstream/errors.ts";
import { type BackoffPolicy, withRetry } from "../upstream/retry.ts";
import { ProvisionError } from "./errors.ts";
import type { ProvisionTarget } from "./target.ts";

/**
 * Go's retryer counts failures: with MaxAttempts 3 it waits 15 s, 30 s, 45 s and
 * gives up on the fourth failure, so a grant reaches the plugin at most 4 times.
 */
export const PROVISION_RETRY: BackoffPolicy = { initialDelayMs: 15_000, maxDelayMs: 60_000, maxRetries: 3 };

export interface ProvisionOptions {
  /** Waits between attempts run on this clock; tests inject one so they never sleep. */
  clock?: Clock;
}

export type ProvisionOperation = "grant" | "revoke" | "create account" | "rotate credentials" | "delete resource";

/** Grant and revoke: idempotent upstream (GrantAlreadyExists/GrantAlreadyRevoked), so a retry is safe. */
export async function withProvisionRetry<T>(
  operation: ProvisionOperation,
  target: ProvisionTarget,
  options: ProvisionOptions,
  call: () => Promise<T>,
): Promise<T> {
  const clock = options.clock ?? systemClock;
  let calls = 0;
  try {
    return await withRetry(
      () => {
        calls++;
        return call();
      },
      clock,
      {
        onRetry: (attempt, waitMs, error) =>
          target.ctx.log.warn("retrying provisioning call", { operation, attempt, waitMs, error: error.message }),
      },
      target.ctx.signal,
      PROVISION_RETRY,
    );
  } catch (error) {
    throw upstreamFailure(operation, error, calls, clock.now());
  }
}

/**
 * Create account, rotate credentials and delete resource are called once, as
 * Baton's builder calls them once: none is idempotent the way grant/revoke are.
 * A create whose reply was lost may have made the account (a retry then fails or
 * makes a second one), and a second rotate would replace the credential the first
 * one issued before the caller ever saw it. The caller decides whether to retry.
 */
export async function callOnce<T>(operation: ProvisionOperation, clock: Clock, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw upstreamFailure(operation, error, 1, clock.now());
  }
}

function upstreamFailure(operation: ProvisionOperation, error: unknown, calls: number, now: number): unknown {
  if (!(error instanceof TransientError)) return error;
  const resetAt = error.resetAt ?? (error.retryAfterMs === undefined ? undefined : now + error.retryAfterMs);
  const rateLimited = error.status === 429 || (error.status === undefined && resetAt !== undefined);
  const attempts = calls === 1 ? "1 attempt" : `${calls} attempts`;
  return new ProvisionError(
    "unavailable",
    `${operation} failed: upstream ${rateLimited ? "rate-limited" : "unavailable"} after ${attempts} (${error.message})`,
    { cause: error, resetAt },
  );
}
