/**
 * Provisioning over HTTP against the demo plugin, with JWT auth on: a grant
 * shows up in the next sync, a revoke removes it, Idempotency-Key replays the
 * first result, and accounts, rotations and deletes reach the plugin.
 */
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import demo from "../plugins/demo/index.ts";
import { createApp } from "../src/http/app.ts";
import { createMemoryStateStore } from "../src/http/state/memory.ts";
import { collectLogs, inProcess, json, manualClock, overSocket, parseSse, type Transport } from "./http-support.ts";

const SECRET = "provisioning-test-secret-32-bytes-long!";
const clock = manualClock();
const DEMO_CONFIG = { users: 12, groups: 4, grants: 20, pageSize: 7 };

async function bearer(scope: string, sub = "workflow-engine"): Promise<string> {
  const now = Math.floor(clock.now() / 1000);
  const token = await new SignJWT({ scope, sub })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer("https://idp.test")
    .setAudience("baton-edge")
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(new TextEncoder().encode(SECRET));
  return `Bearer ${token}`;
}

function demoApp(provisioning: boolean, sink = (() => {}) as Parameters<typeof createApp>[0]["log"]) {
  return createApp({
    connectors: [{ name: "demo", plugin: demo, config: DEMO_CONFIG, provisioning }],
    auth: { mode: "jwt", issuer: "https://idp.test", audience: "baton-edge", hsSecret: SECRET },
    state: createMemoryStateStore(),
    clock,
    log: sink,
  });
}

interface GrantJson {
  id: string;
  principal: { id: { resourceType: string; resource: string } };
}

