export { systemClock } from "./clock.ts";
export { DEFAULT_CHECKPOINT_INTERVAL_MS, runSync } from "./engine.ts";
export {
  NotFoundError,
  type RateLimitInfo,
  SyncError,
  type SyncErrorContext,
  SyncNotCompleteError,
  TransientError,
  type TransientErrorOptions,
} from "./errors.ts";
export { type ExpandOptions, type ExpandResult, ExpansionError, expandGrants, MAX_EXPANSION_DEPTH } from "./expand.ts";
export { classifyHttpResponse, isTransientStatus, parseRateLimitHeaders, retryingFetch } from "./fetch.ts";
export { MAX_DELAY_MS, retryWait } from "./retry.ts";
export { type Action, type ActionOp, SyncState, TokenError } from "./state.ts";
export type * from "./types.ts";
