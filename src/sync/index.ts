// What plugins throw and the fetch they get: the lower module the engine builds on.
export { systemClock } from "../upstream/clock.ts";
export { NotFoundError, type RateLimitInfo, TransientError, type TransientErrorOptions } from "../upstream/errors.ts";
export { classifyHttpResponse, isTransientStatus, parseRateLimitHeaders, retryingFetch } from "../upstream/fetch.ts";
export { MAX_DELAY_MS, retryWait } from "../upstream/retry.ts";
export { DEFAULT_CHECKPOINT_INTERVAL_MS, runSync } from "./engine.ts";
export { SyncError, type SyncErrorContext, SyncNotCompleteError } from "./errors.ts";
export { type ExpandOptions, type ExpandResult, ExpansionError, expandGrants, MAX_EXPANSION_DEPTH } from "./expand.ts";
export { type Action, type ActionOp, SyncState, TokenError } from "./state.ts";
export type * from "./types.ts";
