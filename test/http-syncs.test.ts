/**
 * Syncs over HTTP: the per-connector lock under concurrency, the SSE stream,
 * records and c1z downloads, state surviving a restart through a data
 * directory, failures that keep the last good file, validation and problem
 * responses, request ids in logs, and secrets kept out of everything.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as v from "valibot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/http/app.ts";
import { createFsStateStore } from "../src/http/state/fs.ts";
import { createMemoryStateStore } from "../src/http/state/memory.ts";
import type { SyncRecord, SyncStateStore } from "../src/http/state/store.ts";
import { definePlugin, entitlement, grant, group, resourceId, resourceType, user } from "../src/plugins/sdk.ts";
import { collectLogs, inProcess, json, manualClock, overSocket, parseSse, type Transport } from "./http-support.ts";

const SECRET = "sk_live_do-not-leak-0123456789";
const USERS = ["u1", "u2", "u3"];
const MEMBERS = ["u1", "u2"];

/** Lets a test hold a sync inside its first listing until it says go. */
class Gate {
  private open!: () => void;
  private promise: Promise<void> | undefined;
  close() {
    this.promise = new Promise((resolve) => {
      this.open = resolve;
    });
  }
  release() {
    this.open?.();
    this.promise = undefined;
  }
  wait() {
    return this.promise ?? Promise.resolve();
  }
}
const gate = new Gate();
let failWith: string | undefined;

const teamGroup = group({ id: "g1", displayName: "Team" });
const team = definePlugin({
  name: "team",
  displayName: "Team",
  config: v.object({ apiToken: v.pipe(v.string(), v.metadata({ secret: true, description: "API token" })) }),
  connect: (config) => ({ token: config.apiToken }),
  resourceTypes: [
    {
      resourceType: resourceType({ displayName: "User", traits: ["user"], skip: "entitlementsAndGrants" }),
      list: async (_parent, ctx) => {
        await gate.wait();
        if (failWith) throw new Error(`${failWith} (token ${(ctx.client as { token: string }).token})`);
        return { items: USERS.map((id) => user({ id, displayName: id.toUpperCase(), login: id })) };
      },
      entitlements: async () => ({ items: [] }),
      grants: async () => ({ items: [] }),
    },
    {
      resourceType: resourceType({ displayName: "Group", traits: ["group"] }),
      list: async () => ({ items: [teamGroup] }),
      entitlements: async (owner) => ({ items: [entitlement(owner, "member", { displayName: "Member" })] }),
      grants: async (owner) => ({
        items: MEMBERS.map((id) => grant(owner, "member", resourceId("user", id))),
      }),
    },
  ],
});

const PHASE_ORDER = [
  "init",
  "list-resource-types",
  "list-resources",
  "list-static-entitlements",
  "list-entitlements",
  "list-grants",
  "grant-expansion",
  "done",
];

function appWith(state: SyncStateStore, sink = (() => {}) as Parameters<typeof createApp>[0]["log"]) {
  return createApp({
    connectors: [{ name: "team", plugin: team, config: { apiToken: SECRET } }],
    auth: { mode: "off" },
    state,
    clock: manualClock(),
    log: sink,
  });
}

async function waitForEnd(transport: Transport, location: string): Promise<SyncRecord> {
  // The SSE stream ends with the result, so reading it to the end waits without polling or sleeping.
  const events = parseSse(await (await transport.request(`${location}/events`)).text());
  const last = events.at(-1)!;
  expect(last.event).toBe("result");
  return JSON.parse(last.data) as SyncRecord;
}

