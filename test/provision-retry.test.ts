/**
 * Transient upstream failures in provisioning, end to end over real sockets: a
 * local HTTP server plays the upstream, the plugin calls it through ctx.fetch
 * (connectPlugin's default, the classifying retryingFetch), and waits run on an
 * injected clock. Through grantEntitlement, the HTTP API (503 + Retry-After) and
 * the CLI (exit 1, one line).
 */
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { SignJWT } from "jose";
import * as v from "valibot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createC1z } from "../src/c1z/index.ts";
import { createApp } from "../src/http/app.ts";
import { createMemoryStateStore } from "../src/http/state/memory.ts";
import { entitlement, grant, group, resourceType, user } from "../src/model/builders.ts";
import { connectPlugin } from "../src/plugins/connect.ts";
import { definePlugin } from "../src/plugins/define.ts";
import { grantEntitlement } from "../src/provision/index.ts";
import { repoRoot, runCli, tempDir } from "./cli-support.ts";
import { json, manualClock, parseSse } from "./http-support.ts";

/** The upstream: answers each request with the next scripted reply (the last one repeats). */
let server: Server;
let base: string;
let replies: { status: number; headers?: Record<string, string> }[] = [];
const hits: string[] = [];
beforeAll(async () => {
  server = createServer((request, response) => {
    hits.push(`${request.method} ${request.url}`);
    const reply = replies.length > 1 ? replies.shift()! : replies[0];
    response.writeHead(reply.status, reply.headers ?? {});
    response.end(reply.status === 200 ? "{}" : "busy");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function script(...next: typeof replies) {
  replies = next;
  hits.length = 0;
}

const userType = resourceType({ displayName: "User", traits: ["user"] });
const groupType = resourceType({ displayName: "Group", traits: ["group"] });
const ada = user({ id: "ada", displayName: "Ada" });
const eng = group({ id: "eng", displayName: "Eng" });

/** A plugin that grants by POSTing to the upstream through ctx.fetch, failing on anything but 2xx. */
function upstreamPlugin() {
  return definePlugin({
    name: "upstream",
    displayName: "Upstream",
    config: v.object({}),
    connect: () => ({}),
    resourceTypes: [
      {
        resourceType: userType,
        list: async () => ({ items: [ada] }),
        entitlements: async () => ({ items: [] }),
        grants: async () => ({ items: [] }),
      },
      {
        resourceType: groupType,
        list: async () => ({ items: [eng] }),
        entitlements: async (resource) => ({ items: [entitlement(resource, "member")] }),
        grants: async () => ({ items: [] }),
        grant: async (principal, ent, ctx) => {
          const response = await ctx.fetch(`${base}/groups/eng/members/${principal.id!.resource}`, { method: "POST" });
          if (!response.ok) throw new Error(`upstream said ${response.status}`);
          return { grants: [grant(ent.resource!, "member", principal)] };
        },
        revoke: async () => ({ alreadyRevoked: true }),
      },
    ],
  });
}

describe("grantEntitlement over a rate-limited upstream", () => {
  it("waits the server's Retry-After (7 s) on the injected clock, then grants", async () => {
    script({ status: 429, headers: { "retry-after": "7" } }, { status: 200 });
    const clock = manualClock();
    const slept: number[] = [];
    const recording = {
      now: clock.now,
      sleep: async (ms: number) => {
        slept.push(ms);
        await clock.sleep(ms);
      },
    };
    const store = await createC1z();
    store.startSync("full");
    store.putResourceTypes([userType, groupType]);
    store.putResources([ada, eng]);
    store.putEntitlements([entitlement(eng, "member")]);
    store.endSync();
    // No fetch option: connectPlugin's default ctx.fetch must classify the 429 itself.
    const target = await connectPlugin(upstreamPlugin(), {}, { now: clock.now });
    const result = await grantEntitlement(
      target,
      store,
      { entitlementId: "group:eng:member", principalId: "ada", principalType: "user" },
      { clock: recording },
    );
    expect(result.status).toBe("granted");
    expect(result.grants.map((g) => g.id)).toEqual(["group:eng:member:user:ada"]);
    expect(hits).toEqual(["POST /groups/eng/members/ada", "POST /groups/eng/members/ada"]);
    expect(slept).toEqual([7000]);
  });
});

describe("HTTP API after the last attempt", () => {
  const SECRET = "provision-retry-test-secret-32-bytes!";
  const clock = manualClock();

  it("answers 503 problem+json with Retry-After from the upstream's reset", async () => {
    const app = createApp({
      connectors: [{ name: "upstream", plugin: upstreamPlugin(), config: {}, provisioning: true }],
      auth: { mode: "jwt", issuer: "https://idp.test", audience: "baton-edge", hsSecret: SECRET },
      state: createMemoryStateStore(),
      clock,
      log: () => {},
    });
    const now = Math.floor(clock.now() / 1000);
    const token = await new SignJWT({ scope: "sync:write sync:read provision", sub: "t" })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer("https://idp.test")
      .setAudience("baton-edge")
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(new TextEncoder().encode(SECRET));
    const headers = { authorization: `Bearer ${token}` };
    const started = await app.request("/v1/connectors/upstream/syncs", json({}, headers));
    expect(started.status).toBe(202);
    const { location } = (await started.json()) as { location: string };
    const events = parseSse(await (await app.request(`${location}/events`, { headers })).text());
    expect(JSON.parse(events.at(-1)!.data).state).toBe("succeeded");

    script({ status: 503, headers: { "retry-after": "7" } });
    const before = clock.now();
    const response = await app.request(
      "/v1/connectors/upstream/grants",
      json({ entitlementId: "group:eng:member", principal: { resourceType: "user", resource: "ada" } }, headers),
    );
    expect(response.status).toBe(503);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(response.headers.get("retry-after")).toBe("7");
    const problem = (await response.json()) as { status: number; detail: string; type: string };
    expect(problem.status).toBe(503);
    expect(problem.type).toMatch(/upstream-unavailable$/);
    expect(problem.detail).toBe(
      `grant failed: upstream unavailable after 4 attempts (HTTP 503 from ${base}/groups/eng/members/ada)`,
    );
    // Baton's builder: 3 retries, each waiting the server's 7 s (below the 60 s cap).
    expect(hits).toHaveLength(4);
    expect(clock.now() - before).toBe(21_000);
  });
});

describe("CLI after a transient failure", () => {
  const work = tempDir("provision-retry");
  afterAll(() => work.cleanup());

  it("exits 1 with one line naming the operation and the rate limit", async () => {
    mkdirSync(path.join(work.dir, "node_modules"), { recursive: true });
    symlinkSync(repoRoot, path.join(work.dir, "node_modules/baton-edge"), "dir");
    writeFileSync(path.join(work.dir, "package.json"), '{ "type": "module" }\n');
    mkdirSync(path.join(work.dir, "plugins/flaky"), { recursive: true });
    // Account creation is not retried (Baton's builder calls it once), so the CLI never sleeps here.
    writeFileSync(
      path.join(work.dir, "plugins/flaky/index.ts"),
      `import { definePlugin, resourceType, user, v } from "baton-edge/plugin";
export default definePlugin({
  name: "flaky", displayName: "Flaky",
  config: v.object({ upstream: v.pipe(v.string(), v.metadata({ description: "Upstream URL" })) }),
  connect: (config) => config,
  resourceTypes: [{ resourceType: resourceType({ displayName: "User", traits: ["user"] }), list: async () => ({ items: [] }), entitlements: async () => ({ items: [] }), grants: async () => ({ items: [] }) }],
  createAccount: async (account, ctx) => {
    await ctx.fetch(ctx.client.upstream + "/accounts?token=s3cr3t", { method: "POST" });
    return { resource: user({ id: account.login, displayName: account.login }) };
  },
});
`,
    );
    script({ status: 429, headers: { "retry-after": "7" } });
    const result = await runCli(["flaky", "--upstream", base, "--create-account-login", "bo"], {
      cwd: work.dir,
      env: { BATON_PLUGINS_DIR: path.join(work.dir, "plugins") },
    });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toBe(
      `error: create account failed: upstream rate-limited after 1 attempt (HTTP 429 from ${base}/accounts)\n`,
    );
    expect(hits).toEqual(["POST /accounts?token=s3cr3t"]);
  });
});
