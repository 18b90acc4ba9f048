/**
 * A sync running when the process stops resumes after a restart over the same
 * data directory. The "stop" is abrupt: the first app is dropped with its
 * state store while its plugin call hangs, as a killed process would leave
 * the directory (no graceful shutdown, nothing written after the hang). With a
 * native file engine the sync's database is its work file; the kill closes its
 * database connections without a commit (SQLite rolls back what was open), as
 * the OS does for a dead process, so the next "process" can open the file.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as v from "valibot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openC1z, openC1zWorkFile, SqliteC1zStore } from "../src/c1z/index.ts";
import type { C1zWriter } from "../src/c1z/store.ts";
import { createApp } from "../src/http/app.ts";
import { createFsStateStore } from "../src/http/state/fs.ts";
import { createMemoryStateStore } from "../src/http/state/memory.ts";
import type { SyncRecord, SyncStateStore } from "../src/http/state/store.ts";
import { MAX_RESUMES } from "../src/http/syncs/manager.ts";
import { definePlugin, entitlement, grant, group, resourceId, resourceType, user } from "../src/plugins/sdk.ts";
import { inProcess, json, manualClock, parseSse, type Transport } from "./http-support.ts";

/** Six users over three pages; the page tokens are what a resumed sync must start from. */
const PAGES: Record<string, { users: string[]; next: string }> = {
  "": { users: ["u1", "u2"], next: "p2" },
  p2: { users: ["u3", "u4"], next: "p3" },
  p3: { users: ["u5", "u6"], next: "" },
};
const GROUPS = ["g1", "g2"];
const MEMBERS: Record<string, string[]> = { g1: ["u1", "u3", "u5"], g2: ["u2", "u6"] };

/** What one simulated process does: its clock, the page tokens it was asked for, where it hangs or fails. */
interface ProcessScript {
  clock: ReturnType<typeof manualClock>;
  userPages: string[];
  hangAtPage?: string;
  hangInValidate?: boolean;
  failAtPage?: string;
  reached?: () => void;
}
let script: ProcessScript;
const never = new Promise<never>(() => {});

function nextProcess(setup: Partial<ProcessScript> = {}): { reached: Promise<void> } {
  let reached!: () => void;
  const promise = new Promise<void>((resolve) => {
    reached = resolve;
  });
  script = { clock: manualClock(), userPages: [], ...setup, reached };
  return { reached: promise };
}

const org = definePlugin({
  name: "org",
  displayName: "Org",
  config: v.object({}),
  connect: () => ({}),
  validate: async () => {
    if (script.hangInValidate) {
      script.reached?.();
      await never;
    }
  },
  resourceTypes: [
    {
      resourceType: resourceType({ displayName: "User", traits: ["user"], skip: "entitlementsAndGrants" }),
      list: async (_parent, ctx) => {
        script.userPages.push(ctx.pageToken);
        // Each page takes a minute, so the engine checkpoints (and the manager saves) after every page.
        script.clock.advance(60_000);
        if (ctx.pageToken === script.failAtPage) throw new Error(`upstream broke at page ${ctx.pageToken}`);
        if (ctx.pageToken === script.hangAtPage) {
          script.reached?.();
          await never;
        }
        const page = PAGES[ctx.pageToken];
        if (!page) throw new Error(`unknown page token ${JSON.stringify(ctx.pageToken)}`);
        return {
          items: page.users.map((id) => user({ id, displayName: id.toUpperCase(), login: id })),
          nextPageToken: page.next,
        };
      },
      entitlements: async () => ({ items: [] }),
      grants: async () => ({ items: [] }),
    },
    {
      resourceType: resourceType({ displayName: "Group", traits: ["group"] }),
      list: async () => ({ items: GROUPS.map((id) => group({ id, displayName: id })) }),
      entitlements: async (owner) => ({ items: [entitlement(owner, "member", { displayName: "Member" })] }),
      grants: async (owner) => ({
        items: (MEMBERS[owner.id?.resource ?? ""] ?? []).map((id) => grant(owner, "member", resourceId("user", id))),
      }),
    },
  ],
});

