/**
 * A sync written into a paged sql.js database, then streamed page by page → one zstd frame →
 * S3 multipart parts, against a real S3-compatible server (moto). The object must be one
 * valid c1z v1 that independent readers (zstd, sqlite3, baton-sdk's reader) accept, with the
 * same ids as a sync of the same demo into an ordinary in-memory store.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  type S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import demo from "../plugins/demo/index.ts";
import { createC1z, openC1z } from "../src/c1z/open.ts";
import { openPagedC1z } from "../src/c1z/paged.ts";
import type { C1zWriter } from "../src/c1z/store.ts";
import { runConnectorSync } from "../src/jobs/pipeline.ts";
import type { SavedC1z } from "../src/jobs/types.ts";
import { MemoryPageStore } from "../src/storage/paged-store.ts";
import { S3TransferError } from "../src/upload/index.ts";
import { uploadPagedC1z } from "../src/upload/paged.ts";
import { abortMultipartUpload, type OpenUpload } from "../src/upload/stream.ts";
import { ourListing } from "./interop/our-listing.ts";
import { findCommand, goInterop, goList, runOk } from "./interop/tools.ts";
import { cliToolsPresent, queryC1z } from "./sync-helpers.ts";
import { hasMoto, type Moto, motoAdmin, startFaultProxy, startMoto, testCredentials } from "./upload-support.ts";

const MiB = 1024 * 1024;
const noWait = { maxAttempts: 3, delayMs: () => 0 };
const zstd = findCommand("zstd");
const go = goInterop();
if (!zstd.ok) console.warn(`upload-paged: zstd -t skipped: ${zstd.reason}`);
if (!go.ok) console.warn(`upload-paged: baton-sdk reader check skipped: ${go.reason}`);
if (!cliToolsPresent) console.warn("upload-paged: zstd/sqlite3 CLIs missing: id sets compared with our reader only");

const work = mkdtempSync(join(tmpdir(), "upload-paged-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const demoConfig = { users: 2000, groups: 20, grants: 6000, pageSize: 500 };

/** One demo sync into `store`; `save` gets the finished store. */
async function demoSync(open: () => Promise<C1zWriter>, save: (store: C1zWriter) => Promise<SavedC1z>) {
  return runConnectorSync(
    { name: "demo", plugin: demo, config: demoConfig },
    { store: { open }, destination: { save: (store) => save(store) } },
  );
}

const ID_QUERIES = {
  resources: "select resource_type_id || '/' || external_id from v1_resources order by 1",
  entitlements: "select external_id from v1_entitlements order by 1",
  grants: "select external_id from v1_grants order by 1",
};

function idSets(c1z: Uint8Array): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(ID_QUERIES).map(([name, sql]) => [name, queryC1z(c1z, sql).map((row) => row[0])]),
  );
}