describe.each(["app.request", "socket"])("syncs via %s", (mode) => {
  let transport: Transport;
  let lines: ReturnType<typeof collectLogs>["lines"];
  beforeAll(async () => {
    const logs = collectLogs();
    lines = logs.lines;
    const app = appWith(createMemoryStateStore(), logs.sink);
    transport = mode === "socket" ? await overSocket(app) : inProcess(app);
  });
  afterAll(() => transport.close());

  it("ten concurrent sync requests: exactly one 202, nine 409", async () => {
    gate.close();
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => transport.request("/v1/connectors/team/syncs", json({}))),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([202, 409, 409, 409, 409, 409, 409, 409, 409, 409]);
    const accepted = responses.find((r) => r.status === 202)!;
    const body = (await accepted.json()) as { id: string; location: string };
    expect(accepted.headers.get("location")).toBe(body.location);
    for (const refused of responses.filter((r) => r.status === 409)) {
      expect(refused.headers.get("content-type")).toBe("application/problem+json");
      expect(((await refused.json()) as { runningSyncId: string }).runningSyncId).toBe(body.id);
    }
    gate.release();
    const record = await waitForEnd(transport, body.location);
    expect(record.state).toBe("succeeded");
    // Once it ended, the next request starts a new sync.
    const next = await transport.request("/v1/connectors/team/syncs", json({}));
    expect(next.status).toBe(202);
    await waitForEnd(transport, ((await next.json()) as { location: string }).location);
  });

  it("SSE: phase events in Baton's order while the sync runs, ending with the result", async () => {
    gate.close();
    const started = await transport.request("/v1/connectors/team/syncs", json({}));
    const { location, id } = (await started.json()) as { location: string; id: string };
    const stream = await transport.request(`${location}/events`);
    expect(stream.headers.get("content-type")).toMatch(/^text\/event-stream/);
    gate.release();
    const events = parseSse(await stream.text());
    const phases = events
      .filter((e) => e.event === "phase")
      .map((e) => (JSON.parse(e.data) as { phase: string }).phase);
    const positions = phases.map((p) => PHASE_ORDER.indexOf(p));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(new Set(phases).size).toBe(phases.length);
    for (const required of ["list-resource-types", "list-resources", "list-entitlements", "list-grants"]) {
      expect(phases).toContain(required);
    }
    const ids = events.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const last = events.at(-1)!;
    expect(last.event).toBe("result");
    const result = JSON.parse(last.data) as SyncRecord;
    expect(result.id).toBe(id);
    expect(result.state).toBe("succeeded");
    // Counts the test plugin produces: 2 types, 3 users + 1 group, 1 entitlement, 2 grants.
    expect(result.counts).toEqual({ resourceTypes: 2, resources: 4, entitlements: 1, grants: 2 });
    expect(result.phases.map((p) => p.phase)).toEqual(phases);

    // A finished sync's stream replays the same phases and the result.
    const replay = parseSse(await (await transport.request(`${location}/events`)).text());
    expect(
      replay.filter((e) => e.event === "phase").map((e) => (JSON.parse(e.data) as { phase: string }).phase),
    ).toEqual(phases);
    expect(replay.at(-1)!.event).toBe("result");
  });

  it("GET sync and list: state, phase, counts, timings; the c1z downloads with its length", async () => {
    const started = await transport.request("/v1/connectors/team/syncs", json({}));
    const { location, id } = (await started.json()) as { location: string; id: string };
    await waitForEnd(transport, location);
    const record = (await (await transport.request(location)).json()) as SyncRecord;
    expect(record).toMatchObject({ id, connector: "team", state: "succeeded", phase: "done", error: null });
    expect(record.startedAt).not.toBeNull();
    expect(record.endedAt).not.toBeNull();
    expect(typeof record.durationMs).toBe("number");
    expect(record.c1zSyncId).toMatch(/^[0-9A-Za-z]{27}$/);
    const list = (await (await transport.request("/v1/connectors/team/syncs?limit=2")).json()) as {
      syncs: SyncRecord[];
    };
    expect(list.syncs).toHaveLength(2);
    expect(list.syncs[0].id).toBe(id);

    const file = await transport.request(`${location}/c1z`);
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toBe("application/c1z");
    const bytes = new Uint8Array(await file.arrayBuffer());
    expect(Number(file.headers.get("content-length"))).toBe(bytes.length);
    expect(bytes.length).toBe(record.c1zBytes);
    expect(new TextDecoder().decode(bytes.subarray(0, 5))).toBe("C1ZF\0");
    expect(lines.some((l) => JSON.stringify(l).includes(SECRET))).toBe(false);
  });

  it("every response and every request log line carries the request id", async () => {
    const before = lines.length;
    const response = await transport.request("/healthz", { headers: { "x-request-id": "trace-abc-123" } });
    expect(response.headers.get("x-request-id")).toBe("trace-abc-123");
    const generated = await transport.request("/v1/connectors/nope/syncs");
    const rid = generated.headers.get("x-request-id");
    expect(rid).toMatch(/^[0-9a-f-]{36}$/);
    const mine = lines.slice(before).filter((l) => l.msg === "request");
    expect(mine.map((l) => l.requestId)).toEqual(["trace-abc-123", rid]);
    expect(((await generated.json()) as { status: number }).status).toBe(404);
  });
});

