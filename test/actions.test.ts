/**
 * Plugin actions end to end with the demo's lock_user: through the real CLI
 * process (--list-action-schemas, --invoke-action, exit codes) and over HTTP
 * (scopes, the provisioning gate, Idempotency-Key), each followed by a sync
 * that shows the user DISABLED. Expected values are written by hand.
 */
import path from "node:path";
import { SignJWT } from "jose";
import { afterAll, describe, expect, it } from "vitest";
import demo from "../plugins/demo/index.ts";
import { readC1zFile } from "../src/c1z/file.ts";
import { createApp } from "../src/http/app.ts";
import { createMemoryStateStore } from "../src/http/state/memory.ts";
import { findAnnotation } from "../src/model/annotations.ts";
import { resourceId } from "../src/model/builders.ts";
import { UserTrait_Status_Status, UserTraitSchema } from "../src/model/types.ts";
import { capabilities } from "../src/plugins/capabilities.ts";
import { runCli, tempDir } from "./cli-support.ts";
import { json, manualClock, parseSse } from "./http-support.ts";

// Demo users are u-0001…; every tenth (u-0010) starts disabled, so u-0003 starts enabled.
const USER = "u-0003";
const USER_ARGS = {
  type: "object",
  properties: { userId: { type: "string", minLength: 1, description: "The id of the user, e.g. u-0001" } },
  required: ["userId"],
};
const EXPECTED_ACTIONS = [
  {
    name: "lock_user",
    displayName: "Lock user",
    description: "Disables a user; the next sync shows its status as DISABLED.",
    args: USER_ARGS,
  },
  { name: "unlock_user", displayName: "Unlock user", description: "Enables a user again.", args: USER_ARGS },
];

describe("actions through the CLI process", () => {
  const work = tempDir("actions");
  afterAll(() => work.cleanup());
  const file = path.join(work.dir, "sync.c1z");
  const cli = (...args: string[]) =>
    runCli(["demo", "--file", file, "--log-format", "json", ...args], { cwd: work.dir });
  const statusOf = async (id: string) => {
    const store = await readC1zFile(file);
    try {
      const user = store.getResource(resourceId("user", id));
      return user && findAnnotation(user.annotations, UserTraitSchema)?.status?.status;
    } finally {
      store.close();
    }
  };

  it("--list-action-schemas prints the actions with their argument JSON Schemas, no config needed", async () => {
    const run = await cli("--list-action-schemas");
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(EXPECTED_ACTIONS);
  });

  it("--invoke-action lock_user prints the result; the next sync shows the user DISABLED", async () => {
    expect((await cli()).code).toBe(0);
    expect(await statusOf(USER)).toBe(UserTrait_Status_Status.ENABLED);
    const run = await cli("--invoke-action", "lock_user", "--invoke-action-args", JSON.stringify({ userId: USER }));
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ userId: USER, status: "disabled", previousStatus: "enabled" });
    // Not a sync: the file still says enabled until the next one.
    expect(await statusOf(USER)).toBe(UserTrait_Status_Status.ENABLED);
    expect((await cli()).code).toBe(0);
    expect(await statusOf(USER)).toBe(UserTrait_Status_Status.DISABLED);
    expect(await statusOf("u-0004")).toBe(UserTrait_Status_Status.ENABLED);
  });

  it.each([
    [["--invoke-action", "nope"], 2, /--invoke-action \(\$BATON_INVOKE_ACTION\): plugin demo has no action "nope"/],
    [["--invoke-action", "lock_user"], 2, /--invoke-action-args \(\$BATON_INVOKE_ACTION_ARGS\).*userId: is required/],
    [
      ["--invoke-action", "lock_user", "--invoke-action-args", '{"userId":7}'],
      2,
      /--invoke-action-args \(\$BATON_INVOKE_ACTION_ARGS\).*userId: expected string/,
    ],
    [["--invoke-action", "lock_user", "--invoke-action-args", "{"], 2, /--invoke-action-args .*: not JSON/],
    [["--invoke-action-args", "{}"], 2, /--invoke-action-args .* needs --invoke-action/],
    [["--invoke-action"], 2, /--invoke-action \(\$BATON_INVOKE_ACTION\) needs a value/],
    [["--invoke-action", "lock_user", "--revoke-grant", "g"], 2, /only one of .*--revoke-grant.*--invoke-action/],
    [["--invoke-action", "lock_user", "--invoke-action-args", '{"userId":"u-9999"}'], 1, /demo: no user u-9999/],
  ])("%j exits %i", async (args, code, message) => {
    const run = await cli(...(args as string[]));
    expect(run.code, run.stderr).toBe(code);
    expect(run.stdout).toBe("");
    expect(run.stderr.trim().split("\n").at(-1)).toMatch(message);
  });
});

const SECRET = "actions-test-secret-32-bytes-long!!!";
const clock = manualClock();

async function bearer(scope: string): Promise<Record<string, string>> {
  const now = Math.floor(clock.now() / 1000);
  const token = await new SignJWT({ scope, sub: "actions-test" })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer("https://idp.test")
    .setAudience("baton-edge")
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(new TextEncoder().encode(SECRET));
  return { authorization: `Bearer ${token}` };
}

