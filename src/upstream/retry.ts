/**
 * Go's retry rule (pkg/retry): linear backoff of attempt × initial delay, capped
 * at 60 s, replaced by the wait a known rate-limit reset implies. A sync retries
 * without limit from 1 s; the provisioning builder allows 3 retries from 15 s.
 */

import type { Clock } from "./clock.ts";
import { TransientError } from "./errors.ts";

export const INITIAL_DELAY_MS = 1000;
export const MAX_DELAY_MS = 60_000;

export interface BackoffPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  /**
   * Retries after the first call (Go's MaxAttempts counts failures, so 3 means up
   * to 4 calls); undefined retries without limit.
   */
  maxRetries?: number;
}

/** The sync loop's policy (parallel_syncer.go): unlimited, 1 s initial. */
export const SYNC_RETRY: BackoffPolicy = { initialDelayMs: INITIAL_DELAY_MS, maxDelayMs: MAX_DELAY_MS };

export interface RetryWait {
  waitMs: number;
  /** The wait came from a rate-limit reset rather than plain backoff. */
  rateLimited: boolean;
}

/** How long to wait before retry number `attempt` (1-based) after `error`. */
export function retryWait(
  attempt: number,
  error: TransientError,
  now: number,
  policy: BackoffPolicy = SYNC_RETRY,
): RetryWait {
  let waitMs = attempt * policy.initialDelayMs;
  let rateLimited = false;
  const resetAt = error.resetAt ?? (error.retryAfterMs !== undefined ? now + error.retryAfterMs : undefined);
  const untilReset = resetAt === undefined ? 0 : resetAt - now;
  if (untilReset > 0) {
    const remaining = error.resetAt === undefined ? 0 : (error.remaining ?? 0);
    if (remaining <= 0) {
      waitMs = untilReset;
      rateLimited = true;
    } else {
      // Spread the remaining budget over the window, in whole seconds as Go does.
      const perRequest = Math.ceil(untilReset / remaining / 1000) * 1000;
      if (perRequest > 0) {
        waitMs = perRequest;
        rateLimited = true;
      }
    }
  }
  return { waitMs: Math.min(waitMs, policy.maxDelayMs), rateLimited };
}

export interface RetryObserver {
  onRetry(attempt: number, waitMs: number, error: TransientError): void;
}

/**
 * Runs `call` until it succeeds, throws something other than a TransientError,
 * or (with `policy.maxRetries`) fails that many times more; then the last error is thrown.
 */
export async function withRetry<T>(
  call: () => Promise<T>,
  clock: Clock,
  observer: RetryObserver,
  signal?: AbortSignal,
  policy: BackoffPolicy = SYNC_RETRY,
): Promise<T> {
  let attempt = 0;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof TransientError)) throw error;
      attempt++;
      if (policy.maxRetries !== undefined && attempt > policy.maxRetries) throw error;
      const { waitMs } = retryWait(attempt, error, clock.now(), policy);
      observer.onRetry(attempt, waitMs, error);
      await clock.sleep(waitMs, signal);
    }
  }
}
