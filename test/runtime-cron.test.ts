/**
 * The cron runner (src/jobs/cron.ts) in this process against moto: a failed
 * connector does not stop the others, uploads are byte-exact, and a sync cut
 * short stops at a checkpoint, leaves the destination alone, and resumes. On
 * Node each sync runs through a work file in the work directory.
 */

import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import demo from "../plugins/demo/index.ts";
import { openC1z, openC1zWorkFile } from "../src/c1z/index.ts";
import { runScheduledSyncs } from "../src/jobs/cron.ts";
import { locationCheckpoints } from "../src/jobs/location-checkpoints.ts";
import type { AnyPlugin, Logger } from "../src/plugins/contract.ts";
import { idSetsOf, idSetsOfC1z, localDemoIdSets } from "./runtime-support.ts";
import { hasMoto, type Moto, motoAdmin, startMoto, testCredentials } from "./upload-support.ts";

const bucket = "cron-test";

function captureLog(): Logger & { lines: { level: string; msg: string }[] } {
  const lines: { level: string; msg: string }[] = [];
  const at = (level: string) => (msg: string) => {
    lines.push({ level, msg });
  };
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

describe.skipIf(!hasMoto)("cron runner against moto", () => {
  let moto: Moto;
  let admin: S3Client;
  let expected: Awaited<ReturnType<typeof localDemoIdSets>>;

  beforeAll(async () => {
    moto = await startMoto();
    admin = await motoAdmin(moto, bucket);
    expected = await localDemoIdSets(demo);
  });
  afterAll(async () => {
    admin?.destroy();
    await moto?.stop();
  });

  const destination = (key: string) => `s3://${bucket}/${key}?region=us-east-1&endpoint=${moto.endpoint}`;
  const get = async (key: string) => {
    const out = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return new Uint8Array(await out.Body!.transformToByteArray());
  };

  it("syncs every connector; a broken one is logged and the next still uploads byte-exact", async () => {
    const log = captureLog();
    const env = {
      ...testCredentials,
      BATON_CONNECTORS: JSON.stringify([
        { name: "broken", plugin: "no-such-plugin", destination: destination("x.c1z") },
        {
          name: "needs-secret",
          plugin: "demo",
          secrets: { users: "DEMO_USERS_SECRET" },
          destination: destination("y.c1z"),
        },
        { name: "demo", destination: destination("{connector}/{date}/{syncId}.c1z") },
      ]),
    };
    const outcomes = await runScheduledSyncs({
      env,
      plugin: async (name) => (name === "demo" ? demo : undefined),
      log,
      workDir: mkdtempSync(join(tmpdir(), "cron-work-")),
      now: () => Date.parse("2026-11-28T10:00:00Z"),
    });
    expect(outcomes.map((o) => [o.connector, o.status])).toEqual([
      ["broken", "failed"],
      ["needs-secret", "failed"],
      ["demo", "uploaded"],
    ]);
    expect(log.lines.filter((l) => l.level === "error").map((l) => l.msg)).toEqual([
      'cron: connector broken failed: no plugin named "no-such-plugin" in this build',
      'cron: connector needs-secret failed: connector "needs-secret": secret DEMO_USERS_SECRET (for users) is not set',
    ]);

    const uploaded = outcomes[2];
    if (uploaded.status !== "uploaded") throw new Error("unreachable");
    const listed = await admin.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "demo/" }));
    const keys = (listed.Contents ?? []).map((o) => o.Key);
    expect(keys).toEqual([`demo/2026-11-28/${uploaded.syncId}.c1z`]);
    const bytes = await get(keys[0]!);
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(uploaded.sha256);
    const read = await idSetsOfC1z(bytes);
    expect(read.syncId).toBe(uploaded.syncId);
    expect({ ...read, syncId: undefined, finished: undefined }).toEqual({
      ...expected,
      syncId: undefined,
      finished: undefined,
    });
  });

  it("a sync cut short stops at a checkpoint kept in S3 and in its work file, leaves the previous object alone, and a run on another machine resumes it from S3", async () => {
    const workDir = mkdtempSync(join(tmpdir(), "cron-work-"));
    const workFile = join(workDir, "cron", "demo.work.db");
    const previous = new TextEncoder().encode("the previous good c1z");
    await admin.send(new PutObjectCommand({ Bucket: bucket, Key: "resume/demo.c1z", Body: previous }));
    const sink = locationCheckpoints(destination("checkpoints/{connector}.c1z"), { env: testCredentials });
    const kept = async () =>
      admin
        .send(new GetObjectCommand({ Bucket: bucket, Key: "checkpoints/demo.c1z" }))
        .then(async (out) => new Uint8Array(await out.Body!.transformToByteArray()))
        .catch((e: { name?: string }) => {
          if (e.name === "NoSuchKey") return undefined;
          throw e;
        });
    const env = {
      ...testCredentials,
      BATON_CONNECTORS: JSON.stringify([{ name: "demo", destination: destination("resume/demo.c1z") }]),
    };
    // Cut the run short when the first grants page is asked for: the run's budget "ends" there.
    const stop = new AbortController();
    const cutting: AnyPlugin = {
      ...demo,
      resourceTypes: demo.resourceTypes.map((t) => ({
        ...t,
        grants: async (...args: Parameters<typeof t.grants>) => {
          stop.abort(new Error("budget spent (test)"));
          return t.grants(...args);
        },
      })),
    };
    const log = captureLog();
    const first = await runScheduledSyncs({
      env,
      plugin: async () => cutting,
      log,
      checkpoints: sink,
      signal: stop.signal,
      workDir,
    });
    expect(first).toMatchObject([{ connector: "demo", status: "checkpointed" }]);
    expect(log.lines.some((l) => l.level === "warn" && /stopped at a checkpoint/.test(l.msg))).toBe(true);
    expect(Buffer.from(await get("resume/demo.c1z")).equals(Buffer.from(previous))).toBe(true);

    const partial = await openC1z((await kept())!);
    const unfinished = partial.latestUnfinishedSync();
    expect(unfinished?.syncId).toBe(first[0].status === "checkpointed" ? first[0].syncId : "");
    expect(unfinished?.endedAt).toBeNull();
    expect(unfinished?.syncToken).not.toBe("");
    const written = idSetsOf(partial, unfinished?.syncId).resources;
    expect(written.length).toBeGreaterThan(0);
    expect(written.every((id) => expected.resources.includes(id))).toBe(true);
    partial.close();
    // This machine's work file holds the same unfinished sync.
    const local = await openC1zWorkFile(workFile);
    expect(local.latestUnfinishedSync()?.syncId).toBe(unfinished?.syncId);
    local.close();

    // Another machine (an empty work directory) resumes from the checkpoint location.
    rmSync(workDir, { recursive: true, force: true });
    const elsewhere = mkdtempSync(join(tmpdir(), "cron-work-"));
    const second = await runScheduledSyncs({
      env,
      plugin: async () => demo,
      log: captureLog(),
      checkpoints: sink,
      workDir: elsewhere,
    });
    expect(second).toMatchObject([{ connector: "demo", status: "uploaded", syncId: unfinished?.syncId }]);
    expect(await kept()).toBeUndefined();
    expect(existsSync(join(elsewhere, "cron", "demo.work.db"))).toBe(false);
    const read = await idSetsOfC1z(await get("resume/demo.c1z"));
    expect({ ...read, syncId: undefined, finished: undefined }).toEqual({
      ...expected,
      syncId: undefined,
      finished: undefined,
    });
  });
});
