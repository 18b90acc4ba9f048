/**
 * A small Okta Management API client over `fetch` (the host's ctx.fetch, whose 429/5xx
 * become TransientError with the X-Rate-Limit-* facts for the engine to wait on), so it
 * runs on Node, Bun, Deno and Workers alike. Lists follow `Link: <…>; rel="next"`.
 */
import { NotFoundError, TransientError } from "../../src/plugins/sdk.ts";

/** Okta's error body (developer.okta.com/docs/reference/error-codes). */
interface OktaErrorBody {
  errorCode?: string;
  errorSummary?: string;
  errorCauses?: { errorSummary?: string }[];
}

export class OktaApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    readonly summary: string,
    readonly causes: string[],
    where: string,
  ) {
    const cause = causes.length > 0 ? ` (${causes.join("; ")})` : "";
    const hint = status === 401 ? "; check --api-token / $BATON_API_TOKEN (or the OAuth client) and --domain" : "";
    super(`okta: ${where} answered ${status} ${errorCode || "(no error code)"}: ${summary}${cause}${hint}`);
    this.name = "OktaApiError";
  }
}

/** E0000007 "Not found" and E0000008 "The requested path was not found", as baton-okta treats them. */
export function isNotFound(error: unknown): boolean {
  return (
    error instanceof OktaApiError &&
    (error.errorCode === "E0000007" || error.errorCode === "E0000008" || error.status === 404)
  );
}

export interface OktaPage<T> {
  items: T[];
  /** The next page's path and query (from the Link header), or "" at the end. */
  next: string;
}

/** Adds the Authorization (and, for DPoP, the proof) headers to one request. */
export type Authorizer = (method: string, url: string) => Promise<Record<string, string>>;

export class OktaClient {
  /** Set when a response said the window is spent (X-Rate-Limit-Remaining: 0): epoch ms of its reset. */
  private spentUntil: number | undefined;

  constructor(
    readonly baseUrl: string,
    private readonly authorize: Authorizer,
    private readonly fetchImpl: typeof fetch,
  ) {}

  /** One request; a non-2xx answer throws OktaApiError; 204 returns undefined. */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const { data } = await this.send<T>(method, path, body);
    return data;
  }

  /** One page of a list: `pathOrNext` is the first page's path or a `next` from the previous page. */
  async list<T>(pathOrNext: string): Promise<OktaPage<T>> {
    let sent: { data: T[]; response: Response };
    try {
      sent = await this.send<T[]>("GET", pathOrNext);
    } catch (error) {
      // The object whose children are listed vanished mid-sync: Baton's NotFound (a warning).
      if (isNotFound(error)) throw new NotFoundError((error as Error).message, { cause: error });
      throw error;
    }
    return { items: sent.data ?? [], next: this.nextLink(sent.response) };
  }

  /** A list whose items sit under `key` of a JSON object (the /iam endpoints). */
  async listUnder<T>(pathOrNext: string, key: string): Promise<OktaPage<T>> {
    const sent = await this.send<Record<string, unknown>>("GET", pathOrNext);
    const items = (sent.data?.[key] ?? []) as T[];
    let next = this.nextLink(sent.response);
    const bodyNext = (sent.data?._links as { next?: { href?: string } } | undefined)?.next?.href;
    if (!next && bodyNext) next = this.sameOrigin(bodyNext);
    return { items, next };
  }

  private nextLink(response: Response): string {
    const header = response.headers.get("link");
    if (!header) return "";
    for (const part of header.split(/,(?=\s*<)/)) {
      const match = /<([^>]*)>\s*;(.*)/.exec(part.trim());
      if (match && /rel="?next"?/.test(match[2] ?? "")) return this.sameOrigin(match[1] as string);
    }
    return "";
  }

  /** A next link must stay on the org: the token is never sent anywhere else. */
  private sameOrigin(href: string): string {
    const url = new URL(href, this.baseUrl);
    if (url.origin !== new URL(this.baseUrl).origin) {
      throw new Error(`okta: a next-page link points away from the org (${url.origin}); refusing to follow it`);
    }
    return `${url.pathname}${url.search}`;
  }

  private async send<T>(method: string, path: string, body?: unknown): Promise<{ data: T; response: Response }> {
    if (this.spentUntil !== undefined) {
      // The next call would be a 429: let the engine wait for the reset (on its clock), then retry the page.
      const resetAt = this.spentUntil;
      this.spentUntil = undefined;
      throw new TransientError("okta: rate limit window spent (X-Rate-Limit-Remaining: 0)", {
        resetAt,
        remaining: 0,
        status: 429,
      });
    }
    const url = `${this.baseUrl}${path}`;
    const headers: Record<string, string> = {
      accept: "application/json",
      "user-agent": "baton-edge-okta/0.1",
      ...(await this.authorize(method, url)),
    };
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await this.fetchImpl(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const where = `${method} ${path.split("?")[0]}`;
    const remaining = response.headers.get("x-rate-limit-remaining");
    const reset = Number(response.headers.get("x-rate-limit-reset"));
    if (remaining !== null && Number(remaining) === 0 && Number.isFinite(reset) && reset > 0) {
      this.spentUntil = reset * 1000; // Okta's reset is in epoch seconds
    }
    const text = await response.text();
    if (!response.ok) {
      let parsed: OktaErrorBody = {};
      try {
        parsed = JSON.parse(text) as OktaErrorBody;
      } catch {
        parsed = { errorSummary: text.slice(0, 200) || response.statusText };
      }
      throw new OktaApiError(
        response.status,
        parsed.errorCode ?? "",
        parsed.errorSummary ?? response.statusText,
        (parsed.errorCauses ?? []).map((c) => c.errorSummary ?? "").filter(Boolean),
        where,
      );
    }
    if (text.trim() === "") return { data: undefined as T, response };
    try {
      return { data: JSON.parse(text) as T, response };
    } catch {
      throw new Error(`okta: ${where} answered ${response.status} with a body that is not JSON`);
    }
  }
}

/** `?a=1&b=2` from defined values, encoded. */
export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : "";
}

export const enc = encodeURIComponent;
