/**
 * The fetch plugins receive as `ctx.fetch`. It turns the responses Go's uhttp
 * treats as retryable (429, 408, 5xx but 501) and network failures into
 * `TransientError`, carrying the rate-limit facts from the headers, so the
 * engine waits and retries the page. Other responses are returned untouched;
 * `classifyHttpResponse` also maps 404 to `NotFoundError` for plugins that want it.
 */
import { NotFoundError, type RateLimitInfo, TransientError } from "./errors.ts";

export interface RateLimitFacts extends RateLimitInfo {
  retryAfterMs?: number;
}

// Values this large are absolute times, not deltas (Go's ratelimit/http.go makes the same guess).
const EPOCH_SECONDS_FLOOR = 1_000_000_000;
const EPOCH_MILLIS_FLOOR = 1_000_000_000_000;

function firstHeader(headers: Headers, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = headers.get(name);
    if (value !== null && value.trim() !== "") return value.trim();
  }
  return undefined;
}

function parseNumber(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  // RateLimit-* may carry parameters (`10;w=60`); the number comes first.
  const number = Number(value.split(/[;,]/)[0]?.trim());
  return Number.isFinite(number) ? number : undefined;
}

/** An absolute epoch-ms time from a reset or Retry-After value (delta seconds, epoch s/ms, or HTTP date). */
function parseTime(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const number = parseNumber(value);
  if (number !== undefined && /^\s*-?\d+(\.\d+)?\s*($|[;,])/.test(value)) {
    if (number >= EPOCH_MILLIS_FLOOR) return number;
    if (number >= EPOCH_SECONDS_FLOOR) return number * 1000;
    return now + Math.max(0, number) * 1000;
  }
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : date;
}

const PREFIXES = ["x-ratelimit-", "ratelimit-", "x-ratelimit-requests-", "x-rate-limit-"] as const;

/** Rate-limit facts from `Retry-After`, `X-RateLimit-*`, `RateLimit-*`, `X-RateLimit-Requests-*`, `X-Rate-Limit-*`. */
export function parseRateLimitHeaders(headers: Headers, now: number): RateLimitFacts {
  const facts: RateLimitFacts = {};
  const remaining = parseNumber(
    firstHeader(
      headers,
      PREFIXES.map((p) => `${p}remaining`),
    ),
  );
  const limit = parseNumber(
    firstHeader(
      headers,
      PREFIXES.map((p) => `${p}limit`),
    ),
  );
  const resetAt = parseTime(
    firstHeader(
      headers,
      PREFIXES.map((p) => `${p}reset`),
    ),
    now,
  );
  if (remaining !== undefined) facts.remaining = remaining;
  if (limit !== undefined) facts.limit = limit;
  if (resetAt !== undefined) facts.resetAt = resetAt;
  const retryAfter = parseTime(firstHeader(headers, ["retry-after"]), now);
  if (retryAfter !== undefined) {
    facts.retryAfterMs = Math.max(0, retryAfter - now);
    // Retry-After is the server's explicit word: wait for it whatever the window says.
    facts.resetAt = retryAfter;
    facts.remaining = 0;
  }
  return facts;
}

export function isTransientStatus(status: number): boolean {
  return status === 429 || status === 408 || (status >= 500 && status <= 599 && status !== 501);
}

/**
 * The error Baton would raise for this response: TransientError for retryable
 * statuses, NotFoundError for 404, undefined otherwise (the caller decides).
 */
export function classifyHttpResponse(
  response: Response,
  now: number = Date.now(),
): TransientError | NotFoundError | undefined {
  const where = response.url ? ` from ${redactUrl(response.url)}` : "";
  if (isTransientStatus(response.status)) {
    return new TransientError(`HTTP ${response.status}${where}`, {
      status: response.status,
      ...parseRateLimitHeaders(response.headers, now),
    });
  }
  if (response.status === 404) return new NotFoundError(`HTTP 404${where}`);
  return undefined;
}

/** Query strings can hold secrets (API keys); errors show only origin and path. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return "the request URL";
  }
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError");
}

export interface RetryingFetchOptions {
  fetch?: typeof fetch;
  now?: () => number;
}

/** A fetch whose retryable failures surface as `TransientError` for the engine to wait on and retry. */
export function retryingFetch(options: RetryingFetchOptions = {}): typeof fetch {
  const inner = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  const wrapped = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    let response: Response;
    try {
      response = await inner(input, init);
    } catch (error) {
      // An inner retryingFetch already classified it; re-wrapping would hide its rate-limit facts.
      if (isAbort(error) || error instanceof TransientError) throw error;
      throw new TransientError(`network error: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
    if (isTransientStatus(response.status)) {
      const error = classifyHttpResponse(response, now());
      await response.body?.cancel().catch(() => undefined);
      throw error;
    }
    return response;
  };
  return wrapped as typeof fetch;
}
