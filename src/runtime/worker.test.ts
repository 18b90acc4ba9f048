import { describe, expect, it } from "vitest";
import worker, { refusesWithAuthOff } from "./worker.ts";

describe("worker fetch with auth off", () => {
  it("serves only loopback-addressed requests (a Worker cannot bind to loopback)", async () => {
    const env = { BATON_AUTH: "off" };
    expect(refusesWithAuthOff(env, new URL("http://127.0.0.1:8787/healthz"))).toBe(false);
    expect(refusesWithAuthOff(env, new URL("https://baton.example.workers.dev/healthz"))).toBe(true);
    const ctx = { waitUntil: () => {} };
    const remote = await worker.fetch(new Request("https://baton.example.workers.dev/v1/connectors"), env, ctx);
    expect(remote.status).toBe(403);
    expect(((await remote.json()) as { detail: string }).detail).toMatch(/auth is off/);
    const local = await worker.fetch(new Request("http://127.0.0.1:8787/v1/connectors"), env, ctx);
    expect(local.status).toBe(200);
  });

  it("answers 503 without leaking settings when auth is not configured", async () => {
    const response = await worker.fetch(new Request("https://x.workers.dev/healthz"), {}, { waitUntil: () => {} });
    expect(response.status).toBe(503);
    expect(await response.text()).not.toMatch(/BATON_AUTH_HS_SECRET/);
  });
});
