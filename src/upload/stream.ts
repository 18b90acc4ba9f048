/**
 * Saving a c1z that is produced in chunks (a paged database streamed through zstd) with
 * bounded memory: at most one part (≥ 5 MiB) is held, each full part goes out as one
 * multipart upload part. Every failure aborts the upload, so no half object and no open
 * upload is left behind; the upload id is handed out before the first part, so a later
 * invocation can abort an upload whose invocation died.
 */
import { createHash } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import type { S3Client, UploadPartCommand } from "@aws-sdk/client-s3";
import { toBase64, toHex } from "./checksum.ts";
import { type Destination, DestinationError, describeDestination, parseDestination } from "./destination.ts";
import type { SaveResult, TransferOptions } from "./index.ts";
import { isR2Bucket } from "./r2.ts";
import { C1Z_CONTENT_TYPE, createS3Client, MIN_PART_SIZE, partSizeFrom, S3TransferError } from "./s3.ts";
import { s3Sdk } from "./sdk.ts";

/** Takes the next chunk of the object; resolves when the chunk may be reused. */
export type ChunkWriter = (chunk: Uint8Array) => Promise<void>;

/** A multipart upload in progress: what a later invocation needs to abort it. */
export interface OpenUpload {
  /** The destination, safe for logs (no inline credentials). */
  destination: string;
  uploadId: string;
}

export interface StreamSaveOptions extends TransferOptions {
  /**
   * Called once the multipart upload exists and before any part is sent; persist the id
   * (a Durable Object does) so the next try can `abortMultipartUpload` it if this one dies.
   */
  onMultipartCreated?: (upload: OpenUpload) => void | Promise<void>;
  /** Called once that upload is completed or aborted: nothing is left open, so its note may go. */
  onMultipartEnded?: (upload: OpenUpload) => void | Promise<void>;
}

/** One open multipart upload, S3 or R2. */
interface PartTarget {
  readonly uploadId: string;
  /** `sha256` is the part's digest, computed while it was filled. */
  uploadPart(partNumber: number, body: Uint8Array, sha256: Uint8Array): Promise<void>;
  complete(): Promise<void>;
  abort(): Promise<void>;
}

/** The members of a Workers R2 binding's multipart API we call. */
interface R2MultipartBucketLike {
  createMultipartUpload(
    key: string,
    options?: { httpMetadata?: { contentType?: string }; customMetadata?: Record<string, string> },
  ): Promise<R2MultipartUploadLike>;
  resumeMultipartUpload(key: string, uploadId: string): R2MultipartUploadLike;
}

interface R2MultipartUploadLike {
  readonly uploadId: string;
  uploadPart(partNumber: number, value: Uint8Array | ArrayBuffer): Promise<{ partNumber: number; etag: string }>;
  complete(parts: { partNumber: number; etag: string }[]): Promise<unknown>;
  abort(): Promise<void>;
}

/**
 * Signs the request with a payload hash we already have. Without it the SDK's signer hashes
 * the body itself, and its WebCrypto hasher first concatenates it into a new array: on
 * workerd, two more copies of every part in native memory at the upload's peak.
 */
function withPayloadHash(command: UploadPartCommand, hex: string): void {
  command.middlewareStack.add(
    (next) => (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers["x-amz-content-sha256"] = hex;
      return next(args);
    },
    { step: "build", name: "batonPayloadHash" },
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

async function s3Target(client: S3Client, bucket: string, key: string): Promise<PartTarget> {
  const {
    AbortMultipartUploadCommand,
    CompleteMultipartUploadCommand,
    CreateMultipartUploadCommand,
    UploadPartCommand,
  } = await s3Sdk();
  const created = await client.send(
    new CreateMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      ContentType: C1Z_CONTENT_TYPE,
      ChecksumAlgorithm: "SHA256",
    }),
  );
  const uploadId = created.UploadId;
  if (!uploadId) throw new S3TransferError(`CreateMultipartUpload for ${key} returned no UploadId`, "upload-failed");
  const parts: { PartNumber: number; ETag?: string; ChecksumSHA256?: string }[] = [];
  return {
    uploadId,
    async uploadPart(partNumber, body, digest) {
      const checksum = toBase64(digest);
      const command = new UploadPartCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        PartNumber: partNumber,
        Body: body,
        ContentLength: body.byteLength,
        ChecksumAlgorithm: "SHA256",
        ChecksumSHA256: checksum,
      });
      withPayloadHash(command, toHex(digest));
      const out = await client.send(command);
      parts.push({ PartNumber: partNumber, ETag: out.ETag, ChecksumSHA256: out.ChecksumSHA256 ?? checksum });
    },
    async complete() {
      await client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
    },
    async abort() {
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
    },
  };
}

