/**
 * The okta plugin against the local Okta, in this process: the conformance harness
 * (testPlugin: paging, ids, targeted get, a full sync, grant → listed → repeat → revoke →
 * gone → repeat), the seeded org read back fact by fact, Okta's 429 with
 * X-Rate-Limit-Reset waited out on an injected clock, and account lifecycle.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { exportPKCS8, exportSPKI, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import okta from "../plugins/okta/index.ts";
import { createC1z } from "../src/c1z/index.ts";
import { testPlugin } from "../src/conformance/test-plugin.ts";
import { connectPlugin } from "../src/plugins/connect.ts";
import { invokeAction } from "../src/provision/actions.ts";
import { createAccount as provisionAccount } from "../src/provision/index.ts";
import { retryingFetch, runSync } from "../src/sync/index.ts";
import { manualClock } from "./http-support.ts";
import { readFacts } from "./support/okta-c1z.ts";
import { type LocalOkta, oktaConfig, startLocalOkta, syncOkta } from "./support/okta-harness.ts";
import { trustingFetch } from "./support/okta-tls.ts";

describe("okta plugin against the local Okta", () => {
  let local: LocalOkta;
  let dir: string;
  const clock = manualClock();

  beforeAll(async () => {
    local = await startLocalOkta({ maxPageSize: 60, now: clock.now });
    dir = mkdtempSync(path.join(tmpdir(), "baton-edge-okta-sync-"));
  });
  afterAll(async () => {
    await local?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("passes testPlugin: paging, ids, targeted get, a full sync, and grant/revoke of every provisionable type", async () => {
    const report = await testPlugin(okta, {
      config: { domain: local.server.domain, apiToken: local.server.token },
      fetch: trustingFetch(local.ca),
      maxResourcesPerType: 12,
    });
    const names = report.checks.map((c) => c.name);
    expect(report.checks.every((c) => c.ok)).toBe(true);
    for (const type of ["group", "role", "app"]) {
      expect(
        names.some((n) => n.includes(type) && /revoke/i.test(n)),
        `provisioning checked for ${type}`,
      ).toBe(true);
    }
  });

  it("the c1z holds the seeded org: every user with Okta's status, members, role and app assignments", async () => {
    const file = path.join(dir, "facts.c1z");
    await syncOkta(local, file);
    const facts = await readFacts(file);
    const org = local.server.org;
    expect(facts.resourceIds.get("user")).toEqual(org.users.map((u) => u.id).sort());
    const byId = new Map(facts.resources.map((r) => [`${r.id?.resourceType}:${r.id?.resource}`, r]));
    for (const u of org.users) {
      const synced = byId.get(`user:${u.id}`);
      const disabled = ["STAGED", "SUSPENDED", "DEPROVISIONED"].includes(u.status);
      expect(synced?.status?.details).toBe(u.status);
      expect(synced?.status?.status).toBe(disabled ? 2 : 1);
    }
    const expectedMembers = [...org.members].flatMap(([g, ids]) => ids.map((u) => `group:${g}:member:user:${u}`));
    const memberGrants = facts.grantIds.filter((id) => id.startsWith("group:"));
    expect(memberGrants).toEqual(expectedMembers.sort());
    // Direct role assignments (ACTIVE, USER) and the group ones, before expansion adds the members.
    for (const [userId, roles] of org.userRoles) {
      for (const r of roles.filter((r) => r.status === "ACTIVE" && r.type !== "CUSTOM")) {
        expect(facts.grantIds).toContain(`role:${r.type}:assigned:user:${userId}`);
      }
    }
    const inactive = [...org.userRoles].flatMap(([u, roles]) =>
      roles.filter((r) => r.status === "INACTIVE").map((r) => `role:${r.type}:assigned:user:${u}`),
    );
    expect(inactive.length).toBeGreaterThan(0);
    for (const id of inactive) {
      // Held only through an inactive assignment (and no group): not a grant.
      const holder = id.split(":").pop() as string;
      const viaGroup = [...org.groupRoles].some(
        ([g, roles]) => roles.some((r) => id.startsWith(`role:${r.type}:`)) && org.members.get(g)?.includes(holder),
      );
      const direct = org.userRoles.get(holder)?.some((r) => r.status === "ACTIVE" && id.startsWith(`role:${r.type}:`));
      if (!viaGroup && !direct) expect(facts.grantIds).not.toContain(id);
    }
    for (const [appId, groups] of org.appGroups) {
      for (const g of groups) expect(facts.grantIds).toContain(`app:${appId}:access:group:${g}`);
    }
  });

  it("waits out a 429 for the X-Rate-Limit-Reset the server gave, on the injected clock, and finishes", async () => {
    const slept: number[] = [];
    const recording = {
      now: clock.now,
      sleep: async (ms: number) => {
        slept.push(ms);
        await clock.sleep(ms);
      },
    };
    local.server.rateLimit(/^\/api\/v1\/groups$/, 2, 30);
    const before = clock.now();
    const file = path.join(dir, "rate-limited.c1z");
    await syncOkta(local, file, {}, recording);
    // Reset is 30 s ahead in epoch seconds; the clock sits on a whole second, so each wait is exactly 30 s.
    expect(slept.filter((ms) => ms >= 1000)).toEqual([30_000, 30_000]);
    expect(clock.now() - before).toBeGreaterThanOrEqual(60_000);
    const tries = local.server.requests.filter((r) => r.startsWith("GET /api/v1/groups?"));
    expect(tries.length).toBeGreaterThanOrEqual(3);
    expect(local.server.tooManyRequests()).toBe(2);
    expect((await readFacts(file)).resourceIds.get("group")?.length).toBe(local.server.org.groups.length);
  });

  it("a response with X-Rate-Limit-Remaining: 0 makes the next call wait for the reset, with no 429 served", async () => {
    const slept: number[] = [];
    const recording = {
      now: clock.now,
      sleep: async (ms: number) => {
        slept.push(ms);
        await clock.sleep(ms);
      },
    };
    local.server.spendWindow(/^\/api\/v1\/apps$/, 45);
    const refusedBefore = local.server.tooManyRequests();
    const file = path.join(dir, "window-spent.c1z");
    await syncOkta(local, file, {}, recording);
    expect(slept.filter((ms) => ms >= 1000)).toEqual([45_000]);
    expect((await readFacts(file)).resourceIds.get("app")?.length).toBe(local.server.org.apps.length);
    // Waiting replaced the request that would have been refused: the server served no 429.
    expect(local.server.tooManyRequests()).toBe(refusedBefore);
  });

  it("a rejected token fails the sync with Okta's error, without the token", async () => {
    const target = await connectPlugin(okta, oktaConfig(local, { apiToken: "00wrong-token-for-the-local-okta" }), {
      fetch: retryingFetch({ fetch: trustingFetch(local.ca) }),
    });
    const store = await createC1z();
    const error = await runSync({ plugin: okta, client: target.client, store }).catch((e: unknown) => e as Error);
    expect(String(error)).toMatch(/401 E0000011: Invalid token provided/);
    expect(String(error)).not.toContain("00wrong-token");
  });

  it("creates an account (an existing login reports already existing) and enables/disables users", async () => {
    const target = await connectPlugin(okta, oktaConfig(local), {
      fetch: retryingFetch({ fetch: trustingFetch(local.ca) }),
    });
    try {
      const account = {
        login: "grace.hopper@example.com",
        profile: { first_name: "Grace", last_name: "Hopper", email: "grace.hopper@example.com" },
      };
      const created = await provisionAccount(target, account);
      expect(created.status).toBe("success");
      const made = local.server.org.users.find((u) => u.profile.login === "grace.hopper@example.com");
      expect(made?.status).toBe("ACTIVE");
      expect(created.resource?.id?.resource).toBe(made?.id);
      const again = await provisionAccount(target, account);
      expect(again.status).toBe("already-exists");
      expect(again.resource?.id?.resource).toBe(made?.id);

      const run = async (name: string, userId: string | undefined) =>
        String((await invokeAction(target, name, { user_id: userId })).response.message);
      expect(await run("disable_user", made?.id)).toMatch(/successfully disabled/);
      expect(made?.status).toBe("SUSPENDED");
      expect(await run("disable_user", made?.id)).toMatch(/already disabled/);
      expect(await run("enable_user", made?.id)).toMatch(/successfully enabled/);
      expect(made?.status).toBe("ACTIVE");
      const staged = local.server.org.users.find((u) => u.status === "STAGED");
      await run("enable_user", staged?.id);
      expect(staged?.status).toBe("PROVISIONED");
    } finally {
      await target.close();
    }
  });
});

describe("okta plugin with an OAuth 2.0 service app (private_key_jwt, DPoP)", () => {
  let local: LocalOkta;
  let dir: string;
  let privateKeyPem: string;
  const app = { clientId: "0oaserviceapp0000001", keyId: "kid-test-1" };

  beforeAll(async () => {
    const pair = await generateKeyPair("RS256", { extractable: true });
    privateKeyPem = await exportPKCS8(pair.privateKey);
    local = await startLocalOkta({ oauthApp: { ...app, publicKeyPem: await exportSPKI(pair.publicKey) } });
    dir = mkdtempSync(path.join(tmpdir(), "baton-edge-okta-oauth-"));
  });
  afterAll(async () => {
    await local?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("gets a DPoP-bound token (after the nonce challenge) once, and syncs with it", async () => {
    const file = path.join(dir, "oauth.c1z");
    await syncOkta(local, file, {
      apiToken: undefined,
      oktaClientId: app.clientId,
      oktaPrivateKeyId: app.keyId,
      oktaPrivateKey: privateKeyPem,
    });
    const tokenCalls = local.server.requests.filter((r) => r.startsWith("POST /oauth2/v1/token"));
    expect(tokenCalls).toHaveLength(2); // use_dpop_nonce, then the token
    const facts = await readFacts(file);
    expect(facts.resourceIds.get("user")?.length).toBe(local.server.org.users.length);
    expect(facts.grantIds.length).toBeGreaterThan(1000);
  });

  it("a key the org does not know is refused with the token endpoint's reason", async () => {
    const other = await generateKeyPair("RS256", { extractable: true });
    const error = await syncOkta(local, path.join(dir, "refused.c1z"), {
      apiToken: undefined,
      oktaClientId: app.clientId,
      oktaPrivateKeyId: app.keyId,
      oktaPrivateKey: await exportPKCS8(other.privateKey),
    }).catch((e: unknown) => e as Error);
    expect(String(error)).toMatch(/token endpoint refused the service app \(401 invalid_client/);
    expect(String(error)).not.toContain("PRIVATE KEY");
  });
});
