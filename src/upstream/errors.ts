/**
 * Errors a plugin throws to steer its caller (the sync engine, provisioning).
 * Transient errors are retried (Go retries gRPC Unavailable / DeadlineExceeded);
 * not-found on one resource is a warning; everything else ends the sync.
 *
 * `instanceof` recognises them by a global brand, not by class identity: a plugin can hold
 * its own copy of this module (a TypeScript plugin loaded from the sources next to the
 * prebuilt CLI) and its errors must still steer the engine.
 */

const TRANSIENT = Symbol.for("baton-edge.TransientError");
const NOT_FOUND = Symbol.for("baton-edge.NotFoundError");

/** The brand for the class itself; subclasses keep the ordinary prototype check. */
function branded(cls: abstract new (...args: never[]) => unknown, self: unknown, brand: symbol, value: unknown) {
  if (self !== cls) return Function.prototype[Symbol.hasInstance].call(self, value);
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

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

  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class `instanceof` asks about (a subclass or this one).
    return branded(TransientError, this, TRANSIENT, value);
  }

  constructor(message: string, options: TransientErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    Object.defineProperty(this, TRANSIENT, { value: true });
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
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class `instanceof` asks about (a subclass or this one).
    return branded(NotFoundError, this, NOT_FOUND, value);
  }

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    Object.defineProperty(this, NOT_FOUND, { value: true });
    this.name = "NotFoundError";
  }
}
