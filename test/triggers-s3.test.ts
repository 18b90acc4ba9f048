/**
 * The cron runner on Node streams a c1z from its work file to S3 (moto, behind a
 * fault-injecting proxy that logs every request): a c1z larger than one part goes up
 * as several parts of one multipart upload; a part that keeps failing aborts the upload,
 * so the key keeps its previous object and no multipart upload stays open; a sync that
 * fails before its upload starts none. The next run after a failed upload uploads again.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, ListMultipartUploadsCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import * as v from "valibot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runScheduledSyncs } from "../src/jobs/cron.ts";
import type { Logger } from "../src/log/index.ts";
import { definePlugin, entitlement, grant, group, resourceId, resourceType, user } from "../src/plugins/sdk.ts";
import { type IdSets, idSetsOfC1z, localDemoIdSets } from "./runtime-support.ts";
import { sqlite3Value, toolsPresent, writeAndDecompress } from "./support/c1z-tools.ts";
import {
  type FaultProxy,
  hasMoto,
  type Moto,
  motoAdmin,
  startFaultProxy,
  startMoto,
  testCredentials,
} from "./upload-support.ts";

const bucket = "triggers-stream";
const MiB = 1024 * 1024;
const USERS = 3000;
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Users with 4 KiB of random base64 each (it hardly compresses), so the c1z is about
 * 9 MiB: two parts of 5 MiB. `failAtGrants` makes the grants call throw.
 */
const profiles = Array.from({ length: USERS }, () => randomBytes(3072).toString("base64"));
let failAtGrants = false;
let workFileSeen: boolean[] = [];
let workFile = "";
const bulky = definePlugin({
  name: "bulky",
  displayName: "Bulky",
  config: v.object({}),
  connect: () => ({}),
  resourceTypes: [
    {
      resourceType: resourceType({ displayName: "User", traits: ["user"], skip: "entitlementsAndGrants" }),
      list: async (_parent, ctx) => {
        const offset = ctx.pageToken === "" ? 0 : Number(ctx.pageToken);
        const end = Math.min(USERS, offset + 500);
        const items = [];
        for (let i = offset; i < end; i++) {
          items.push(user({ id: `u${i}`, displayName: `User ${i}`, login: `u${i}`, description: profiles[i] }));
        }
        return { items, nextPageToken: end < USERS ? String(end) : "" };
      },
      entitlements: async () => ({ items: [] }),
      grants: async () => ({ items: [] }),
    },
    {
      resourceType: resourceType({ displayName: "Group", traits: ["group"] }),
      list: async () => ({ items: [group({ id: "all", displayName: "All" })] }),
      entitlements: async (owner) => ({ items: [entitlement(owner, "member", { displayName: "Member" })] }),
      grants: async (owner, ctx) => {
        if (workFile) workFileSeen.push(existsSync(workFile));
        if (failAtGrants) throw new Error("upstream broke while listing grants");
        const offset = ctx.pageToken === "" ? 0 : Number(ctx.pageToken);
        const end = Math.min(USERS, offset + 1000);
        const items = [];
        for (let i = offset; i < end; i++) items.push(grant(owner, "member", resourceId("user", `u${i}`)));
        return { items, nextPageToken: end < USERS ? String(end) : "" };
      },
    },
  ],
});