describe.skipIf(!hasMoto)("paged c1z streamed to S3 multipart (moto)", () => {
  let moto: Moto;
  let admin: S3Client;
  const bucket = "baton-paged";
  let local: Uint8Array;

  beforeAll(async () => {
    moto = await startMoto();
    admin = await motoAdmin(moto, bucket);
    await demoSync(createC1z, async (store) => {
      local = store.toBytes();
      return { destination: "memory", bytes: local.length };
    });
  });
  afterAll(async () => {
    admin?.destroy();
    await moto?.stop();
  });

  const uri = (key: string, endpoint = moto.endpoint) => `s3://${bucket}/${key}?region=us-east-1&endpoint=${endpoint}`;
  const env = { ...testCredentials };

  async function object(key: string): Promise<Uint8Array> {
    const out = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return new Uint8Array(await out.Body!.transformToByteArray());
  }

  async function openUploads() {
    return (await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [];
  }

  it("uploads one valid c1z v1 in ≥ 5 MiB parts with the ids of an in-memory sync", async () => {
    const pages = new MemoryPageStore();
    const created: OpenUpload[] = [];
    let parts = 0;
    const proxy = await startFaultProxy(moto.endpoint, () => undefined);
    const outcome = await demoSync(
      () => openPagedC1z(pages),
      async () => {
        // Raw blocks: a file big enough for three parts from a small demo.
        const saved = await uploadPagedC1z(pages, uri("paged/raw.c1z", proxy.endpoint), {
          env,
          partSize: 5 * MiB,
          compression: { mode: "raw" },
          onMultipartCreated: (upload) => {
            created.push(upload);
          },
        });
        parts = saved.parts ?? 0;
        expect(saved.sqliteBytes).toBe(pages.size());
        return saved;
      },
    );
    await proxy.stop();
    expect(outcome.status).toBe("finished");
    expect(created).toHaveLength(1);
    expect(created[0].destination).toBe(`s3://${bucket}/paged/raw.c1z?region=us-east-1&endpoint=${proxy.endpoint}`);
    // Each part is signed with the hash of the bytes it carried (SigV4's x-amz-content-sha256,
    // a signed header), and its S3 checksum is the same digest: S3 refuses a part whose hash differs.
    const partRequests = proxy.requests.filter((r) => r.line.startsWith("PUT ") && r.line.includes("partNumber="));
    expect(partRequests.length).toBeGreaterThanOrEqual(2);
    for (const request of partRequests) {
      expect(request.headers["x-amz-content-sha256"]).toBe(request.bodySha256);
      expect(String(request.headers.authorization)).toMatch(/SignedHeaders=[^,]*x-amz-content-sha256/);
      expect(Buffer.from(String(request.headers["x-amz-checksum-sha256"]), "base64").toString("hex")).toBe(
        request.bodySha256,
      );
    }
    // Header, frame header, a 3-byte header per 128 KiB block, checksum: all parts full but the last.
    expect(parts).toBe(Math.ceil((5 + 6 + pages.size() + 3 * Math.ceil(pages.size() / (128 * 1024)) + 4) / (5 * MiB)));
    expect(parts).toBeGreaterThanOrEqual(2);

    const uploaded = await object("paged/raw.c1z");
    expect(Array.from(uploaded.subarray(0, 5))).toEqual([0x43, 0x31, 0x5a, 0x46, 0x00]);
    const file = join(work, "raw.c1z");
    writeFileSync(file, uploaded);
    if (zstd.ok) runOk(zstd.value, ["-t", "-q"], { input: uploaded.subarray(5) });
    // Our reader decodes it (frame checksum checked) and lists what baton-sdk's reader lists.
    const ours = await openC1z(uploaded);
    if (go.ok) expect(goList(file)).toEqual(ourListing(ours));
    ours.close();
    if (cliToolsPresent) {
      const ids = idSets(uploaded);
      expect(ids).toEqual(idSets(local));
      expect(ids.grants.length).toBeGreaterThan(6000);
    }
    expect(await openUploads()).toEqual([]);
  });

  it("compresses with zstd in one frame (native where the runtime has it)", async () => {
    const pages = new MemoryPageStore();
    let saved: Awaited<ReturnType<typeof uploadPagedC1z>> | undefined;
    await demoSync(
      () => openPagedC1z(pages),
      async () => {
        saved = await uploadPagedC1z(pages, uri("paged/zstd.c1z"), { env, partSize: 5 * MiB });
        return saved;
      },
    );
    expect(saved?.compression).not.toBe("raw");
    expect(saved?.bytes).toBeLessThan(pages.size() / 3);
    const uploaded = await object("paged/zstd.c1z");
    expect(uploaded.length).toBe(saved?.bytes);
    const { createHash } = await import("node:crypto");
    expect(createHash("sha256").update(uploaded).digest("hex")).toBe(saved?.sha256);
    if (zstd.ok) runOk(zstd.value, ["-t", "-q"], { input: uploaded.subarray(5) });
    const ours = await openC1z(uploaded);
    expect(ours.sqliteBytes().length).toBe(pages.size());
    ours.close();
    if (cliToolsPresent) expect(idSets(uploaded)).toEqual(idSets(local));
  });

  it("a part that keeps failing aborts the upload: no object, no open upload", async () => {
    const proxy = await startFaultProxy(moto.endpoint, (req, url) =>
      req.method === "PUT" && url.searchParams.get("partNumber") === "2" ? 500 : undefined,
    );
    try {
      const pages = new MemoryPageStore();
      const store = await openPagedC1z(pages);
      // 12 MB of incompressible rows: three parts, so part 2 fails with part 1 uploaded.
      const db = (store as unknown as { db: { exec(sql: string): void } }).db;
      db.exec(
        "create table filler (v blob); with recursive n(i) as (select 1 union all select i + 1 from n where i < 3000) insert into filler select randomblob(4000) from n",
      );
      let created: OpenUpload | undefined;
      const error = await uploadPagedC1z(pages, uri("paged/fail.c1z", proxy.endpoint), {
        env,
        retry: noWait,
        partSize: 5 * MiB,
        compression: { mode: "raw" },
        onMultipartCreated: (upload) => {
          created = upload;
        },
      }).catch((e: unknown) => e);
      store.close();
      expect(error).toBeInstanceOf(S3TransferError);
      expect((error as Error).message).toMatch(/failed and was aborted/);
      expect(created?.uploadId).toBeTruthy();
      expect(proxy.log.some((l) => l.startsWith("DELETE ") && l.includes(`uploadId=${created?.uploadId}`))).toBe(true);
      const head = await admin
        .send(new HeadObjectCommand({ Bucket: bucket, Key: "paged/fail.c1z" }))
        .catch((e: { $metadata?: { httpStatusCode?: number } }) => e.$metadata?.httpStatusCode);
      expect(head).toBe(404);
      expect(await openUploads()).toEqual([]);
    } finally {
      await proxy.stop();
    }
  });

  it("a failure while producing the c1z (the store) aborts too", async () => {
    const pages = new MemoryPageStore();
    const store = await openPagedC1z(pages);
    store.close();
    const broken = Object.create(pages) as MemoryPageStore;
    broken.readPage = (index: number) => {
      if (index > 0) throw new Error("storage went away");
      return pages.readPage(index);
    };
    const error = await uploadPagedC1z(broken, uri("paged/broken.c1z"), { env, partSize: 5 * MiB }).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toMatch(/failed and was aborted: Error: storage went away/);
    expect(await openUploads()).toEqual([]);
  });

  it("a later invocation aborts the upload a dead one left open", async () => {
    const key = "paged/dead.c1z";
    const created = await admin.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    await admin.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: key,
        UploadId: created.UploadId,
        PartNumber: 1,
        Body: new Uint8Array(5 * MiB),
      }),
    );
    expect((await openUploads()).map((u) => u.UploadId)).toEqual([created.UploadId]);
    await abortMultipartUpload(uri(key), created.UploadId!, { env });
    expect(await openUploads()).toEqual([]);
    // Aborting it again (the DO retries after a crash between abort and forgetting the id) is fine.
    await abortMultipartUpload(uri(key), created.UploadId!, { env });
    await admin
      .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: created.UploadId }))
      .catch(() => {});
  });
});
