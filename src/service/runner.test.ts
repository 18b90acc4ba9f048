import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { createRedactor } from "../log/index.ts";
import { definePlugin, resourceType, v } from "../plugins/sdk.ts";
import {
  type BatonServiceGetTaskResponse,
  BatonServiceGetTaskResponseSchema,
  BatonServiceHeartbeatResponseSchema,
  type Task,
  TaskSchema,
} from "../proto/gen/c1/connectorapi/baton/v1/baton_pb.ts";
import type { Clock } from "../upstream/clock.ts";
import type { BatonClient } from "./client.ts";
import { HeartbeatFailedError, heartbeatInterval, startHeartbeat, TaskCancelledError } from "./heartbeat.ts";
import { permanentFailure, pollBackoffMs, runServiceLoop, ServiceError } from "./runner.ts";
import { TokenExchangeError } from "./token.ts";

const plugin = definePlugin({
  name: "tiny",
  displayName: "Tiny",
  config: v.object({}),
  connect: () => ({}),
  resourceTypes: [
    {
      resourceType: resourceType({ displayName: "User", traits: ["user"] }),
      list: async () => ({ items: [] }),
      entitlements: async () => ({ items: [] }),
      grants: async () => ({ items: [] }),
    },
  ],
});

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** Time that passes only when slept; every sleep is recorded. */
function fakeClock(): Clock & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: (ms, signal) =>
      new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        if (ms > 0) slept.push(ms);
        now += ms;
        setImmediate(resolve);
      }),
  };
}

const helloTask = (n: number): Task => create(TaskSchema, { id: `task${n}`, taskType: { case: "hello", value: {} } });

function fakeClient(overrides: Partial<BatonClient>): BatonClient {
  return {
    hostId: "h",
    hello: async () => {},
    getTask: async () => create(BatonServiceGetTaskResponseSchema, {}),
    heartbeat: async () => create(BatonServiceHeartbeatResponseSchema, {}),
    finishTask: async () => {},
    uploadAsset: async () => {},
    close() {},
    ...overrides,
  };
}

function loop(client: BatonClient, clock: Clock, stop: AbortSignal, concurrency = 3) {
  const redactor = createRedactor();
  return runServiceLoop({
    client,
    host: "c1.example",
    concurrency,
    clock,
    stop,
    log: silent,
    redactor,
    ctx: {
      entry: { name: "tiny", plugin, config: {} },
      client,
      log: silent,
      redactor,
      clock,
      provisioning: false,
      defaults: {},
    },
  });
}

describe("the task loop", () => {
  it("runs at most --task-concurrency tasks at once", async () => {
    const clock = fakeClock();
    const stop = new AbortController();
    const queue = Array.from({ length: 7 }, (_, i) => helloTask(i));
    let inFlight = 0;
    let maxInFlight = 0;
    const answered: string[] = [];
    const client = fakeClient({
      async hello(request) {
        if (!request.taskId) return;
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 20));
        inFlight--;
        answered.push(request.taskId);
        if (answered.length === 7) stop.abort();
      },
      async getTask() {
        return create(BatonServiceGetTaskResponseSchema, { task: queue.shift() });
      },
    });
    await loop(client, clock, stop.signal, 3);
    expect(maxInFlight).toBe(3);
    expect(answered.sort()).toEqual(["task0", "task1", "task2", "task3", "task4", "task5", "task6"]);
  });

  it("backs off errors² seconds (at most 60) after failed polls, and waits next_poll (at most 5 min) otherwise", async () => {
    const clock = fakeClock();
    const stop = new AbortController();
    let polls = 0;
    const client = fakeClient({
      async getTask(): Promise<BatonServiceGetTaskResponse> {
        polls++;
        if (polls <= 9) throw new ConnectError("down", Code.Unavailable);
        if (polls === 11) stop.abort();
        return create(BatonServiceGetTaskResponseSchema, { nextPoll: { seconds: 600n, nanos: 0 } });
      },
    });
    await loop(client, clock, stop.signal);
    expect(clock.slept).toEqual([1000, 4000, 9000, 16000, 25000, 36000, 49000, 60000, 60000, 300_000]);
    expect([1, 2, 3, 8, 20].map(pollBackoffMs)).toEqual([1000, 4000, 9000, 60000, 60000]);
  });

  it("retries the startup Hello from 1 s doubling, and gives up at once on errors retrying cannot fix", async () => {
    const clock = fakeClock();
    const stop = new AbortController();
    let hellos = 0;
    const flaky = fakeClient({
      async hello() {
        hellos++;
        if (hellos <= 3) throw new ConnectError("connect ECONNREFUSED", Code.Unavailable);
        stop.abort();
      },
    });
    await loop(flaky, clock, stop.signal);
    expect(clock.slept).toEqual([1000, 2000, 4000]);

    const refused = fakeClient({
      async hello() {
        throw new ConnectError("token expired", Code.Unauthenticated);
      },
    });
    const quiet = fakeClock();
    await expect(loop(refused, quiet, new AbortController().signal)).rejects.toThrow(
      new ServiceError("ConductorOne at c1.example refused the connector: Unauthenticated: token expired"),
    );
    expect(quiet.slept).toEqual([]);
  });

  it("treats refused credentials and certificate or name failures as permanent, refused connections as passing", () => {
    const tls = Object.assign(new Error("Hostname/IP does not match certificate's altnames"), {
      code: "ERR_TLS_CERT_ALTNAME_INVALID",
    });
    expect(permanentFailure(new ConnectError("x", Code.Unavailable, undefined, undefined, tls), "h:1")).toBe(
      "cannot reach ConductorOne at h:1: Hostname/IP does not match certificate's altnames (ERR_TLS_CERT_ALTNAME_INVALID)",
    );
    expect(permanentFailure(new TokenExchangeError("refused: 401"), "h")).toBe("refused: 401");
    const refusedConnection = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    expect(
      permanentFailure(new ConnectError("x", Code.Unavailable, undefined, undefined, refusedConnection), "h"),
    ).toBe(undefined);
    expect(permanentFailure(new ConnectError("busy", Code.ResourceExhausted), "h")).toBe(undefined);
  });
});