describe.skipIf(!hasMoto)("cron on Node: the c1z streamed from the work file to S3 multipart", () => {
  let moto: Moto;
  let admin: S3Client;
  let expected: IdSets;
  let scratch: string;

  beforeAll(async () => {
    moto = await startMoto();
    admin = await motoAdmin(moto, bucket);
    expected = await localDemoIdSets(bulky);
    scratch = mkdtempSync(join(tmpdir(), "triggers-s3-"));
  }, 120_000);
  afterAll(async () => {
    admin?.destroy();
    await moto?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const object = async (key: string) => {
    const out = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return new Uint8Array(await out.Body!.transformToByteArray());
  };
  const openUploads = async () => (await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [];

  /** One cron run of `bulky` into `key` through `proxy`, with 5 MiB parts and no S3 retries. */
  const cronRun = (proxy: FaultProxy, key: string, workDir: string) => {
    workFile = join(workDir, "cron", "bulky.work.db");
    workFileSeen = [];
    return runScheduledSyncs({
      env: {
        ...testCredentials,
        BATON_S3_PART_SIZE_MB: "5",
        BATON_S3_MAX_ATTEMPTS: "1",
        BATON_WORK_DIR: workDir,
        BATON_CONNECTORS: JSON.stringify([
          { name: "bulky", destination: `s3://${bucket}/${key}?region=us-east-1&endpoint=${proxy.endpoint}` },
        ]),
      },
      plugin: async () => bulky,
      log: quiet,
    });
  };
  const partsSent = (proxy: FaultProxy) =>
    new Set(
      proxy.log
        .filter((l) => l.startsWith("PUT ") && l.includes("uploadId="))
        .map((l) => new URL(l.slice(4), "http://x").searchParams.get("partNumber")),
    );

  it("a c1z larger than one part goes up as several parts of one upload, from the work file", async () => {
    const proxy = await startFaultProxy(moto.endpoint, () => undefined);
    try {
      const workDir = join(scratch, "ok");
      const outcomes = await cronRun(proxy, "ok/bulky.c1z", workDir);
      expect(outcomes).toMatchObject([{ connector: "bulky", status: "uploaded" }]);
      const bytes = await object("ok/bulky.c1z");
      expect(bytes.length).toBeGreaterThan(5 * MiB);
      expect(outcomes[0]).toMatchObject({ bytes: bytes.length });
      // One CreateMultipartUpload, ceil(size / 5 MiB) parts, one Complete; never a single PutObject.
      expect(proxy.log.filter((l) => l.startsWith("POST ") && l.includes("uploads")).length).toBe(1);
      expect(partsSent(proxy)).toEqual(
        new Set(Array.from({ length: Math.ceil(bytes.length / (5 * MiB)) }, (_, i) => String(i + 1))),
      );
      expect(partsSent(proxy).size).toBeGreaterThanOrEqual(2);
      expect(await openUploads()).toEqual([]);
      expect(workFileSeen.length).toBeGreaterThan(0);
      expect(workFileSeen.every(Boolean)).toBe(true);
      expect(existsSync(workFile)).toBe(false);

      const read = await idSetsOfC1z(bytes);
      expect({ ...read, syncId: undefined, finished: undefined }).toEqual({
        ...expected,
        syncId: undefined,
        finished: undefined,
      });
      if (toolsPresent("zstd", "sqlite3")) {
        const db = writeAndDecompress(bytes, scratch, "ok");
        expect(sqlite3Value(db, "pragma integrity_check")).toBe("ok");
        expect(sqlite3Value(db, "select count(*) from v1_grants")).toBe(USERS);
      }
    } finally {
      await proxy.stop();
    }
  });

  it("a part that keeps failing aborts the upload: the previous object stays, no upload stays open; the next run uploads", async () => {
    const previous = new TextEncoder().encode("the previous good c1z");
    await admin.send(new PutObjectCommand({ Bucket: bucket, Key: "fail/bulky.c1z", Body: previous }));
    const proxy = await startFaultProxy(moto.endpoint, (req, url) =>
      req.method === "PUT" && url.searchParams.get("partNumber") === "2" ? 500 : undefined,
    );
    const workDir = join(scratch, "fail");
    try {
      const outcomes = await cronRun(proxy, "fail/bulky.c1z", workDir);
      expect(outcomes).toMatchObject([{ connector: "bulky", status: "failed" }]);
      expect(outcomes[0]?.status === "failed" && outcomes[0].error).toMatch(/aborted/);
      // Part 1 went up, part 2 was refused, then the upload was aborted (DELETE ?uploadId=…).
      expect(partsSent(proxy)).toEqual(new Set(["1", "2"]));
      expect(proxy.log.some((l) => l.startsWith("DELETE ") && l.includes("uploadId="))).toBe(true);
      expect(Buffer.from(await object("fail/bulky.c1z")).equals(Buffer.from(previous))).toBe(true);
      expect(await openUploads()).toEqual([]);
    } finally {
      await proxy.stop();
    }
    // The same work directory, S3 healthy again: the next run syncs and uploads.
    const healthy = await startFaultProxy(moto.endpoint, () => undefined);
    try {
      const outcomes = await cronRun(healthy, "fail/bulky.c1z", workDir);
      expect(outcomes).toMatchObject([{ connector: "bulky", status: "uploaded" }]);
      const read = await idSetsOfC1z(await object("fail/bulky.c1z"));
      expect(read.grants).toEqual(expected.grants);
      expect(await openUploads()).toEqual([]);
      expect(existsSync(workFile)).toBe(false);
    } finally {
      await healthy.stop();
    }
  });

  it("a sync that fails leaves the previous object and starts no upload", async () => {
    const previous = new TextEncoder().encode("the previous good c1z, again");
    await admin.send(new PutObjectCommand({ Bucket: bucket, Key: "broken/bulky.c1z", Body: previous }));
    const proxy = await startFaultProxy(moto.endpoint, () => undefined);
    failAtGrants = true;
    try {
      const outcomes = await cronRun(proxy, "broken/bulky.c1z", join(scratch, "broken"));
      expect(outcomes).toMatchObject([{ connector: "bulky", status: "failed" }]);
      expect(outcomes[0]?.status === "failed" && outcomes[0].error).toMatch(/upstream broke/);
      expect(proxy.log.filter((l) => l.includes("uploads") || l.includes("uploadId="))).toEqual([]);
      expect(Buffer.from(await object("broken/bulky.c1z")).equals(Buffer.from(previous))).toBe(true);
      expect(await openUploads()).toEqual([]);
      // The unfinished sync stays in the work file for the next run to resume.
      expect(existsSync(workFile)).toBe(true);
    } finally {
      failAtGrants = false;
      await proxy.stop();
    }
  });
});