function isR2Multipart(value: unknown): value is R2MultipartBucketLike {
  const v = value as Partial<R2MultipartBucketLike> | null;
  return typeof v?.createMultipartUpload === "function" && typeof v.resumeMultipartUpload === "function";
}

function r2Bucket(destination: { binding: string }, options: TransferOptions): R2MultipartBucketLike {
  const bucket = options.bindings?.[destination.binding];
  if (!isR2Bucket(bucket) || !isR2Multipart(bucket)) {
    throw new DestinationError(
      `r2://${destination.binding}: no R2 bucket binding (with multipart uploads) named ${destination.binding}`,
    );
  }
  return bucket;
}

async function r2Target(bucket: R2MultipartBucketLike, key: string): Promise<PartTarget> {
  const upload = await bucket.createMultipartUpload(key, { httpMetadata: { contentType: C1Z_CONTENT_TYPE } });
  const parts: { partNumber: number; etag: string }[] = [];
  return {
    uploadId: upload.uploadId,
    async uploadPart(partNumber, body) {
      parts.push(await upload.uploadPart(partNumber, body));
    },
    async complete() {
      await upload.complete(parts);
    },
    abort: () => upload.abort(),
  };
}

/**
 * Splits the stream into parts of exactly `partSize` bytes (R2 demands equal parts; S3 allows
 * it). One buffer serves every part: a part is sent and its request finished before the next
 * one is filled. Each part's SHA-256 is computed as it fills, so no part is hashed (copied)
 * again.
 */
class PartWriter {
  private buffer: Uint8Array | undefined;
  private filled = 0;
  private partNumber = 0;
  private readonly hash = createHash("sha256");
  private partHash = createHash("sha256");
  bytes = 0;

  constructor(
    private readonly target: PartTarget,
    private readonly partSize: number,
  ) {}

  readonly write: ChunkWriter = async (chunk) => {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    let offset = 0;
    while (offset < chunk.length) {
      this.buffer ??= new Uint8Array(this.partSize);
      const take = Math.min(this.partSize - this.filled, chunk.length - offset);
      const piece = chunk.subarray(offset, offset + take);
      this.buffer.set(piece, this.filled);
      this.partHash.update(piece);
      this.filled += take;
      offset += take;
      if (this.filled === this.partSize) await this.flush();
    }
  };

  private async flush(): Promise<void> {
    const body = (this.buffer ?? new Uint8Array(0)).subarray(0, this.filled);
    const digest = new Uint8Array(this.partHash.digest());
    this.partHash = createHash("sha256");
    this.filled = 0;
    await this.target.uploadPart(++this.partNumber, body, digest);
  }

  async finish(): Promise<{ parts: number; sha256: string }> {
    if (this.filled > 0 || this.partNumber === 0) await this.flush();
    this.buffer = undefined;
    await this.target.complete();
    return { parts: this.partNumber, sha256: this.hash.digest("hex") };
  }
}

async function abortAfter(
  target: PartTarget,
  name: string,
  error: unknown,
  onAborted: () => void | Promise<void>,
): Promise<never> {
  try {
    await target.abort();
  } catch (abortError) {
    throw new S3TransferError(
      `upload of ${name} failed (${messageOf(error)}) and aborting multipart upload ${target.uploadId} also failed (${messageOf(abortError)}); abort it with AbortMultipartUpload`,
      "upload-failed",
      { cause: error },
    );
  }
  // The upload's own failure is what the caller must see, not a failure to drop its note.
  await Promise.resolve()
    .then(onAborted)
    .catch(() => undefined);
  if (error instanceof DestinationError) throw error;
  throw new S3TransferError(`upload of ${name} failed and was aborted: ${messageOf(error)}`, "upload-failed", {
    cause: error,
  });
}