function appOver(state: SyncStateStore): Transport {
  return inProcess(
    createApp({
      connectors: [{ name: "org", plugin: org, config: {} }],
      auth: { mode: "off" },
      state,
      clock: script.clock,
      log: () => {},
      checkpointSaveIntervalMs: 30_000,
    }),
  );
}

async function startSync(transport: Transport): Promise<{ id: string; location: string }> {
  const response = await transport.request("/v1/connectors/org/syncs", json({}));
  expect(response.status).toBe(202);
  return (await response.json()) as { id: string; location: string };
}

async function waitForEnd(transport: Transport, location: string): Promise<SyncRecord> {
  // The SSE stream ends with the result: reading it to the end waits without polling.
  const events = parseSse(await (await transport.request(`${location}/events`)).text());
  const last = events.at(-1)!;
  expect(last.event).toBe("result");
  return JSON.parse(last.data) as SyncRecord;
}

async function getRecord(transport: Transport, location: string): Promise<SyncRecord> {
  return (await (await transport.request(location)).json()) as SyncRecord;
}

function drain<T>(page: (token: string) => { items: T[]; nextPageToken: string }): T[] {
  const out: T[] = [];
  let token = "";
  do {
    const result = page(token);
    out.push(...result.items);
    token = result.nextPageToken;
  } while (token);
  return out;
}

/** Every object id of one sync in a c1z, sorted. */
function objectSet(store: C1zWriter, syncId: string) {
  return {
    resourceTypes: drain((pageToken) => store.listResourceTypes({ syncId, pageToken }))
      .map((t) => t.id)
      .sort(),
    resources: drain((pageToken) => store.listResources({ syncId, pageToken }))
      .map((r) => `${r.id?.resourceType}/${r.id?.resource}`)
      .sort(),
    entitlements: drain((pageToken) => store.listEntitlements({ syncId, pageToken }))
      .map((e) => e.id)
      .sort(),
    grants: drain((pageToken) => store.listGrants({ syncId, pageToken }))
      .map((g) => g.id)
      .sort(),
  };
}

async function download(transport: Transport, location: string): Promise<Uint8Array> {
  const response = await transport.request(`${location}/c1z`);
  expect(response.status).toBe(200);
  return new Uint8Array(await response.arrayBuffer());
}

/** Where a running sync's work file is (the data directory's default work directory). */
const checkpointPath = (dir: string, id: string) => join(dir, "work", "org", `${id}.work.db`);

/** The work-file stores the current simulated process has open, and whether it still lives. */
let openStores: C1zWriter[] = [];
let alive = { value: true };

/**
 * What the OS does to a killed process: its database connections close with no commit,
 * and it writes nothing more (its record writes still queued would land after the next process's).
 */
function killProcess(): void {
  for (const store of openStores) if (store instanceof SqliteC1zStore) store.db.close();
  openStores = [];
  alive.value = false;
}

/** The state store of the next simulated process over `dir` (the previous one is killed first). */
async function processState(dir: string): Promise<SyncStateStore> {
  killProcess();
  const living = { value: true };
  alive = living;
  const state = await createFsStateStore(dir);
  const putSync = state.putSync.bind(state);
  state.putSync = async (record) => {
    if (living.value) await putSync(record);
  };
  const work = state.workFiles;
  expect(work, "Node has a native file engine, so syncs go through work files").toBeDefined();
  state.workFiles = {
    ...work!,
    sync: (key, load) => {
      const seams = work!.sync(key, load);
      return {
        ...seams,
        store: {
          open: async () => {
            const store = await seams.store.open();
            openStores.push(store);
            return store;
          },
        },
      };
    },
  };
  return state;
}

