/**
 * The S3 client's retry policy: transient, throttling and 5xx errors are
 * retried with capped exponential backoff and full jitter. The delay function is
 * injectable so tests never sleep.
 */

export interface S3RetryPolicy {
  /** Total attempts per request, including the first. */
  maxAttempts: number;
  /** Delay before retry number `retry` (1-based). */
  delayMs(retry: number): number;
}

export const defaultS3RetryPolicy: S3RetryPolicy = {
  maxAttempts: 4,
  delayMs: (retry) => Math.random() * Math.min(20_000, 200 * 2 ** retry),
};

interface Token {
  getRetryCount(): number;
  getRetryDelay(): number;
}

type ErrorType = "TRANSIENT" | "THROTTLING" | "SERVER_ERROR" | "CLIENT_ERROR";

function token(count: number, delay: number): Token {
  return { getRetryCount: () => count, getRetryDelay: () => delay };
}

/** A `RetryStrategyV2` (the AWS SDK's interface) built from a policy. */
export function sdkRetryStrategy(policy: S3RetryPolicy) {
  return {
    async acquireInitialRetryToken(_scope: string): Promise<Token> {
      return token(0, 0);
    },
    async refreshRetryTokenForRetry(previous: Token, info: { errorType: ErrorType; retryAfterHint?: Date }) {
      const retries = previous.getRetryCount() + 1;
      if (info.errorType === "CLIENT_ERROR" || retries >= policy.maxAttempts) {
        throw new Error("no retry");
      }
      const hinted = info.retryAfterHint ? Math.max(0, info.retryAfterHint.getTime() - Date.now()) : 0;
      return token(retries, Math.max(hinted, policy.delayMs(retries)));
    },
    recordSuccess(_token: Token): void {},
  };
}
