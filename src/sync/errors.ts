/**
 * Errors a plugin throws to steer the engine, and the error the engine fails with.
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

/** Where a sync failed: the plugin, phase and object are always named. */
export interface SyncErrorContext {
  plugin: string;
  phase: string;
  resourceTypeId?: string;
  resourceId?: string;
}

export class SyncError extends Error {
  readonly context: SyncErrorContext;

  constructor(message: string, context: SyncErrorContext, options?: { cause?: unknown }) {
    super(`${message} (${describeContext(context)})`, options);
    this.name = "SyncError";
    this.context = context;
  }
}

export function describeContext(context: SyncErrorContext): string {
  const parts = [`plugin ${context.plugin}`, `phase ${context.phase}`];
  if (context.resourceTypeId) parts.push(`resource type ${context.resourceTypeId}`);
  if (context.resourceId) parts.push(`resource ${context.resourceId}`);
  return parts.join(", ");
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The run used up its `runDurationMs` (Go's ErrSyncNotComplete): the state was
 * checkpointed, and calling runSync again on the same store continues it.
 */
export class SyncNotCompleteError extends Error {
  readonly syncId: string;

  constructor(syncId: string, elapsedMs: number) {
    super(`sync ${syncId} is not complete after ${elapsedMs} ms; it was checkpointed and resumes on the next run`);
    this.name = "SyncNotCompleteError";
    this.syncId = syncId;
  }
}
