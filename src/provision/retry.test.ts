/**
 * Grant and revoke retry transient upstream failures as Baton's builder does
 * (resource_provisioner.go: MaxAttempts 3, InitialDelay 15 s, MaxDelay 60 s;
 * retry.go: wait = failures × 15 s, or the rate-limit reset, capped at 60 s;
 * the 4th failure is returned). Waits run on an injected clock.
 */
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { createC1z } from "../c1z/index.ts";
import { entitlement, grant, group, resourceType, user } from "../model/builders.ts";
import { connectPlugin } from "../plugins/connect.ts";
import type { Logger } from "../plugins/contract.ts";
import { definePlugin } from "../plugins/define.ts";
import type { Clock } from "../upstream/clock.ts";
import { TransientError } from "../upstream/errors.ts";
import { createAccount, deleteResource, grantEntitlement, ProvisionError, revokeGrant } from "./index.ts";

const START = Date.UTC(2026, 10, 28, 12, 0, 0);

function testClock(): Clock & { slept: number[] } {
  let now = START;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

type Step = Error | "ok";

/** A plugin whose every provisioning call plays the next scripted step. */
function scriptedPlugin(steps: Step[], calls: string[]) {
  const play = async (op: string) => {
    calls.push(op);
    const step = steps.shift() ?? "ok";
    if (step !== "ok") throw step;
  };
  const userType = resourceType({ displayName: "User", traits: ["user"] });
  const groupType = resourceType({ displayName: "Group", traits: ["group"] });
  const listing = { list: async () => ({ items: [] }), entitlements: async () => ({ items: [] }) };
  return definePlugin({
    name: "flaky",
    displayName: "Flaky",
    config: v.object({}),
    connect: () => ({}),
    resourceTypes: [
      { resourceType: userType, ...listing, grants: async () => ({ items: [] }) },
      {
        resourceType: groupType,
        ...listing,
        grants: async () => ({ items: [] }),
        grant: async () => {
          await play("grant");
          return {};
        },
        revoke: async () => {
          await play("revoke");
          return {};
        },
      },
    ],
    createAccount: async () => {
      await play("createAccount");
      return {};
    },
    deleteResource: async () => {
      await play("deleteResource");
      return {};
    },
    deleteResourceTypes: ["user"],
  });
}

async function c1z() {
  const store = await createC1z();
  const ada = user({ id: "ada", displayName: "Ada" });
  const eng = group({ id: "eng", displayName: "Eng" });
  store.startSync("full");
  store.putResourceTypes([
    resourceType({ displayName: "User", traits: ["user"] }),
    resourceType({ displayName: "Group", traits: ["group"] }),
  ]);
  store.putResources([ada, eng]);
  store.putEntitlements([entitlement(eng, "member")]);
  store.putGrants([grant(eng, "member", ada)]);
  store.endSync();
  return store;
}

const GRANT = { entitlementId: "group:eng:member", principalId: "ada", principalType: "user" };

async function setup(steps: Step[]) {
  const calls: string[] = [];
  const warnings: Record<string, unknown>[] = [];
  const log: Logger = {
    debug() {},
    info() {},
    warn: (_message, fields) => warnings.push(fields ?? {}),
    error() {},
  };
  const target = await connectPlugin(scriptedPlugin(steps, calls), {}, { log });
  return { target, calls, warnings, store: await c1z(), clock: testClock() };
}

describe("grant and revoke retry transient failures", () => {
  it("retries a grant that fails twice, waiting 15 s then 30 s", async () => {
    const { target, calls, warnings, store, clock } = await setup([
      new TransientError("HTTP 503"),
      new TransientError("HTTP 503"),
    ]);
    const result = await grantEntitlement(target, store, GRANT, { clock });
    expect(result.status).toBe("granted");
    expect(calls).toEqual(["grant", "grant", "grant"]);
    expect(clock.slept).toEqual([15_000, 30_000]);
    expect(warnings.map((w) => [w.operation, w.attempt, w.waitMs])).toEqual([
      ["grant", 1, 15_000],
      ["grant", 2, 30_000],
    ]);
  });

  it("waits for a known rate-limit reset instead, capped at 60 s", async () => {
    const { target, calls, store, clock } = await setup([
      new TransientError("HTTP 429", { status: 429, remaining: 0, resetAt: START + 20_000 }),
      new TransientError("HTTP 429", { status: 429, retryAfterMs: 90_000 }),
    ]);
    await grantEntitlement(target, store, GRANT, { clock });
    expect(calls).toHaveLength(3);
    expect(clock.slept).toEqual([20_000, 60_000]);
  });

  it("gives up on the 4th failure (3 retries: 15, 30, 45 s) with an unavailable error", async () => {
    const failures = Array.from({ length: 10 }, () => new TransientError("HTTP 503 from https://api.test/groups"));
    const { target, calls, store, clock } = await setup(failures);
    const error = await grantEntitlement(target, store, GRANT, { clock }).catch((e: unknown) => e);
    expect(calls).toHaveLength(4);
    expect(clock.slept).toEqual([15_000, 30_000, 45_000]);
    expect(error).toBeInstanceOf(ProvisionError);
    expect((error as ProvisionError).code).toBe("unavailable");
    expect((error as ProvisionError).message).toBe(
      "grant failed: upstream unavailable after 4 attempts (HTTP 503 from https://api.test/groups)",
    );
    expect((error as ProvisionError).resetAt).toBeUndefined();
  });

  it("reports a rate limit that outlasts the retries with its reset time", async () => {
    const failures = Array.from(
      { length: 4 },
      () => new TransientError("HTTP 429", { status: 429, retryAfterMs: 5000 }),
    );
    const { target, store, clock } = await setup(failures);
    const error = (await revokeGrant(target, store, { grantId: "group:eng:member:user:ada" }, { clock }).catch(
      (e: unknown) => e,
    )) as ProvisionError;
    expect(clock.slept).toEqual([5000, 5000, 5000]);
    expect(error.message).toBe("revoke failed: upstream rate-limited after 4 attempts (HTTP 429)");
    // The last failure happened after 15 s of waits; its Retry-After counts from then.
    expect(error.resetAt).toBe(START + 15_000 + 5000);
  });

  it("does not retry other errors", async () => {
    const denied = new Error("HTTP 403: not allowed");
    const { target, calls, store, clock } = await setup([denied]);
    await expect(grantEntitlement(target, store, GRANT, { clock })).rejects.toBe(denied);
    expect(calls).toEqual(["grant"]);
    expect(clock.slept).toEqual([]);
  });

  it("retries a revoke too", async () => {
    const { target, calls, store, clock } = await setup([new TransientError("timeout", { status: 408 })]);
    const result = await revokeGrant(target, store, { grantId: "group:eng:member:user:ada" }, { clock });
    expect(result.status).toBe("revoked");
    expect(calls).toEqual(["revoke", "revoke"]);
    expect(clock.slept).toEqual([15_000]);
  });
});

describe("create account and delete are called once", () => {
  it("turns a transient failure into an unavailable error without retrying", async () => {
    const { target, calls, clock } = await setup([
      new TransientError("HTTP 429", { status: 429, resetAt: START + 30_000, remaining: 0 }),
      new TransientError("HTTP 502", { status: 502 }),
    ]);
    const created = (await createAccount(target, { login: "bo" }, { clock }).catch(
      (e: unknown) => e,
    )) as ProvisionError;
    expect(created.code).toBe("unavailable");
    expect(created.message).toBe("create account failed: upstream rate-limited after 1 attempt (HTTP 429)");
    expect(created.resetAt).toBe(START + 30_000);
    const deleted = (await deleteResource(target, { resourceId: "ada", resourceType: "user" }, { clock }).catch(
      (e: unknown) => e,
    )) as ProvisionError;
    expect(deleted.message).toBe("delete resource failed: upstream unavailable after 1 attempt (HTTP 502)");
    expect(calls).toEqual(["createAccount", "deleteResource"]);
    expect(clock.slept).toEqual([]);
  });
});