function demoApp(provisioning: boolean) {
  return createApp({
    connectors: [{ name: "demo", plugin: demo, config: { users: 12, groups: 4, grants: 20 }, provisioning }],
    auth: { mode: "jwt", issuer: "https://idp.test", audience: "baton-edge", hsSecret: SECRET },
    state: createMemoryStateStore(),
    clock,
    log: () => {},
  });
}

const post = json;
const typeOf = async (response: Response) => ((await response.json()) as { type: string }).type.split("/").at(-1);

describe("actions over HTTP", () => {
  it("GET …/actions lists the schemas with sync:read; capabilities include CAPABILITY_ACTIONS", async () => {
    const app = demoApp(false);
    const listed = await app.request("/v1/connectors/demo/actions", { headers: await bearer("sync:read") });
    expect(listed.status).toBe(200);
    expect(await listed.json()).toEqual({ actions: EXPECTED_ACTIONS });
    expect((await app.request("/v1/connectors/demo/actions", { headers: await bearer("provision") })).status).toBe(403);
    expect(capabilities(demo).connector).toContain("CAPABILITY_ACTIONS");
    const connectors = (await (await app.request("/v1/connectors", { headers: await bearer("sync:read") })).json()) as {
      connectors: { name: string; capabilities: { connectorCapabilities: string[] } }[];
    };
    expect(connectors.connectors[0].capabilities.connectorCapabilities).toContain("CAPABILITY_ACTIONS");
  });

  it("POST …/actions/lock_user needs the provision scope and provisioning enabled", async () => {
    const body = { args: { userId: USER } };
    const off = await demoApp(false).request(
      "/v1/connectors/demo/actions/lock_user",
      post(body, await bearer("provision")),
    );
    expect([off.status, await typeOf(off)]).toEqual([403, "provisioning-disabled"]);
    const on = demoApp(true);
    const noScope = await on.request(
      "/v1/connectors/demo/actions/lock_user",
      post(body, await bearer("sync:read sync:write")),
    );
    expect([noScope.status, await typeOf(noScope)]).toEqual([403, "insufficient-scope"]);
  });

  it("invokes lock_user (replayed by Idempotency-Key) and the next sync shows the user DISABLED", async () => {
    const app = demoApp(true);
    const provision = await bearer("provision");
    const read = await bearer("sync:read sync:write");
    const invoke = (action: string, body: unknown, key?: string) =>
      app.request(
        `/v1/connectors/demo/actions/${action}`,
        post(body, key ? { ...provision, "idempotency-key": key } : provision),
      );

    const first = await invoke("lock_user", { args: { userId: USER } }, "lock-1");
    expect(first.status).toBe(200);
    const expected = {
      action: "lock_user",
      status: "complete",
      response: { userId: USER, status: "disabled", previousStatus: "enabled" },
    };
    expect(await first.json()).toEqual(expected);
    // The replay returns the first result (previousStatus would now be "disabled" had it run again).
    const replay = await invoke("lock_user", { args: { userId: USER } }, "lock-1");
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(await replay.json()).toEqual(expected);
    const reused = await invoke("lock_user", { args: { userId: "u-0004" } }, "lock-1");
    expect([reused.status, await typeOf(reused)]).toEqual([422, "idempotency-key-reused"]);
    const again = await invoke("lock_user", { args: { userId: USER } });
    expect(((await again.json()) as typeof expected).response.previousStatus).toBe("disabled");

    const unknown = await invoke("nope", {});
    expect([unknown.status, await typeOf(unknown)]).toEqual([404, "not-found"]);
    const badArgs = await invoke("lock_user", { args: { userId: 7 } });
    expect(badArgs.status).toBe(422);
    expect(((await badArgs.json()) as { detail: string }).detail).toMatch(/userId: expected string/);
    const failed = await invoke("lock_user", { args: { userId: "u-9999" } });
    expect(failed.status).toBe(502);
    expect(((await failed.json()) as { detail: string }).detail).toMatch(/demo: no user u-9999/);

    const started = await app.request("/v1/connectors/demo/syncs", json({}, read));
    const { location } = (await started.json()) as { location: string };
    const events = parseSse(await (await app.request(`${location}/events`, { headers: read })).text());
    expect(JSON.parse(events.at(-1)!.data).state).toBe("succeeded");
    const users = (await (
      await app.request("/v1/connectors/demo/resources?resourceType=user&pageSize=100", { headers: read })
    ).json()) as {
      items: { id: { resource: string }; annotations: { "@type": string; status?: { status: string } }[] }[];
    };
    const status = (id: string) =>
      users.items
        .find((u) => u.id.resource === id)
        ?.annotations.find((a) => a["@type"].endsWith("c1.connector.v2.UserTrait"))?.status?.status;
    expect(status(USER)).toBe("STATUS_DISABLED");
    expect(status("u-0004")).toBe("STATUS_ENABLED");
  });
});