describe("heartbeats", () => {
  it("clamp next_heartbeat like Go: 0 ⇒ 30 s, else 1 s … 5 min", () => {
    const d = (seconds: number, nanos = 0) => ({
      $typeName: "google.protobuf.Duration" as const,
      seconds: BigInt(seconds),
      nanos,
    });
    expect(heartbeatInterval(undefined)).toBe(30_000);
    expect(heartbeatInterval(d(0))).toBe(30_000);
    expect(heartbeatInterval(d(0, 200_000_000))).toBe(1_000);
    expect(heartbeatInterval(d(7))).toBe(7_000);
    expect(heartbeatInterval(d(3600))).toBe(300_000);
  });

  it("follow each answer's interval and abort the task when the server cancels", async () => {
    const clock = fakeClock();
    const answers = [
      create(BatonServiceHeartbeatResponseSchema, {}),
      create(BatonServiceHeartbeatResponseSchema, { nextHeartbeat: { seconds: 2n, nanos: 0 } }),
      create(BatonServiceHeartbeatResponseSchema, { cancelled: true }),
    ];
    const client = fakeClient({ heartbeat: async () => answers.shift()! });
    const beat = await startHeartbeat({ client, taskId: "t", clock, parent: new AbortController().signal });
    await new Promise<void>((resolve) => beat.signal.addEventListener("abort", () => resolve()));
    expect(beat.signal.reason).toBeInstanceOf(TaskCancelledError);
    expect(clock.slept).toEqual([30_000, 2_000]);
  });

  it("abort the task after 10 failed heartbeats in a row", async () => {
    const clock = fakeClock();
    let calls = 0;
    const client = fakeClient({
      async heartbeat() {
        if (calls++ === 0)
          return create(BatonServiceHeartbeatResponseSchema, { nextHeartbeat: { seconds: 1n, nanos: 0 } });
        throw new ConnectError("down", Code.Unavailable);
      },
    });
    const failures: number[] = [];
    const beat = await startHeartbeat({
      client,
      taskId: "t",
      clock,
      parent: new AbortController().signal,
      onFailure: (_e, attempt) => failures.push(attempt),
    });
    await new Promise<void>((resolve) => beat.signal.addEventListener("abort", () => resolve()));
    expect(beat.signal.reason).toBeInstanceOf(HeartbeatFailedError);
    expect(failures).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it("start a task whose stop arrives during the first heartbeat, with the task's signal already aborted", async () => {
    const stop = new AbortController();
    const seen: (AbortSignal | undefined)[] = [];
    const client = fakeClient({
      async heartbeat(_taskId, signal) {
        seen.push(signal);
        stop.abort(new Error("SIGTERM"));
        return create(BatonServiceHeartbeatResponseSchema, {});
      },
    });
    const beat = await startHeartbeat({ client, taskId: "t", clock: fakeClock(), parent: stop.signal });
    expect(seen[0]?.aborted ?? false).toBe(false);
    expect(beat.signal.aborted).toBe(true);
    expect((beat.signal.reason as Error).message).toBe("SIGTERM");
    beat.stop();
  });

  it("refuse to start a task the first heartbeat says is cancelled", async () => {
    const client = fakeClient({
      heartbeat: async () => create(BatonServiceHeartbeatResponseSchema, { cancelled: true }),
    });
    await expect(
      startHeartbeat({ client, taskId: "t", clock: fakeClock(), parent: new AbortController().signal }),
    ).rejects.toBeInstanceOf(TaskCancelledError);
  });
});