describe.each(["app.request", "socket"])("provisioning the demo via %s", (mode) => {
  let transport: Transport;
  let auth: Record<string, string>;
  const logs = collectLogs();

  const call = (path: string, init: RequestInit = {}) =>
    transport.request(path, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } });
  const get = async <T>(path: string): Promise<T> => {
    const response = await call(path);
    expect(response.status).toBe(200);
    return (await response.json()) as T;
  };
  const sync = async () => {
    const started = await call("/v1/connectors/demo/syncs", json({}));
    expect(started.status).toBe(202);
    const { location } = (await started.json()) as { location: string };
    const events = parseSse(await (await call(`${location}/events`)).text());
    expect(JSON.parse(events.at(-1)!.data).state).toBe("succeeded");
  };
  /** Every grant of an entitlement, across pages. */
  const grantsOf = async (entitlementId: string): Promise<GrantJson[]> => {
    const all: GrantJson[] = [];
    let token = "";
    do {
      const page = await get<{ items: GrantJson[]; nextPageToken: string }>(
        `/v1/connectors/demo/grants?entitlementId=${encodeURIComponent(entitlementId)}&pageSize=5&pageToken=${token}`,
      );
      all.push(...page.items);
      token = page.nextPageToken;
    } while (token);
    return all;
  };

  beforeAll(async () => {
    const app = demoApp(true, logs.sink);
    transport = mode === "socket" ? await overSocket(app) : inProcess(app);
    auth = { authorization: await bearer("sync:read sync:write provision") };
    await sync();
  });
  afterAll(() => transport.close());

  it("grant → sync shows it; replayed key → first result; revoke → sync removes it", async () => {
    const groups = await get<{ items: { id: { resource: string } }[] }>(
      "/v1/connectors/demo/resources?resourceType=group&pageSize=50",
    );
    const entitlements = await get<{ items: { id: string }[] }>(
      `/v1/connectors/demo/entitlements?resourceType=group&resourceId=${groups.items[0].id.resource}`,
    );
    const entitlementId = entitlements.items[0].id;
    const holders = new Set((await grantsOf(entitlementId)).map((g) => g.principal.id.resource));
    const users = await get<{ items: { id: { resource: string } }[] }>(
      "/v1/connectors/demo/resources?resourceType=user&pageSize=100",
    );
    const outsider = users.items.map((u) => u.id.resource).find((id) => !holders.has(id))!;
    expect(outsider).toBeDefined();

    const body = { entitlementId, principal: { resourceType: "user", resource: outsider } };
    const key = { "idempotency-key": `grant-${mode}-1` };
    // Concurrent retries with one key: the plugin runs once, every caller gets the first result.
    const first = await Promise.all([1, 2, 3].map(() => call("/v1/connectors/demo/grants", json(body, key))));
    expect(first.map((r) => r.status)).toEqual([201, 201, 201]);
    const bodies = await Promise.all(first.map((r) => r.json()));
    expect(bodies[0]).toMatchObject({ alreadyExists: false });
    expect(bodies[1]).toEqual(bodies[0]);
    expect(bodies[2]).toEqual(bodies[0]);
    expect(first.filter((r) => r.headers.get("idempotent-replayed") === "true")).toHaveLength(2);

    // A later replay: same answer, although the plugin would now say "already exists".
    const replay = await call("/v1/connectors/demo/grants", json(body, key));
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(await replay.json()).toEqual(bodies[0]);
    const fresh = await call("/v1/connectors/demo/grants", json(body, { "idempotency-key": `grant-${mode}-2` }));
    expect(fresh.status).toBe(200);
    expect(((await fresh.json()) as { alreadyExists: boolean }).alreadyExists).toBe(true);
    // The same key with a different request is refused.
    const reused = await call(
      "/v1/connectors/demo/grants",
      json({ ...body, principal: { resourceType: "user", resource: "someone-else" } }, key),
    );
    expect(reused.status).toBe(422);

    const grantId = `${entitlementId}:user:${outsider}`;
    expect((await grantsOf(entitlementId)).map((g) => g.id)).not.toContain(grantId);
    await sync();
    expect((await grantsOf(entitlementId)).map((g) => g.id)).toContain(grantId);
    const access = await get<{ items: { grant: { id: string }; entitlement: { id: string } }[] }>(
      `/v1/connectors/demo/access?principalType=user&principalId=${outsider}&pageSize=100`,
    );
    expect(access.items.map((a) => a.entitlement.id)).toContain(entitlementId);

    const revokeKey = { "idempotency-key": `revoke-${mode}-1` };
    const revoked = await call(`/v1/connectors/demo/grants/${encodeURIComponent(grantId)}`, {
      method: "DELETE",
      headers: revokeKey,
    });
    expect(revoked.status).toBe(200);
    expect(await revoked.json()).toEqual({ alreadyRevoked: false });
    const revokeReplay = await call(`/v1/connectors/demo/grants/${encodeURIComponent(grantId)}`, {
      method: "DELETE",
      headers: revokeKey,
    });
    expect(await revokeReplay.json()).toEqual({ alreadyRevoked: false });
    await sync();
    expect((await grantsOf(entitlementId)).map((g) => g.id)).not.toContain(grantId);
    // Revoking what the latest sync no longer has: not found in the c1z, as Baton.
    const gone = await call(`/v1/connectors/demo/grants/${encodeURIComponent(grantId)}`, { method: "DELETE" });
    expect(gone.status).toBe(404);
  });

  it("creates an account (credentials once, redacted on replay), rotates, deletes", async () => {
    const key = { "idempotency-key": `account-${mode}` };
    const account = { login: `new.${mode.replace(".", "")}`, emails: [{ address: "new@example.test", primary: true }] };
    const created = await call("/v1/connectors/demo/accounts", json(account, key));
    expect(created.status).toBe(201);
    const first = (await created.json()) as {
      status: string;
      resource: { id: { resource: string } };
      credentials: { name: string; value: string | null; redacted?: boolean }[];
    };
    expect(first.status).toBe("success");
    expect(first.credentials[0].value).toMatch(/^.{20}$/);
    const replay = (await (await call("/v1/connectors/demo/accounts", json(account, key))).json()) as typeof first;
    expect(replay.resource).toEqual(first.resource);
    expect(replay.credentials).toEqual([{ name: first.credentials[0].name, value: null, redacted: true }]);
    const password = first.credentials[0].value!;
    expect(JSON.stringify(logs.lines)).not.toContain(password);

    const userId = first.resource.id.resource;
    const rotated = await call(
      "/v1/connectors/demo/credentials/rotate",
      json({ resourceType: "user", resource: userId }),
    );
    expect(rotated.status).toBe(200);
    const newPassword = ((await rotated.json()) as { credentials: { value: string }[] }).credentials[0].value;
    expect(newPassword).not.toBe(password);
    expect(JSON.stringify(logs.lines)).not.toContain(newPassword);

    await sync();
    const users = await get<{ items: { id: { resource: string } }[] }>(
      "/v1/connectors/demo/resources?resourceType=user&pageSize=100",
    );
    expect(users.items.map((u) => u.id.resource)).toContain(userId);
    const deleted = await call(`/v1/connectors/demo/resources/user/${userId}`, { method: "DELETE" });
    expect(await deleted.json()).toEqual({ alreadyDeleted: false });
    const again = await call(`/v1/connectors/demo/resources/user/${userId}`, { method: "DELETE" });
    expect(await again.json()).toEqual({ alreadyDeleted: true });
    await sync();
    const after = await get<{ items: { id: { resource: string } }[] }>(
      "/v1/connectors/demo/resources?resourceType=user&pageSize=100",
    );
    expect(after.items.map((u) => u.id.resource)).not.toContain(userId);
  });

  it("answers 404 for an entitlement the latest sync does not have", async () => {
    const response = await call(
      "/v1/connectors/demo/grants",
      json({ entitlementId: "group:nope:member", principal: { resourceType: "user", resource: "u-0001" } }),
    );
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  });
});

describe("the provisioning gate and the provision scope", () => {
  it("needs both the provision scope and provisioning enabled for the connector", async () => {
    const off = demoApp(false);
    const on = demoApp(true);
    const body = json({ entitlementId: "x", principal: { resourceType: "user", resource: "u" } });
    const withScope = { authorization: await bearer("provision") };
    const withoutScope = { authorization: await bearer("sync:read sync:write") };
    const status = async (app: ReturnType<typeof demoApp>, headers: Record<string, string>) => {
      const response = await app.request("/v1/connectors/demo/grants", {
        ...body,
        headers: { ...(body.headers as Record<string, string>), ...headers },
      });
      return [response.status, ((await response.json()) as { reason?: string; type: string }).type.split("/").at(-1)];
    };
    expect(await status(off, withScope)).toEqual([403, "provisioning-disabled"]);
    expect(await status(on, withoutScope)).toEqual([403, "insufficient-scope"]);
    // Allowed through both checks, it reaches provisioning: no finished sync yet.
    expect(await status(on, withScope)).toEqual([409, "no-finished-sync"]);
  });
});
