/**
 * Syncs across invocations on real workerd (`wrangler dev` serving the deploy
 * bundle, with the connector Durable Objects and their SQLite storage), against
 * moto over HTTP:
 *
 * - a cron sync of the demo at ~100k grants with a 1 s step budget runs in many
 *   alarm steps; workerd is killed (SIGKILL) in the middle of a step and
 *   restarted; the first upload fails on its 1st part, the second hangs there
 *   and workerd is killed again with that multipart upload open. It still
 *   uploads exactly one c1z whose id sets equal a local sync of the same demo,
 *   which baton-sdk's reader opens, and leaves no multipart upload open;
 * - two HTTP sync requests at once, and one after a restart: one 202, then 409s
 *   naming the running sync, which finishes after the restart and serves its c1z.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import demo from "../plugins/demo/index.ts";
import { goInterop, type Listing, runOk } from "./interop/tools.ts";
import { idSetsOfC1z, localDemoIdSets, type Started, waitForOutput } from "./runtime-support.ts";
import { buildWorker, workerLogLines, writeWorkerConfig } from "./runtime-worker-support.ts";
import { hasWrangler, startWranglerDev } from "./support/wrangler-dev.ts";
import {
  type FaultProxy,
  freePort,
  hasMoto,
  type Moto,
  motoAdmin,
  startFaultProxy,
  startMoto,
  testCredentials,
} from "./upload-support.ts";

const root = resolve(import.meta.dirname, "..");
if (!hasWrangler) console.warn("workerd step test skipped: wrangler is not installed");
const go = goInterop();
if (!go.ok) console.warn(`workerd step test: baton-sdk reader check skipped: ${go.reason}`);

const bucket = "steps-workerd";
/** The smallest demo with ~100k grants: a deep group tree multiplies each direct grant by its expansion. */
const large = { users: 1000, groups: 1023, grants: 27000, "page-size": 500 };
/** The HTTP connector (configured from BATON_* like any API connector): big enough that even on an idle machine its sync needs several 1 s steps, so a restart lands mid-sync. */
const medium = { users: 1600, groups: 63, grants: 24000, "page-size": 100 };

interface LogLine {
  level: string;
  msg: string;
  connector?: string;
  syncId?: string;
  recordId?: string;
  sha256?: string;
  invocations?: number;
  invocation?: number;
  /** What the job does next, on a step's "checkpointed" line: `sync` or `upload`. */
  next?: string;
}

const logLines = (output: string) => workerLogLines<LogLine>(output);

