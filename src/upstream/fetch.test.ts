import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotFoundError, TransientError } from "./errors.ts";
import { classifyHttpResponse, parseRateLimitHeaders, retryingFetch } from "./fetch.ts";

// A real HTTP server answering with the status and headers named in the path.
let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://x");
    const status = Number(url.searchParams.get("status") ?? "200");
    for (const [name, value] of url.searchParams) if (name !== "status") response.setHeader(name, value);
    response.statusCode = status;
    response.end("body");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const now = Date.parse("2026-01-01T00:00:00Z");
const fetchAt = retryingFetch({ now: () => now });

async function failure(query: string): Promise<unknown> {
  try {
    await fetchAt(`${base}?${query}`);
    return undefined;
  } catch (error) {
    return error;
  }
}

describe("retryingFetch", () => {
  it.each([429, 408, 500, 502, 503, 504, 599])("turns HTTP %i into a TransientError", async (status) => {
    const error = await failure(`status=${status}`);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as TransientError).status).toBe(status);
  });

  it.each([200, 400, 401, 403, 404, 409, 501])("returns HTTP %i untouched", async (status) => {
    const response = await fetchAt(`${base}?status=${status}`);
    expect(response.status).toBe(status);
    expect(await response.text()).toBe("body");
  });

  it("reads Retry-After in delta seconds", async () => {
    const error = (await failure("status=429&retry-after=30")) as TransientError;
    expect(error.retryAfterMs).toBe(30_000);
    expect(error.resetAt).toBe(now + 30_000);
  });

  it("reads Retry-After as an HTTP date", async () => {
    const when = new Date(now + 90_000).toUTCString();
    const error = (await failure(`status=503&retry-after=${encodeURIComponent(when)}`)) as TransientError;
    expect(error.retryAfterMs).toBe(90_000);
  });

  it("reads X-RateLimit-* with an epoch-seconds reset", async () => {
    const reset = now / 1000 + 42;
    const error = (await failure(
      `status=429&x-ratelimit-remaining=0&x-ratelimit-limit=5000&x-ratelimit-reset=${reset}`,
    )) as TransientError;
    expect({ remaining: error.remaining, limit: error.limit, resetAt: error.resetAt }).toEqual({
      remaining: 0,
      limit: 5000,
      resetAt: now + 42_000,
    });
  });

  it("reads IETF RateLimit-* with a delta reset", async () => {
    const error = (await failure(
      "status=429&ratelimit-remaining=3&ratelimit-limit=10&ratelimit-reset=20",
    )) as TransientError;
    expect({ remaining: error.remaining, limit: error.limit, resetAt: error.resetAt }).toEqual({
      remaining: 3,
      limit: 10,
      resetAt: now + 20_000,
    });
  });

  it("turns a network failure into a TransientError", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(fetchAt(`http://127.0.0.1:${port}/`)).rejects.toBeInstanceOf(TransientError);
  });

  it("keeps an inner retryingFetch's rate-limit facts when wrapped twice", async () => {
    const twice = retryingFetch({ fetch: fetchAt, now: () => now });
    const error = await twice(`${base}?status=429&retry-after=7`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as TransientError).message).toMatch(/^HTTP 429/);
    expect((error as TransientError).retryAfterMs).toBe(7000);
  });

  it("keeps query strings (possible secrets) out of error messages", async () => {
    const error = (await failure("status=503&api_key=s3cr3t")) as TransientError;
    expect(error.message).not.toContain("s3cr3t");
  });
});

describe("classifyHttpResponse", () => {
  it("maps 404 to NotFoundError and leaves 400 to the caller", () => {
    expect(classifyHttpResponse(new Response("", { status: 404 }))).toBeInstanceOf(NotFoundError);
    expect(classifyHttpResponse(new Response("", { status: 400 }))).toBeUndefined();
  });

  it("parses Okta's X-Rate-Limit-* names", () => {
    const headers = new Headers({ "x-rate-limit-remaining": "0", "x-rate-limit-reset": String(now / 1000 + 5) });
    expect(parseRateLimitHeaders(headers, now)).toEqual({ remaining: 0, resetAt: now + 5000 });
  });
});