async function streamToTarget(
  target: PartTarget,
  name: string,
  partSize: number,
  produce: (write: ChunkWriter) => Promise<void>,
  options: StreamSaveOptions,
): Promise<SaveResult> {
  const upload = { destination: name, uploadId: target.uploadId };
  let saved: SaveResult;
  try {
    await options.onMultipartCreated?.(upload);
    const writer = new PartWriter(target, partSize);
    await produce(writer.write);
    const { parts, sha256: hex } = await writer.finish();
    saved = { destination: name, bytes: writer.bytes, sha256: hex, parts };
  } catch (error) {
    return abortAfter(target, name, error, () => options.onMultipartEnded?.(upload));
  }
  await options.onMultipartEnded?.(upload);
  return saved;
}

/** Streams to `<path>.tmp-<random>`, then renames over `path`: a failure leaves `path` as it was. */
async function streamToFile(path: string, produce: (write: ChunkWriter) => Promise<void>): Promise<SaveResult> {
  const suffix = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, "0")).join("");
  const temp = `${path}.tmp-${suffix}`;
  const hash = createHash("sha256");
  let bytes = 0;
  try {
    const handle = await open(temp, "wx", 0o644);
    try {
      await produce(async (chunk) => {
        hash.update(chunk);
        bytes += chunk.length;
        await handle.write(chunk);
      });
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => {});
    throw error;
  }
  return { destination: path, bytes, sha256: hash.digest("hex") };
}

function resolve(location: string | Destination): Destination {
  return typeof location === "string" ? parseDestination(location) : location;
}

/**
 * Saves an object that `produce` writes chunk by chunk: multipart to s3:// and r2://
 * (parts of `partSize`, default `BATON_S3_PART_SIZE_MB` or 8 MiB), an atomic rename for files.
 */
export async function saveC1zStream(
  location: string | Destination,
  produce: (write: ChunkWriter) => Promise<void>,
  options: StreamSaveOptions = {},
): Promise<SaveResult> {
  const destination = resolve(location);
  const name = describeDestination(destination);
  const partSize = options.partSize ?? partSizeFrom(options.env ?? {});
  if (partSize < MIN_PART_SIZE) throw new RangeError(`partSize ${partSize} is below S3's 5 MiB minimum`);
  switch (destination.kind) {
    case "file":
      return streamToFile(destination.path, produce);
    case "r2":
      return streamToTarget(
        await r2Target(r2Bucket(destination, options), destination.key),
        name,
        partSize,
        produce,
        options,
      );
    case "s3": {
      const client = await createS3Client(destination, options);
      try {
        const target = await s3Target(client, destination.bucket, destination.key);
        return await streamToTarget(target, name, partSize, produce, options);
      } finally {
        client.destroy();
      }
    }
  }
}

/**
 * Aborts a multipart upload a dead invocation left open (its parts are deleted; nothing
 * was ever visible at the key). An upload that is already gone is not an error.
 */
export async function abortMultipartUpload(
  location: string | Destination,
  uploadId: string,
  options: TransferOptions = {},
): Promise<void> {
  const destination = resolve(location);
  switch (destination.kind) {
    case "file":
      return;
    case "r2":
      try {
        await r2Bucket(destination, options).resumeMultipartUpload(destination.key, uploadId).abort();
      } catch (error) {
        if (/not ?found|NoSuchUpload/i.test(messageOf(error))) return;
        throw error;
      }
      return;
    case "s3": {
      const client = await createS3Client(destination, options);
      const { AbortMultipartUploadCommand } = await s3Sdk();
      try {
        await client.send(
          new AbortMultipartUploadCommand({ Bucket: destination.bucket, Key: destination.key, UploadId: uploadId }),
        );
      } catch (error) {
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if ((error as Error).name === "NoSuchUpload" || status === 404) return;
        throw new S3TransferError(
          `aborting multipart upload ${uploadId} of ${describeDestination(destination)} failed: ${messageOf(error)}`,
          "upload-failed",
          { cause: error },
        );
      } finally {
        client.destroy();
      }
    }
  }
}
