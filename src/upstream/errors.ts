/**
 * Errors a plugin throws to steer its caller (the sync engine, provisioning).
 * Transient errors are retried (Go retries gRPC Unavailable / DeadlineExceeded);
 * not-found on one resource is a warning; everything else ends the sync.
 */

export interface RateLimitInfo {
  /** Requests left in the current window, when the server said. */
  remaining?: number;
  limit?: number;
  /** Epoch milliseconds when the window resets. */
  resetAt?: number;
}

export interface TransientErrorOptions extends RateLimitInfo {
  /** A server-given delay (Retry-After) in milliseconds. */
  retryAfterMs?: number;
  status?: number;
  cause?: unknown;
}

/** Retry me: the remote was rate limited, unavailable or timed out. */
export class TransientError extends Error {
  readonly retryAfterMs?: number;
  readonly resetAt?: number;
  readonly remaining?: number;
  readonly limit?: number;
  readonly status?: number;

  constructor(message: string, options: TransientErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "TransientError";
    this.retryAfterMs = options.retryAfterMs;
    this.resetAt = options.resetAt;
    this.remaining = options.remaining;
    this.limit = options.limit;
    this.status = options.status;
  }
}

/** The object a call was about no longer exists (Go's codes.NotFound): a warning, not a failure. */
export class NotFoundError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "NotFoundError";
  }
}
