/**
 * src/upload against a real S3-compatible server (moto) over HTTP, with a
 * fault-injecting proxy in front of it for retry and abort behaviour.
 */
import { createHash, randomBytes } from "node:crypto";
import { GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadC1zSource, S3TransferError, saveC1z } from "../src/upload/index.ts";
import { hasMoto, type Moto, motoAdmin, startFaultProxy, startMoto, testCredentials } from "./upload-support.ts";

const MiB = 1024 * 1024;
const noWait = { maxAttempts: 3, delayMs: () => 0 };

describe.skipIf(!hasMoto)("S3 upload and download against moto", () => {
  let moto: Moto;
  let admin: S3Client;
  const bucket = "baton-test";

  beforeAll(async () => {
    moto = await startMoto();
    admin = await motoAdmin(moto, bucket);
  });
  afterAll(async () => {
    admin?.destroy();
    await moto?.stop();
  });

  const uri = (key: string, endpoint = moto.endpoint) => `s3://${bucket}/${key}?region=us-east-1&endpoint=${endpoint}`;

  async function rawObject(key: string) {
    const out = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return new Uint8Array(await out.Body!.transformToByteArray());
  }

  async function openUploads() {
    const out = await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    return out.Uploads ?? [];
  }

  it("puts a small c1z with one PutObject, application/c1z and the object's SHA-256 checksum", async () => {
    const bytes = new Uint8Array(randomBytes(300_000));
    const result = await saveC1z(uri("small/sync.c1z"), bytes, { env: testCredentials, retry: noWait });
    expect(result.parts).toBe(1);
    const expectedHex = createHash("sha256").update(bytes).digest("hex");
    expect(result.sha256).toBe(expectedHex);

    const head = await admin.send(
      new HeadObjectCommand({ Bucket: bucket, Key: "small/sync.c1z", ChecksumMode: "ENABLED" }),
    );
    expect(head.ContentType).toBe("application/c1z");
    expect(head.ContentLength).toBe(bytes.byteLength);
    expect(head.ChecksumSHA256).toBe(createHash("sha256").update(bytes).digest("base64"));
    expect(head.Metadata?.sha256).toBe(expectedHex);
    expect(Buffer.from(await rawObject("small/sync.c1z")).equals(Buffer.from(bytes))).toBe(true);
  });

  it("downloads an existing object and returns undefined for a missing key", async () => {
    const bytes = new Uint8Array(randomBytes(4096));
    await saveC1z(uri("dl/sync.c1z"), bytes, { env: testCredentials, retry: noWait });
    const loaded = await loadC1zSource(uri("dl/sync.c1z"), { env: testCredentials, retry: noWait });
    expect(loaded && Buffer.from(loaded).equals(Buffer.from(bytes))).toBe(true);
    expect(await loadC1zSource(uri("dl/absent.c1z"), { env: testCredentials, retry: noWait })).toBeUndefined();
  });

  it("refuses to download past the size cap, naming the cap", async () => {
    await saveC1z(uri("cap/sync.c1z"), new Uint8Array(10_000), { env: testCredentials, retry: noWait });
    const error = await loadC1zSource(uri("cap/sync.c1z"), {
      env: testCredentials,
      retry: noWait,
      maxDownloadBytes: 9_999,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(S3TransferError);
    expect((error as S3TransferError).code).toBe("too-large");
    expect((error as Error).message).toContain("9999-byte download cap");
  });

  it("uploads a large c1z in more than two 5 MiB parts and reads back identical bytes", async () => {
    const proxy = await startFaultProxy(moto.endpoint, () => undefined);
    try {
      const bytes = new Uint8Array(randomBytes(11 * MiB + 12345));
      const result = await saveC1z(uri("big/sync.c1z", proxy.endpoint), bytes, {
        env: testCredentials,
        retry: noWait,
        partSize: 5 * MiB,
      });
      expect(result.parts).toBe(3);
      const partRequests = proxy.log.filter((l) => l.startsWith("PUT ") && l.includes("partNumber="));
      expect(partRequests.map((l) => new URL(l.slice(4), "http://x").searchParams.get("partNumber")).sort()).toEqual([
        "1",
        "2",
        "3",
      ]);
      expect(Buffer.from(await rawObject("big/sync.c1z")).equals(Buffer.from(bytes))).toBe(true);
      const head = await admin.send(new HeadObjectCommand({ Bucket: bucket, Key: "big/sync.c1z" }));
      expect(head.ContentType).toBe("application/c1z");
      expect(head.Metadata?.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
      expect(await openUploads()).toEqual([]);
    } finally {
      await proxy.stop();
    }
  });

  it("retries a transient 500 on a part and still completes", async () => {
    let failures = 0;
    const proxy = await startFaultProxy(moto.endpoint, (req, url) => {
      if (req.method === "PUT" && url.searchParams.get("partNumber") === "2" && failures === 0) {
        failures++;
        return 500;
      }
      return undefined;
    });
    try {
      const bytes = new Uint8Array(randomBytes(10 * MiB + 1));
      const result = await saveC1z(uri("retry/sync.c1z", proxy.endpoint), bytes, {
        env: testCredentials,
        retry: noWait,
        partSize: 5 * MiB,
      });
      expect(result.parts).toBe(3);
      expect(proxy.log.filter((l) => l.includes("partNumber=2")).length).toBe(2);
      expect(Buffer.from(await rawObject("retry/sync.c1z")).equals(Buffer.from(bytes))).toBe(true);
    } finally {
      await proxy.stop();
    }
  });

  it("a persistent 500 on the 2nd part leaves no object and no open multipart upload", async () => {
    const proxy = await startFaultProxy(moto.endpoint, (req, url) =>
      req.method === "PUT" && url.searchParams.get("partNumber") === "2" ? 500 : undefined,
    );
    try {
      const bytes = new Uint8Array(randomBytes(11 * MiB));
      const secretUri = `s3://AKIDINLINE:inline-secret-value@${bucket}/fail/sync.c1z?region=us-east-1&endpoint=${proxy.endpoint}`;
      const error = await saveC1z(secretUri, bytes, { retry: noWait, partSize: 5 * MiB, concurrency: 1 }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(S3TransferError);
      expect((error as Error).message).toMatch(/aborted/);
      expect((error as Error).message).not.toContain("inline-secret-value");
      // the SDK retried part 2 (3 attempts), then we aborted: DELETE ?uploadId=…
      expect(proxy.log.filter((l) => l.includes("partNumber=2")).length).toBe(3);
      expect(proxy.log.some((l) => l.startsWith("DELETE ") && l.includes("uploadId="))).toBe(true);
      const head = await admin
        .send(new HeadObjectCommand({ Bucket: bucket, Key: "fail/sync.c1z" }))
        .catch((e: { $metadata?: { httpStatusCode?: number } }) => e.$metadata?.httpStatusCode);
      expect(head).toBe(404);
      expect(await openUploads()).toEqual([]);
    } finally {
      await proxy.stop();
    }
  });
});