describe.skipIf(!hasMoto || !hasWrangler)("Workers: syncs in Durable Object steps on workerd (moto)", () => {
  const scratch = mkdtempSync(join(tmpdir(), "baton-steps-"));
  let moto: Moto;
  let admin: S3Client;
  let proxy: FaultProxy;
  let worker: Started | undefined;
  /** Everything every workerd run printed, across restarts. */
  let earlier = "";
  let port: number;
  let config: string;
  /** Tries of UploadPart 1 so far: the 1st gets a 500, the 2nd hangs, later ones reach moto. */
  let part1Tries = 0;

  const output = () => earlier + (worker?.output() ?? "");
  const base = () => `http://127.0.0.1:${port}`;

  async function startWorker(): Promise<void> {
    ({ server: worker } = await startWranglerDev({ config, cwd: scratch, persistTo: join(scratch, "state"), port }));
  }

  /** SIGKILL to wrangler and workerd (one process group): nothing gets to finish or flush. */
  async function killWorker(): Promise<void> {
    const child = worker!.child;
    const exited = new Promise((ok) => child.once("exit", ok));
    process.kill(-child.pid!, "SIGKILL");
    await exited;
    earlier += worker!.output();
    worker = undefined;
  }

  async function waitForLog(pattern: RegExp, timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!pattern.test(output())) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${pattern}:\n${output().slice(-4000)}`);
      await new Promise((ok) => setTimeout(ok, 200));
    }
  }

  beforeAll(async () => {
    moto = await startMoto();
    admin = await motoAdmin(moto, bucket);
    await buildWorker(root, scratch);
    proxy = await startFaultProxy(moto.endpoint, (req, url) => {
      if (req.method !== "PUT" || url.searchParams.get("partNumber") !== "1") return undefined;
      part1Tries++;
      return part1Tries === 1 ? 500 : part1Tries === 2 ? "hang" : undefined;
    });
    port = await freePort();
    config = writeWorkerConfig(scratch, {
      durableObjects: true,
      vars: {
        ...testCredentials,
        BATON_AUTH: "off",
        BATON_S3_PART_SIZE_MB: "5",
        BATON_S3_MAX_ATTEMPTS: "1",
        // Forced small, so the sync takes many invocations.
        BATON_STEP_BUDGET_MS: "1000",
        BATON_STEP_RETRY_MS: "200",
        // A killed step is retried by its lease alarm after this long.
        BATON_STEP_LEASE_MS: "20000",
        BATON_USERS: String(medium.users),
        BATON_GROUPS: String(medium.groups),
        BATON_GRANTS: String(medium.grants),
        BATON_PAGE_SIZE: String(medium["page-size"]),
        BATON_CONNECTORS: JSON.stringify([
          {
            name: "demo-steps",
            plugin: "demo",
            config: large,
            destination: `s3://${bucket}/{connector}/{syncId}.c1z?region=us-east-1&endpoint=${proxy.endpoint}`,
          },
        ]),
      },
    });
    await startWorker();
  });

  afterAll(async () => {
    await worker?.stop();
    await proxy?.stop();
    admin?.destroy();
    await moto?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("a cron sync of ~100k grants runs in ≥5 invocations, survives SIGKILL mid-step and a failed part, and uploads one c1z equal to a local sync", async () => {
    // The local reference sync runs while workerd works.
    const expectedLarge = localDemoIdSets(demo, large);
    const cron = () => fetch(`${base()}/cdn-cgi/handler/scheduled?cron=0+*+*+*+*`);
    expect((await cron()).status).toBe(200);
    await waitForLog(/cron: connector demo-steps sync started/, 30_000);
    const recordId = logLines(output()).find((l) => l.msg === "cron: connector demo-steps sync started")?.syncId;
    expect(recordId).toBeTruthy();

    // Killed in the middle of step 4, after three checkpoints.
    await waitForLog(/sync step 4 started/, 120_000);
    await new Promise((ok) => setTimeout(ok, 300));
    await killWorker();
    const beforeKill = logLines(earlier);
    const checkpointsBefore = beforeKill.filter((l) => l.msg.endsWith(" checkpointed")).length;
    expect(beforeKill.some((l) => l.msg.startsWith("cron: connector demo-steps uploaded"))).toBe(false);

    await startWorker();
    // The next cron run finds the sync still going (the lock outlived the process) and leaves it alone.
    expect((await cron()).status).toBe(200);
    await waitForOutput(worker!, /cron: connector demo-steps (is still syncing|sync started)/, 300);
    const after = logLines(worker!.output());
    expect(after.find((l) => /^cron: connector demo-steps/.test(l.msg))).toMatchObject({
      msg: "cron: connector demo-steps is still syncing; left to finish",
      syncId: recordId,
    });

    // The first upload fails on part 1 (the step throws, the uploader aborts); the retry hangs on part 1 and
    // workerd dies with that multipart upload open. The upload id was stored before the first part.
    const until = Date.now() + 420_000;
    while (part1Tries < 2 && Date.now() < until) await new Promise((ok) => setTimeout(ok, 200));
    expect(part1Tries).toBe(2);
    const open = (await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [];
    expect(open.map((u) => u.Key)).toEqual([expect.stringMatching(/^demo-steps\/.*\.c1z$/)]);
    // The restarted step's log line can reach wrangler's output after the part tries were counted (seen once on a
    // loaded box, with no step line in the output yet): wait for it before reading the output.
    await waitForOutput(worker!, /sync step \d+ started [^"\n]*try 2\)/, 300);
    const betweenRestarts = worker!.output();
    await killWorker();
    await startWorker();

    await waitForLog(/cron: connector demo-steps uploaded/, 300_000);
    const lines = logLines(output());
    const uploaded = lines.find((l) => l.msg.startsWith("cron: connector demo-steps uploaded"))!;
    expect(uploaded.recordId).toBe(recordId);
    expect(uploaded.invocations).toBeGreaterThanOrEqual(5);
    // After the restart the sync went on from its last checkpoint: no step 1 again, and the killed
    // try of a step was counted.
    const restartedSteps = logLines(betweenRestarts).filter((l) => /^sync step \d+ started/.test(l.msg));
    expect(restartedSteps.length).toBeGreaterThan(0);
    expect(Number(restartedSteps[0].msg.match(/^sync step (\d+)/)![1])).toBeGreaterThan(checkpointsBefore);
    expect(restartedSteps[0].msg).toMatch(/try 2\)$/);
    // The failed part: the step threw, its multipart upload was aborted, the next step uploaded alone;
    // the upload left open by the killed try was aborted by its id after the restart.
    expect(part1Tries).toBe(3);
    expect(lines.some((l) => /^sync step \d+ failed \(try \d of 5\): .*aborted/.test(l.msg))).toBe(true);
    expect(lines.some((l) => /^sync step \d+ started \(upload, try 1\)$/.test(l.msg))).toBe(true);
    // The step that finished the sync had spent its 1 s budget (the end work is not cut): it left
    // the upload to a step of its own instead of adding it to the same invocation.
    const finishing = lines.filter((l) => l.msg.endsWith(" checkpointed") && l.next === "upload");
    expect(finishing).toHaveLength(1);
    const hungId = open[0].UploadId!;
    expect(lines.some((l) => l.msg.startsWith(`aborted multipart upload ${hungId} `))).toBe(true);
    expect(proxy.log.filter((l) => l.startsWith("DELETE ") && l.includes("uploadId=")).length).toBeGreaterThanOrEqual(
      2,
    );

    // Exactly one object, no multipart upload left open.
    const listed = await admin.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "demo-steps/" }));
    expect((listed.Contents ?? []).map((o) => o.Key)).toEqual([`demo-steps/${uploaded.syncId}.c1z`]);
    expect((await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).toEqual([]);

    const object = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: `demo-steps/${uploaded.syncId}.c1z` }));
    const bytes = new Uint8Array(await object.Body!.transformToByteArray());
    const read = await idSetsOfC1z(bytes);
    expect(read.syncId).toBe(uploaded.syncId);
    const expected = await expectedLarge;
    expect(expected.grants.length).toBeGreaterThan(95_000);
    expect(read.grants.length).toBe(expected.grants.length);
    expect({
      resourceTypes: read.resourceTypes,
      resources: read.resources,
      entitlements: read.entitlements,
      grants: read.grants,
    }).toEqual(expected);

    if (go.ok) {
      const file = join(scratch, "steps.c1z");
      writeFileSync(file, bytes);
      // The interop program lists every grant; on a busy 2-core machine that takes a while.
      const theirs = JSON.parse(runOk(go.value, ["list", file], { timeoutMs: 600_000 }).toString("utf8")) as Listing;
      expect(theirs.syncs.filter((s) => s.finished).map((s) => s.id)).toContain(uploaded.syncId);
      expect(theirs.grants.map((g) => g.id).sort()).toEqual(expected.grants);
      expect(theirs.entitlements.map((e) => e.id).sort()).toEqual(expected.entitlements);
      expect(theirs.resources.map((r) => `${r.resourceType}:${r.resource}`).sort()).toEqual(expected.resources);
    }
  }, 900_000);

  it("HTTP: two requests at once and one after a restart get one 202 and 409s; the sync finishes after the restart", async () => {
    const expectedMedium = localDemoIdSets(demo, medium);
    const start = () =>
      fetch(`${base()}/v1/connectors/demo/syncs`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
    const first = await Promise.all([start(), start()]);
    expect(first.map((r) => r.status).sort()).toEqual([202, 409]);
    const accepted = (await first.find((r) => r.status === 202)!.json()) as { id: string };
    const refused = (await first.find((r) => r.status === 409)!.json()) as { runningSyncId?: string };
    expect(refused.runningSyncId).toBe(accepted.id);

    await waitForLog(new RegExp(`"syncId":"${accepted.id}".*"invocation":1,`), 120_000);
    await killWorker();
    await startWorker();

    const again = await start();
    expect(again.status).toBe(409);
    expect(((await again.json()) as { runningSyncId?: string }).runningSyncId).toBe(accepted.id);

    // A read waits while the object computes a stretch of a step (it lets requests in at checkpoints;
    // grant expansion is one long stretch), so a slow answer is retried until the deadline.
    let record: { state: string; invocations?: number; c1zSyncId: string | null } | undefined;
    const until = Date.now() + 400_000;
    while (record?.state !== "succeeded" && record?.state !== "failed") {
      if (Date.now() > until) throw new Error(`the sync did not finish; workerd printed:\n${output().slice(-4000)}`);
      await new Promise((ok) => setTimeout(ok, 500));
      const response = await fetch(`${base()}/v1/connectors/demo/syncs/${accepted.id}`, {
        signal: AbortSignal.timeout(20_000),
      }).catch(() => undefined);
      if (response) record = (await response.json()) as typeof record;
    }
    expect(record?.state).toBe("succeeded");
    expect(record?.invocations).toBeGreaterThanOrEqual(2);

    const download = await fetch(`${base()}/v1/connectors/demo/syncs/${accepted.id}/c1z`);
    expect(download.status).toBe(200);
    const read = await idSetsOfC1z(new Uint8Array(await download.arrayBuffer()));
    expect(read.syncId).toBe(record?.c1zSyncId);
    expect({
      resourceTypes: read.resourceTypes,
      resources: read.resources,
      entitlements: read.entitlements,
      grants: read.grants,
    }).toEqual(await expectedMedium);

    // Its event stream (any isolate: it follows the stored record) replays the phases in order and ends with the result.
    const events = await (await fetch(`${base()}/v1/connectors/demo/syncs/${accepted.id}/events`)).text();
    const names = [...events.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(names.at(-1)).toBe("result");
    expect(names.filter((n) => n === "phase").length).toBeGreaterThanOrEqual(6);
    const data = [...events.matchAll(/^data: (.*)$/gm)].map((m) => m[1]);
    const result = JSON.parse(data.at(-1)!) as { state: string; id: string };
    expect(result).toMatchObject({ id: accepted.id, state: "succeeded" });

    // The lock is free again.
    const next = await start();
    expect(next.status).toBe(202);
  }, 600_000);
});
