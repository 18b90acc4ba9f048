/**
 * The S3 client's fetch handler for workerd (src/upload/http-handler.fetch.ts), run here on Node
 * against moto: the same SDK commands the uploads send, through plain `fetch(url, init)`.
 * On workerd it is what every S3 request goes through (test/runtime-worker-*.test.ts).
 */
import { randomBytes } from "node:crypto";
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryString, requestUrl, s3RequestHandler } from "../src/upload/http-handler.fetch.ts";
import { hasMoto, type Moto, motoAdmin, startFaultProxy, startMoto, testCredentials } from "./upload-support.ts";

describe("the fetch request handler's URLs", () => {
  it("sorts and percent-encodes the query as SigV4 does (RFC 3986 unreserved characters stay)", () => {
    expect(queryString({ uploadId: "a b+c/d", partNumber: "2", "x-id": "UploadPart" })).toBe(
      "partNumber=2&uploadId=a%20b%2Bc%2Fd&x-id=UploadPart",
    );
    expect(queryString({ prefix: "(x)!*'~._-", delete: null, skip: undefined, tag: ["b", "a"] })).toBe(
      "delete&prefix=%28x%29%21%2A%27~._-&tag=b&tag=a",
    );
    expect(
      requestUrl({ method: "GET", protocol: "http:", hostname: "127.0.0.1", port: 9000, path: "/b/k", headers: {} }),
    ).toBe("http://127.0.0.1:9000/b/k");
  });
});

describe.skipIf(!hasMoto)("the fetch request handler against moto", () => {
  let moto: Moto;
  const bucket = "fetch-handler";
  beforeAll(async () => {
    moto = await startMoto();
    (await motoAdmin(moto, bucket)).destroy();
  });
  afterAll(async () => {
    await moto?.stop();
  });

  it("uploads in parts, reads back the same bytes, lists with an escaped prefix and reports a missing key", async () => {
    const proxy = await startFaultProxy(moto.endpoint, () => undefined);
    const client = new S3Client({
      region: "us-east-1",
      endpoint: proxy.endpoint,
      forcePathStyle: true,
      credentials: {
        accessKeyId: testCredentials.AWS_ACCESS_KEY_ID,
        secretAccessKey: testCredentials.AWS_SECRET_ACCESS_KEY,
      },
      requestHandler: s3RequestHandler(),
    });
    try {
      const key = "dir (1)/sync 'a'+b.c1z";
      const bytes = new Uint8Array(randomBytes(5 * 1024 * 1024 + 777));
      const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
      const parts = [];
      for (const [index, body] of [bytes.subarray(0, 5 * 1024 * 1024), bytes.subarray(5 * 1024 * 1024)].entries()) {
        const out = await client.send(
          new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: index + 1, Body: body }),
        );
        parts.push({ PartNumber: index + 1, ETag: out.ETag });
      }
      await client.send(
        new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }),
      );
      // Every request went out as fetch sent it: the part numbers and upload id in the query.
      const partLines = proxy.log.filter((line) => line.startsWith("PUT ") && line.includes("partNumber="));
      expect(partLines).toHaveLength(2);
      expect(partLines.every((line) => line.includes(`uploadId=${encodeURIComponent(UploadId ?? "")}`))).toBe(true);

      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.from(bytes))).toBe(true);
      const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "dir (1)/sync 'a'" }));
      expect(listed.Contents?.map((o) => o.Key)).toEqual([key]);
      const missing = await client
        .send(new HeadObjectCommand({ Bucket: bucket, Key: "absent" }))
        .catch((e: unknown) => e);
      expect((missing as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(404);
    } finally {
      client.destroy();
      await proxy.stop();
    }
  });
});