describe("the c1z served over HTTP, read by the sqlite3 and zstd CLIs", () => {
  const tools = ["zstd", "sqlite3"].filter((tool) => {
    try {
      execFileSync(tool, ["--version"], { stdio: "ignore" });
      return false;
    } catch {
      return true;
    }
  });
  if (tools.length > 0) console.warn(`skipping the CLI check: missing ${tools.join(", ")}`);
  it.skipIf(tools.length > 0)("holds the users, the entitlement and the grants the plugin listed", async () => {
    const transport = inProcess(appWith(createMemoryStateStore()));
    const { location } = (await (await transport.request("/v1/connectors/team/syncs", json({}))).json()) as {
      location: string;
    };
    await waitForEnd(transport, location);
    const bytes = new Uint8Array(await (await transport.request(`${location}/c1z`)).arrayBuffer());
    const dir = mkdtempSync(join(tmpdir(), "http-c1z-"));
    try {
      writeFileSync(join(dir, "frame.zst"), bytes.subarray(5));
      execFileSync("zstd", ["-q", "-d", join(dir, "frame.zst"), "-o", join(dir, "db.sqlite")]);
      const query = (sql: string) =>
        execFileSync("sqlite3", [join(dir, "db.sqlite"), sql])
          .toString()
          .trim();
      expect(query("select external_id from v1_grants order by external_id").split("\n")).toEqual(
        MEMBERS.map((id) => `group:g1:member:user:${id}`),
      );
      expect(query("select count(*) from v1_resources")).toBe("4");
      expect(query("select count(*) from v1_sync_runs where ended_at is not null")).toBe("1");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("state in a data directory survives a restart", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "http-state-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps records, files and reads; a sync cut off by the restart is marked interrupted", async () => {
    const first = inProcess(appWith(await createFsStateStore(dir)));
    const { location, id } = (await (await first.request("/v1/connectors/team/syncs", json({}))).json()) as {
      location: string;
      id: string;
    };
    await waitForEnd(first, location);
    // A record the previous process left running, as if it died mid-sync.
    const store = await createFsStateStore(dir);
    const orphan = { ...((await store.getSync("team", id)) as SyncRecord), id: "orphan-1", state: "running" as const };
    orphan.createdAt = "2000-01-01T00:00:00.000Z";
    orphan.c1zAvailable = false;
    await store.putSync(orphan);

    const second = inProcess(appWith(await createFsStateStore(dir)));
    expect((await second.request("/readyz")).status).toBe(200);
    const record = (await (await second.request(location)).json()) as SyncRecord;
    expect(record.state).toBe("succeeded");
    const file = await second.request(`${location}/c1z`);
    expect(file.status).toBe(200);
    const users = (await (await second.request("/v1/connectors/team/resources?resourceType=user")).json()) as {
      items: unknown[];
      syncId: string;
    };
    expect(users.syncId).toBe(id);
    expect(users.items).toHaveLength(3);
    const interrupted = (await (await second.request("/v1/connectors/team/syncs/orphan-1")).json()) as SyncRecord;
    expect(interrupted.state).toBe("failed");
    expect(interrupted.error?.title).toBe("Sync interrupted");
  });
});

describe("c1z retention", () => {
  it("keeps the newest keepC1z files; an older sync's download answers 410", async () => {
    const transport = inProcess(
      createApp({
        connectors: [{ name: "team", plugin: team, config: { apiToken: SECRET } }],
        auth: { mode: "off" },
        keepC1z: 1,
        clock: manualClock(),
        log: () => {},
      }),
    );
    const locations: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { location } = (await (await transport.request("/v1/connectors/team/syncs", json({}))).json()) as {
        location: string;
      };
      await waitForEnd(transport, location);
      locations.push(location);
    }
    const old = await transport.request(`${locations[0]}/c1z`);
    expect(old.status).toBe(410);
    expect(((await (await transport.request(locations[0])).json()) as SyncRecord).c1zAvailable).toBe(false);
    expect((await transport.request(`${locations[1]}/c1z`)).status).toBe(200);
  });
});

describe("a failed sync", () => {
  it("reports the error without the secret and keeps serving the last good sync", async () => {
    const logs = collectLogs();
    const transport = inProcess(appWith(createMemoryStateStore(), logs.sink));
    const good = (await (await transport.request("/v1/connectors/team/syncs", json({}))).json()) as {
      location: string;
      id: string;
    };
    await waitForEnd(transport, good.location);
    failWith = "upstream said no";
    try {
      const bad = (await (await transport.request("/v1/connectors/team/syncs", json({}))).json()) as {
        location: string;
      };
      const record = await waitForEnd(transport, bad.location);
      expect(record.state).toBe("failed");
      expect(record.error?.detail).toContain("upstream said no");
      expect(record.error?.detail).toContain("[redacted]");
      const text = await (await transport.request(bad.location)).text();
      expect(text).not.toContain(SECRET);
      expect((await transport.request(`${bad.location}/c1z`)).status).toBe(409);
    } finally {
      failWith = undefined;
    }
    const grants = (await (await transport.request("/v1/connectors/team/grants")).json()) as { syncId: string };
    expect(grants.syncId).toBe(good.id);
    expect(JSON.stringify(logs.lines)).not.toContain(SECRET);
    expect(logs.lines.some((l) => l.msg === "sync failed")).toBe(true);
    const connectors = await (await transport.request("/v1/connectors")).text();
    expect(connectors).not.toContain(SECRET);
    expect(connectors).toContain("isSecret");
  });
});

describe("validation and problem details", () => {
  const transport = inProcess(appWith(createMemoryStateStore()));
  const problem = async (response: Response) => {
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    return (await response.json()) as { type: string; status: number; detail: string; issues?: { path: string }[] };
  };

  it.each([
    ["unknown connector", "/v1/connectors/nope/syncs", json({}), 404],
    ["unknown body field", "/v1/connectors/team/syncs", json({ skipGrant: true }), 400],
    ["wrong type", "/v1/connectors/team/syncs", json({ workers: "many" }), 400],
    [
      "not JSON",
      "/v1/connectors/team/syncs",
      { method: "POST", headers: { "content-type": "application/json" }, body: "{" },
      400,
    ],
    [
      "not a JSON media type",
      "/v1/connectors/team/syncs",
      { method: "POST", headers: { "content-type": "text/plain" }, body: "{}" },
      415,
    ],
    ["bad connector name", "/v1/connectors/Bad%20Name/syncs", json({}), 400],
    ["bad page size", "/v1/connectors/team/resources?pageSize=0", undefined, 400],
    ["no finished sync yet", "/v1/connectors/team/resources", undefined, 409],
    ["no such route", "/v2/nothing", undefined, 404],
  ] as const)("%s → %s", async (_name, path, init, status) => {
    const response = await transport.request(path, init as RequestInit | undefined);
    expect(response.status).toBe(status);
    const body = await problem(response);
    expect(body.status).toBe(status);
    expect(body.type).toMatch(/^https:\/\/baton-edge\.dev\/problems\//);
  });

  it("names the offending field", async () => {
    const body = await problem(await transport.request("/v1/connectors/team/syncs", json({ workers: 0 })));
    expect(body.issues?.map((i) => i.path)).toEqual(["workers"]);
  });

  it("refuses a body over the limit with 413", async () => {
    const small = createApp({
      connectors: [{ name: "team", plugin: team, config: { apiToken: SECRET } }],
      auth: { mode: "off" },
      bodyLimitBytes: 1024,
      log: () => {},
    });
    const response = await small.request(
      "/v1/connectors/team/syncs",
      json({ resourceTypes: Array.from({ length: 200 }, (_, i) => `type-${i}`) }),
    );
    expect(response.status).toBe(413);
    expect((await problem(response)).status).toBe(413);
  });
});
