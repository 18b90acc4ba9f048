/**
 * The errors a sync fails or stops with. What a plugin throws to steer the
 * engine (TransientError, NotFoundError) lives in src/upstream/errors.ts.
 */

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
