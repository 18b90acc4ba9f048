/**
 * The auth table: every case answered with the right status and reason, both
 * through `app.request` and over a real socket. Keys are made with jose in the
 * test; the JWKS comes from a real local HTTP server that the test rotates.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from "jose";
import * as v from "valibot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, createAppWithServices } from "../src/http/app.ts";
import type { AuthSettings } from "../src/http/auth/jwt.ts";
import { createMemoryStateStore } from "../src/http/state/memory.ts";
import { definePlugin, resourceType, user } from "../src/plugins/sdk.ts";
import { inProcess, json, manualClock, overSocket, type Transport } from "./http-support.ts";

const ISSUER = "https://issuer.test";
const AUDIENCE = "baton-edge";
const clock = manualClock();
const nowSec = () => Math.floor(clock.now() / 1000);

const tiny = definePlugin({
  name: "tiny",
  displayName: "Tiny",
  config: v.object({}),
  connect: () => ({}),
  resourceTypes: [
    {
      resourceType: resourceType({ displayName: "User", traits: ["user"], skip: "entitlementsAndGrants" }),
      list: async () => ({ items: [user({ id: "u1", displayName: "U1", login: "u1" })] }),
      entitlements: async () => ({ items: [] }),
      grants: async () => ({ items: [] }),
    },
  ],
});

interface Keys {
  rsa: CryptoKeyPair;
  other: CryptoKeyPair;
  rsaPem: string;
}

let keys: Keys;

async function token(
  claims: Record<string, unknown>,
  options: { key?: CryptoKey | Uint8Array; alg?: string; kid?: string } = {},
): Promise<string> {
  const jwt = new SignJWT({ iss: ISSUER, aud: AUDIENCE, iat: nowSec(), exp: nowSec() + 300, sub: "tester", ...claims });
  jwt.setProtectedHeader({ alg: options.alg ?? "RS256", ...(options.kid ? { kid: options.kid } : {}) });
  return jwt.sign(options.key ?? keys.rsa.privateKey);
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

function appFor(auth: AuthSettings, provisioning = false, fetchImpl?: typeof fetch) {
  return createApp({
    connectors: [{ name: "tiny", plugin: tiny, config: {}, provisioning }],
    auth,
    clock,
    log: () => {},
    state: createMemoryStateStore(),
    fetch: fetchImpl,
  });
}

beforeAll(async () => {
  const rsa = await generateKeyPair("RS256", { extractable: true });
  const other = await generateKeyPair("RS256", { extractable: true });
  keys = { rsa, other, rsaPem: await exportSPKI(rsa.publicKey) };
});

type Case = {
  name: string;
  method?: string;
  path?: string;
  authorization: () => Promise<string | undefined>;
  status: number;
  reason?: string;
};

const cases: Case[] = [
  { name: "valid token", authorization: async () => `Bearer ${await token({ scope: "sync:read" })}`, status: 200 },
  { name: "scp array claim", authorization: async () => `Bearer ${await token({ scp: ["sync:read"] })}`, status: 200 },
  { name: "missing", authorization: async () => undefined, status: 401, reason: "missing" },
  { name: "malformed", authorization: async () => "Bearer not-a-jwt", status: 401, reason: "malformed" },
  { name: "not a bearer scheme", authorization: async () => "Basic dXNlcjpwYXNz", status: 401, reason: "malformed" },
  {
    name: "bad signature",
    authorization: async () => `Bearer ${await token({ scope: "sync:read" }, { key: keys.other.privateKey })}`,
    status: 401,
    reason: "bad-signature",
  },
  {
    name: "expired (beyond the 30 s skew)",
    authorization: async () => `Bearer ${await token({ scope: "sync:read", exp: nowSec() - 120 })}`,
    status: 401,
    reason: "expired",
  },
  {
    name: "expired 10 s ago (inside the skew)",
    authorization: async () => `Bearer ${await token({ scope: "sync:read", exp: nowSec() - 10 })}`,
    status: 200,
  },
  {
    name: "not yet valid",
    authorization: async () => `Bearer ${await token({ scope: "sync:read", nbf: nowSec() + 120 })}`,
    status: 401,
    reason: "not-yet-valid",
  },
  {
    name: "no exp claim",
    authorization: async () => `Bearer ${await token({ scope: "sync:read", exp: undefined })}`,
    status: 401,
    reason: "invalid-claims",
  },
  {
    name: "wrong iss",
    authorization: async () => `Bearer ${await token({ scope: "sync:read", iss: "https://evil.test" })}`,
    status: 401,
    reason: "wrong-issuer",
  },
  {
    name: "wrong aud",
    authorization: async () => `Bearer ${await token({ scope: "sync:read", aud: "someone-else" })}`,
    status: 401,
    reason: "wrong-audience",
  },
  {
    name: "alg none",
    authorization: async () =>
      `Bearer ${b64url({ alg: "none", typ: "JWT" })}.${b64url({ iss: ISSUER, aud: AUDIENCE, exp: nowSec() + 300, scope: "sync:read" })}.`,
    status: 401,
    reason: "alg-not-allowed",
  },
  {
    name: "HS256 signed with the RSA public key",
    authorization: async () =>
      `Bearer ${await token({ scope: "sync:read" }, { alg: "HS256", key: new TextEncoder().encode(keys.rsaPem) })}`,
    status: 401,
    reason: "alg-not-allowed",
  },
  {
    name: "missing scope",
    method: "POST",
    path: "/v1/connectors/tiny/syncs",
    authorization: async () => `Bearer ${await token({ scope: "sync:read" })}`,
    status: 403,
    reason: "insufficient-scope",
  },
  {
    name: "provisioning not enabled",
    method: "POST",
    path: "/v1/connectors/tiny/accounts",
    authorization: async () => `Bearer ${await token({ scope: "provision sync:read" })}`,
    status: 403,
    reason: "provisioning-disabled",
  },
];

async function send(transport: Transport, c: Case): Promise<Response> {
  const authorization = await c.authorization();
  const headers: Record<string, string> = authorization ? { authorization } : {};
  if (c.method === "POST") {
    return transport.request(c.path!, json(c.path!.endsWith("accounts") ? { login: "x" } : {}, headers));
  }
  return transport.request(c.path ?? "/v1/connectors", { headers });
}

describe.each(["app.request", "socket"])("auth with an RSA public key (PEM) via %s", (mode) => {
  let transport: Transport;
  beforeAll(async () => {
    const app = appFor({ mode: "jwt", issuer: ISSUER, audience: AUDIENCE, publicKey: keys.rsaPem });
    transport = mode === "socket" ? await overSocket(app) : inProcess(app);
  });
  afterAll(() => transport.close());

  it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const response = await send(transport, c);
    expect(response.status).toBe(c.status);
    if (c.status === 200) return;
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const problem = (await response.json()) as { reason: string; status: number };
    expect(problem.status).toBe(c.status);
    expect(problem.reason).toBe(c.reason);
    if (c.status === 401) expect(response.headers.get("www-authenticate")).toMatch(/^Bearer realm="baton-edge"/);
    if (c.reason === "insufficient-scope") {
      expect(response.headers.get("www-authenticate")).toContain('error="insufficient_scope"');
    }
  });
});

describe("auth with an HS secret", () => {
  const secret = "a-test-secret-of-at-least-32-bytes!!";
  it("accepts HS256 with the secret and refuses an RS256 token (the key type decides the algorithms)", async () => {
    const app = appFor({ mode: "jwt", issuer: ISSUER, audience: AUDIENCE, hsSecret: secret });
    const hs = await token({ scope: "sync:read" }, { alg: "HS256", key: new TextEncoder().encode(secret) });
    expect((await app.request("/v1/connectors", { headers: { authorization: `Bearer ${hs}` } })).status).toBe(200);
    const rs = await token({ scope: "sync:read" });
    const refused = await app.request("/v1/connectors", { headers: { authorization: `Bearer ${rs}` } });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { reason: string }).reason).toBe("alg-not-allowed");
  });

  it("refuses a short secret, two key sources, or no audience at creation", () => {
    const base = { mode: "jwt", issuer: ISSUER, audience: AUDIENCE } as const;
    expect(() => appFor({ ...base, hsSecret: "short" })).toThrow(/at least 32 bytes/);
    expect(() => appFor({ ...base, hsSecret: secret, publicKey: keys.rsaPem })).toThrow(/exactly one/);
    expect(() => appFor({ ...base, audience: "", hsSecret: secret })).toThrow(/audience/);
  });
});

describe("auth with a public JWK", () => {
  it("accepts ES256 for a P-256 JWK and refuses RS256", async () => {
    const ec = await generateKeyPair("ES256", { extractable: true });
    const jwk = await exportJWK(ec.publicKey);
    const app = appFor({ mode: "jwt", issuer: ISSUER, audience: AUDIENCE, publicKey: JSON.stringify(jwk) });
    const good = await token({ scope: "sync:read" }, { alg: "ES256", key: ec.privateKey });
    expect((await app.request("/v1/connectors", { headers: { authorization: `Bearer ${good}` } })).status).toBe(200);
    const rs = await token({ scope: "sync:read" });
    expect((await app.request("/v1/connectors", { headers: { authorization: `Bearer ${rs}` } })).status).toBe(401);
  });
});

describe("auth with a JWKS URL served over HTTP", () => {
  let server: Server;
  let url: string;
  let published: JWK[] = [];
  let fetches = 0;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      fetches++;
      res.writeHead(200, { "content-type": "application/jwk-set+json" });
      res.end(JSON.stringify({ keys: published }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("refuses an unknown kid, refetches at most once per cooldown, then accepts the rotated key", async () => {
    const oldKey = await generateKeyPair("RS256", { extractable: true });
    const newKey = await generateKeyPair("RS256", { extractable: true });
    published = [{ ...(await exportJWK(oldKey.publicKey)), kid: "k1", alg: "RS256", use: "sig" }];
    fetches = 0;
    const { app } = createAppWithServices({
      connectors: [{ name: "tiny", plugin: tiny, config: {} }],
      auth: { mode: "jwt", issuer: ISSUER, audience: AUDIENCE, jwksUrl: url, jwksCooldownMs: 30_000 },
      clock,
      log: () => {},
    });
    const transport = await overSocket(app);
    try {
      const ask = async (key: CryptoKey, kid: string) => {
        const t = await token({ scope: "sync:read" }, { key, kid });
        const response = await transport.request("/v1/connectors", { headers: { authorization: `Bearer ${t}` } });
        const body = (await response.json()) as { reason?: string };
        return { status: response.status, reason: body.reason };
      };
      expect(await ask(oldKey.privateKey, "k1")).toEqual({ status: 200, reason: undefined });
      expect(fetches).toBe(1);

      // The issuer starts signing with k2 before it is published.
      expect(await ask(newKey.privateKey, "k2")).toEqual({ status: 401, reason: "unknown-kid" });
      published = [...published, { ...(await exportJWK(newKey.publicKey)), kid: "k2", alg: "RS256", use: "sig" }];

      // Inside the cooldown the cache is not refetched, however many unknown-kid tokens arrive.
      clock.advance(10_000);
      expect(await ask(newKey.privateKey, "k2")).toEqual({ status: 401, reason: "unknown-kid" });
      expect(await ask(newKey.privateKey, "k2")).toEqual({ status: 401, reason: "unknown-kid" });
      expect(fetches).toBe(1);

      clock.advance(25_000);
      expect(await ask(newKey.privateKey, "k2")).toEqual({ status: 200, reason: undefined });
      expect(fetches).toBe(2);
      // The old key still works from the same refreshed set, without another fetch.
      expect(await ask(oldKey.privateKey, "k1")).toEqual({ status: 200, reason: undefined });
      expect(fetches).toBe(2);
    } finally {
      await transport.close();
    }
  });
});

describe("auth off", () => {
  it("is only off when said explicitly, and then every scope is granted", async () => {
    expect(() => createApp({ connectors: [], auth: undefined as unknown as AuthSettings, log: () => {} })).toThrow(
      /auth settings are required/,
    );
    const lines: string[] = [];
    const app = createApp({
      connectors: [{ name: "tiny", plugin: tiny, config: {} }],
      auth: { mode: "off" },
      log: (line) => lines.push(line.msg),
    });
    expect(lines.some((l) => /auth is OFF/.test(l))).toBe(true);
    expect((await app.request("/v1/connectors")).status).toBe(200);
  });
});
