/**
 * Go's retry rule (pkg/retry): linear backoff of attempt × 1 s, capped at 60 s,
 * replaced by the wait a known rate-limit reset implies. Attempts are unlimited
 * during a sync; success resets the counter.
 */
import { TransientError } from "./errors.ts";
import type { Clock } from "./types.ts";

export const INITIAL_DELAY_MS = 1000;
export const MAX_DELAY_MS = 60_000;

export interface RetryWait {
  waitMs: number;
  /** The wait came from a rate-limit reset rather than plain backoff. */
  rateLimited: boolean;
}

/** How long to wait before retry number `attempt` (1-based) after `error`. */
export function retryWait(attempt: number, error: TransientError, now: number): RetryWait {
  let waitMs = attempt * INITIAL_DELAY_MS;
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
  return { waitMs: Math.min(waitMs, MAX_DELAY_MS), rateLimited };
}

export interface RetryObserver {
  onRetry(attempt: number, waitMs: number, error: TransientError): void;
}

/**
 * Runs `call` until it succeeds or throws something other than a TransientError.
 * `attempts` is shared so that, as in Go, consecutive failures across calls grow the wait.
 */
export async function withRetry<T>(
  call: () => Promise<T>,
  clock: Clock,
  observer: RetryObserver,
  signal?: AbortSignal,
): Promise<T> {
  let attempt = 0;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof TransientError)) throw error;
      attempt++;
      const { waitMs } = retryWait(attempt, error, clock.now());
      observer.onRetry(attempt, waitMs, error);
      await clock.sleep(waitMs, signal);
    }
  }
}