/** The unfinished sync a killed process left in its work file (read from a copy). */
async function unfinishedIn(workPath: string) {
  const copy = `${workPath}.inspect`;
  copyFileSync(workPath, copy);
  const saved = await openC1zWorkFile(copy);
  try {
    return saved.latestUnfinishedSync();
  } finally {
    saved.close();
    rmSync(copy, { force: true });
  }
}

describe("a sync running when the process stops", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "http-resume-"));
  });
  afterEach(() => {
    killProcess();
    rmSync(dir, { recursive: true, force: true });
  });

  it("resumes after a restart from its saved checkpoint and ends with the same objects as an uninterrupted sync", async () => {
    // The reference: the same plugin synced without interruption.
    nextProcess();
    const reference = appOver(createMemoryStateStore());
    const referenceRun = await startSync(reference);
    expect((await waitForEnd(reference, referenceRun.location)).state).toBe("succeeded");
    const referenceC1z = await openC1z(await download(reference, referenceRun.location));
    const referenceSyncId = referenceC1z.listSyncs()[0]!.syncId;
    const expected = objectSet(referenceC1z, referenceSyncId);
    referenceC1z.close();
    // Independent of our code: the fixture itself.
    expect(expected.resources).toEqual(
      [
        ...GROUPS.map((g) => `group/${g}`),
        ...Object.values(PAGES).flatMap((p) => p.users.map((u) => `user/${u}`)),
      ].sort(),
    );
    expect(expected.grants).toHaveLength(5);

    // Process 1: hangs inside the second users page, after the checkpoint that followed the first.
    const first = nextProcess({ hangAtPage: "p2" });
    const process1 = appOver(await processState(dir));
    const { id, location } = await startSync(process1);
    await first.reached;
    expect(script.userPages).toEqual(["", "p2"]);
    const before = await getRecord(process1, location);
    expect(before.state).toBe("running");
    expect(existsSync(checkpointPath(dir, id))).toBe(true);
    // What the checkpoint holds: an unfinished sync whose token points past the first page.
    killProcess();
    const unfinished = await unfinishedIn(checkpointPath(dir, id));
    expect(unfinished).toBeDefined();
    expect(unfinished!.syncToken).not.toBe("");
    expect(unfinished!.endedAt).toBeNull();
    const checkpointSyncId = unfinished!.syncId;

    // Process 2 over the same directory; process 1 and its store are simply dropped.
    nextProcess();
    script.clock.advance(3_600_000);
    const process2 = appOver(await processState(dir));
    expect((await process2.request("/readyz")).status).toBe(200);
    const resumed = await getRecord(process2, location);
    expect(resumed.state).toBe("running");
    expect(resumed.resumed).toBe(true);
    expect(resumed.startedAt).toBe(before.startedAt);
    // The lock is held by the resumed sync.
    expect((await process2.request("/v1/connectors/org/syncs", json({}))).status).toBe(409);

    const done = await waitForEnd(process2, location);
    expect(done.state).toBe("succeeded");
    expect(done.resumed).toBe(true);
    expect(done.startedAt).toBe(before.startedAt);
    // Resumed at the page it was in, never the first page again.
    expect(script.userPages).toEqual(["p2", "p3"]);
    expect(done.c1zSyncId).toBe(checkpointSyncId);
    expect(done.counts).toEqual({
      resourceTypes: expected.resourceTypes.length,
      resources: expected.resources.length,
      entitlements: expected.entitlements.length,
      grants: expected.grants.length,
    });
    expect(existsSync(checkpointPath(dir, id))).toBe(false);

    const result = await openC1z(await download(process2, location));
    try {
      // One sync run in the file: the resumed one, finished; no second sync was started.
      const runs = result.listSyncs();
      expect(runs.map((r) => r.syncId)).toEqual([checkpointSyncId]);
      expect(runs[0]!.endedAt).not.toBeNull();
      expect(objectSet(result, checkpointSyncId)).toEqual(expected);
    } finally {
      result.close();
    }
    // Reads serve the resumed sync.
    const users = (await (await process2.request("/v1/connectors/org/resources?resourceType=user")).json()) as {
      syncId: string;
      items: unknown[];
    };
    expect(users.syncId).toBe(id);
    expect(users.items).toHaveLength(6);
  });

  it("a resumed sync that fails keeps the last good c1z and leaves no checkpoint behind", async () => {
    nextProcess();
    const process0 = appOver(await processState(dir));
    const good = await startSync(process0);
    expect((await waitForEnd(process0, good.location)).state).toBe("succeeded");
    const goodBytes = await download(process0, good.location);

    const first = nextProcess({ hangAtPage: "p2" });
    const process1 = appOver(await processState(dir));
    const { id, location } = await startSync(process1);
    await first.reached;
    expect(existsSync(checkpointPath(dir, id))).toBe(true);

    nextProcess({ failAtPage: "p3" });
    const process2 = appOver(await processState(dir));
    const failed = await waitForEnd(process2, location);
    expect(failed.state).toBe("failed");
    expect(failed.resumed).toBe(true);
    expect(failed.error?.detail).toContain("upstream broke at page p3");
    expect(script.userPages).toEqual(["p2", "p3"]);
    expect(existsSync(checkpointPath(dir, id))).toBe(false);
    expect((await process2.request(`${location}/c1z`)).status).toBe(409);
    expect(await download(process2, good.location)).toEqual(goodBytes);
    const users = (await (await process2.request("/v1/connectors/org/resources?resourceType=user")).json()) as {
      syncId: string;
    };
    expect(users.syncId).toBe(good.id);
  });

  it(`a sync that keeps stopping the process is resumed ${MAX_RESUMES} times, then marked interrupted`, async () => {
    let hang = nextProcess({ hangAtPage: "p2" });
    const process1 = appOver(await processState(dir));
    const { id, location } = await startSync(process1);
    await hang.reached;
    for (let restart = 1; restart <= MAX_RESUMES; restart++) {
      hang = nextProcess({ hangAtPage: "p2" });
      const next = appOver(await processState(dir));
      await hang.reached;
      const record = await getRecord(next, location);
      expect(record.state).toBe("running");
      expect(record.resumes).toBe(restart);
      expect(script.userPages).toEqual(["p2"]);
    }
    nextProcess();
    const last = appOver(await processState(dir));
    expect((await last.request("/readyz")).status).toBe(200);
    const record = await getRecord(last, location);
    expect(record.state).toBe("failed");
    expect(record.error?.detail).toContain(`again after ${MAX_RESUMES} resumes`);
    expect(script.userPages).toEqual([]);
    expect(existsSync(checkpointPath(dir, id))).toBe(false);
  });

  it("without a checkpoint (stopped before the first one) the sync is marked interrupted, as before", async () => {
    const first = nextProcess({ hangInValidate: true });
    const process1 = appOver(await processState(dir));
    const { id, location } = await startSync(process1);
    await first.reached;
    expect((await getRecord(process1, location)).state).toBe("running");
    // The work file exists from the start, but its sync has no checkpoint (no sync token) yet.
    killProcess();
    expect((await unfinishedIn(checkpointPath(dir, id)))?.syncToken ?? "").toBe("");

    nextProcess();
    const process2 = appOver(await processState(dir));
    expect((await process2.request("/readyz")).status).toBe(200);
    const record = await getRecord(process2, location);
    expect(record.state).toBe("failed");
    expect(record.error?.title).toBe("Sync interrupted");
    expect(record.resumed).toBeUndefined();
    expect(script.userPages).toEqual([]);
    // The connector is free again: a new sync starts from scratch and succeeds.
    const next = await startSync(process2);
    expect((await waitForEnd(process2, next.location)).state).toBe("succeeded");
    expect(script.userPages).toEqual(["", "p2", "p3"]);
  });
});
