import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { afterAll, describe, expect, it } from "vitest";
import { openC1z } from "../c1z/open.ts";
import { createRedactor } from "../log/index.ts";
import { definePlugin, entitlement, grant, group, resourceId, resourceType, user, v } from "../plugins/sdk.ts";
import {
  BatonServiceGetTaskResponseSchema,
  BatonServiceHeartbeatResponseSchema,
  Task_SyncFullTaskSchema,
} from "../proto/gen/c1/connectorapi/baton/v1/baton_pb.ts";
import { systemClock } from "../upstream/clock.ts";
import type { BatonClient, UploadAssetSource } from "./client.ts";
import { syncAndUpload } from "./sync.ts";
import type { TaskContext } from "./types.ts";

const USERS = 3000;
let workSeen: string[] = [];
let workDir = "";
const plugin = definePlugin({
  name: "team",
  displayName: "Team",
  config: v.object({}),
  connect: () => ({}),
  resourceTypes: [
    {
      resourceType: resourceType({ displayName: "User", traits: ["user"], skip: "entitlementsAndGrants" }),
      list: async () => ({
        items: Array.from({ length: USERS }, (_, i) => user({ id: `u${i}`, displayName: `User ${i}` })),
      }),
      entitlements: async () => ({ items: [] }),
      grants: async () => ({ items: [] }),
    },
    {
      resourceType: resourceType({ displayName: "Group", traits: ["group"] }),
      list: async () => ({ items: [group({ id: "all", displayName: "All" })] }),
      entitlements: async (owner) => ({ items: [entitlement(owner, "member")] }),
      grants: async (owner) => {
        workSeen = workDir ? readdirSync(join(workDir, "service")) : [];
        return { items: Array.from({ length: USERS }, (_, i) => grant(owner, "member", resourceId("user", `u${i}`))) };
      },
    },
  ],
});

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A client whose UploadAsset reads the asset like a retrying upload: twice, and keeps the second reading. */
function recordingClient(): BatonClient & { uploads: { taskId: string; bytes: Uint8Array; readings: number }[] } {
  const uploads: { taskId: string; bytes: Uint8Array; readings: number }[] = [];
  const read = async (asset: UploadAssetSource) => {
    if (typeof asset !== "function") return asset;
    const parts: Uint8Array[] = [];
    for await (const chunk of asset()) {
      expect(chunk.length).toBeLessThanOrEqual(512 * 1024);
      parts.push(chunk.slice());
    }
    return new Uint8Array(Buffer.concat(parts));
  };
  return {
    uploads,
    hostId: "h",
    hello: async () => {},
    getTask: async () => create(BatonServiceGetTaskResponseSchema, {}),
    heartbeat: async () => create(BatonServiceHeartbeatResponseSchema, {}),
    finishTask: async () => {},
    async uploadAsset(taskId, asset) {
      const first = await read(asset);
      const second = await read(asset);
      expect(Buffer.from(second).equals(Buffer.from(first))).toBe(true);
      uploads.push({ taskId, bytes: second, readings: typeof asset === "function" ? 2 : 1 });
    },
    close() {},
  };
}

function context(client: BatonClient, dir?: string): TaskContext {
  return {
    entry: { name: "team", plugin, config: {} },
    client,
    log: { debug() {}, info() {}, warn() {}, error() {} },
    redactor: createRedactor(),
    clock: systemClock,
    provisioning: false,
    defaults: {},
    workDir: dir,
  };
}

describe("a sync task's upload", () => {
  it("with a work directory: syncs through a work file and uploads the c1z read from a file in chunks, then removes both", async () => {
    workDir = mkdtempSync(join(tmpdir(), "service-work-"));
    dirs.push(workDir);
    const client = recordingClient();
    const task = await syncAndUpload(
      context(client, workDir),
      "2fDqBbFXw8ZkYTPMT5KU7ZTUBQ1",
      create(Task_SyncFullTaskSchema, {}),
      new AbortController().signal,
    );
    // While the plugin listed grants the database was in its work file.
    expect(workSeen).toContain("2fDqBbFXw8ZkYTPMT5KU7ZTUBQ1.work.db");
    expect(readdirSync(join(workDir, "service"))).toEqual([]);
    expect(client.uploads).toHaveLength(1);
    const [upload] = client.uploads;
    expect(upload?.readings).toBe(2);
    expect(task.saved.bytes).toBe(upload?.bytes.length);
    expect(task.saved.sha256).toBe(createHash("sha256").update(upload!.bytes).digest("hex"));
    const store = await openC1z(upload!.bytes);
    try {
      expect(store.latestFinishedSync("full")?.syncId).toBe(task.syncId);
      expect(store.stats(task.syncId).grants).toBe(USERS);
    } finally {
      store.close();
    }
  });

  it("without one (no file engine): the same c1z content from memory", async () => {
    workDir = "";
    const client = recordingClient();
    const task = await syncAndUpload(
      context(client),
      "task-in-memory",
      create(Task_SyncFullTaskSchema, {}),
      new AbortController().signal,
    );
    const [upload] = client.uploads;
    expect(upload?.readings).toBe(1);
    expect(task.saved.sha256).toBe(createHash("sha256").update(upload!.bytes).digest("hex"));
    const store = await openC1z(upload!.bytes);
    try {
      expect(store.stats(task.syncId).grants).toBe(USERS);
    } finally {
      store.close();
    }
  });

  it("a failed upload leaves no work file behind", async () => {
    const dir = mkdtempSync(join(tmpdir(), "service-work-"));
    dirs.push(dir);
    workDir = "";
    const client = { ...recordingClient(), uploadAsset: async () => Promise.reject(new Error("upload refused")) };
    await expect(
      syncAndUpload(
        context(client, dir),
        "task-fails",
        create(Task_SyncFullTaskSchema, {}),
        new AbortController().signal,
      ),
    ).rejects.toThrow("upload refused");
    expect(existsSync(join(dir, "service", "task-fails.work.db"))).toBe(false);
    expect(readdirSync(join(dir, "service"))).toEqual([]);
  });
});
