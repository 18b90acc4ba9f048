/**
 * The Workers cron on real workerd (`wrangler dev` serving the deploy bundle):
 * `/cdn-cgi/handler/scheduled` syncs every connector in BATON_CONNECTORS and
 * uploads to moto on loopback. A broken connector is logged and the others
 * still run; the uploaded bytes are exactly what the Worker hashed; a large
 * synthetic sync goes up in more than two parts (through the SDK's XML
 * parsing, which needs the wrangler.toml alias); a 500 on the 2nd part leaves
 * no object and no open multipart upload; the R2 binding also works.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import demo from "../plugins/demo/index.ts";
import { type IdSets, idSetsOfC1z, localDemoIdSets, type Started, waitForOutput } from "./runtime-support.ts";
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
if (!hasWrangler) console.warn("workerd cron test skipped: wrangler is not installed");

const bucket = "cron-workerd";
const large = { users: 3000, groups: 20, grants: 9000, "page-size": 500 };

interface LogLine {
  level: string;
  msg: string;
  connector?: string;
  syncId?: string;
  sha256?: string;
}

const logLines = (output: string) => workerLogLines<LogLine>(output);

describe.skipIf(!hasMoto || !hasWrangler)("Workers cron on workerd uploads to S3 (moto)", () => {
  const scratch = mkdtempSync(join(tmpdir(), "baton-cron-"));
  let moto: Moto;
  let admin: S3Client;
  let worker: Started;
  let proxy: FaultProxy;
  let port: number;
  let expected: IdSets;
  let expectedLarge: IdSets;

  beforeAll(async () => {
    moto = await startMoto();
    admin = await motoAdmin(moto, bucket);
    expected = await localDemoIdSets(demo);
    expectedLarge = await localDemoIdSets(demo, large);
    await buildWorker(root, scratch);
    proxy = await startFaultProxy(moto.endpoint, (req, url) =>
      req.method === "PUT" && url.searchParams.get("partNumber") === "2" ? 500 : undefined,
    );
    const s3 = (key: string) => `s3://${bucket}/${key}?region=us-east-1&endpoint=${moto.endpoint}`;
    const config = writeWorkerConfig(scratch, {
      vars: {
        ...testCredentials,
        BATON_AUTH: "off",
        BATON_S3_PART_SIZE_MB: "5",
        // No SDK retries inside the Worker: the test never waits on backoff sleeps.
        BATON_S3_MAX_ATTEMPTS: "1",
        BATON_CONNECTORS: JSON.stringify([
          { name: "broken", plugin: "no-such-plugin", destination: s3("broken.c1z") },
          { name: "demo", destination: s3("{connector}/{date}/{syncId}.c1z") },
          { name: "demo-large", plugin: "demo", config: large, destination: s3("{connector}/latest.c1z") },
          { name: "demo-r2", plugin: "demo", destination: "r2://C1Z_BUCKET/{connector}/latest.c1z" },
          // Through a proxy that answers 500 to the 2nd UploadPart: the Worker must abort the upload.
          {
            name: "demo-faulty",
            plugin: "demo",
            config: large,
            destination: `s3://${bucket}/faulty/latest.c1z?region=us-east-1&endpoint=${proxy.endpoint}`,
          },
        ]),
      },
    });
    port = await freePort();
    ({ server: worker } = await startWranglerDev({ config, cwd: scratch, persistTo: join(scratch, "state"), port }));
  });

  afterAll(async () => {
    await worker?.stop();
    await proxy?.stop();
    admin?.destroy();
    await moto?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("syncs each connector, logs the failed ones, uploads byte-exact c1z files (multipart for the large one) and aborts a failed multipart upload", async () => {
    const response = await fetch(`http://127.0.0.1:${port}/cdn-cgi/handler/scheduled?cron=0+*+*+*+*`);
    expect(response.status).toBe(200);
    await waitForOutput(worker, /cron: run finished/, 3000);
    const lines = logLines(worker.output());

    const errors = lines.filter((l) => l.level === "error");
    expect(errors.map((l) => l.msg)).toEqual([
      'cron: connector broken failed: no plugin named "no-such-plugin" in this build',
      expect.stringMatching(
        /^cron: connector demo-faulty failed: multipart upload of faulty\/latest\.c1z failed and was aborted: .*InternalError/,
      ),
    ]);
    // The server error was answered inside the Worker (XML error body parsed on workerd), then the upload aborted.
    expect(proxy.log.some((l) => l.startsWith("DELETE ") && l.includes("uploadId="))).toBe(true);
    const faulty = await admin
      .send(new HeadObjectCommand({ Bucket: bucket, Key: "faulty/latest.c1z" }))
      .catch((e: { $metadata?: { httpStatusCode?: number } }) => e.$metadata?.httpStatusCode);
    expect(faulty).toBe(404);
    const uploaded = new Map(
      lines.filter((l) => /^cron: connector \S+ uploaded/.test(l.msg)).map((l) => [l.connector, l] as const),
    );
    expect([...uploaded.keys()].sort()).toEqual(["demo", "demo-large", "demo-r2"]);

    const date = new Date().toISOString().slice(0, 10);
    const demoLine = uploaded.get("demo")!;
    const listed = await admin.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "demo/" }));
    expect((listed.Contents ?? []).map((o) => o.Key)).toEqual([`demo/${date}/${demoLine.syncId}.c1z`]);
    const object = await admin.send(
      new GetObjectCommand({ Bucket: bucket, Key: `demo/${date}/${demoLine.syncId}.c1z` }),
    );
    expect(object.ContentType).toBe("application/c1z");
    const bytes = new Uint8Array(await object.Body!.transformToByteArray());
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(demoLine.sha256);
    const read = await idSetsOfC1z(bytes);
    expect(read.syncId).toBe(demoLine.syncId);
    expect({
      resourceTypes: read.resourceTypes,
      resources: read.resources,
      entitlements: read.entitlements,
      grants: read.grants,
    }).toEqual(expected);

    const largeLine = uploaded.get("demo-large")!;
    const head = await admin.send(new HeadObjectCommand({ Bucket: bucket, Key: "demo-large/latest.c1z" }));
    expect(head.ContentLength).toBeGreaterThan(10 * 1024 * 1024);
    // A multipart object's ETag is "<md5 of the part md5s>-<part count>".
    expect(Number(head.ETag?.replaceAll('"', "").split("-")[1])).toBeGreaterThan(2);
    const largeBytes = new Uint8Array(
      await (
        await admin.send(new GetObjectCommand({ Bucket: bucket, Key: "demo-large/latest.c1z" }))
      ).Body!.transformToByteArray(),
    );
    expect(createHash("sha256").update(largeBytes).digest("hex")).toBe(largeLine.sha256);
    const readLarge = await idSetsOfC1z(largeBytes);
    expect(readLarge.grants.length).toBe(expectedLarge.grants.length);
    expect(readLarge.grants).toEqual(expectedLarge.grants);
    expect(readLarge.resources).toEqual(expectedLarge.resources);
    expect((await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).toEqual([]);

    expect(uploaded.get("demo-r2")?.msg).toMatch(/uploaded \d+ bytes to r2:\/\/C1Z_BUCKET\/demo-r2\/latest\.c1z/);
  });
});
