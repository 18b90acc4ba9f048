/**
 * c1z objects in S3 and S3-compatible stores (moto, MinIO, R2) with
 * `@aws-sdk/client-s3`. Bodies are always `Uint8Array` and the SDK's default
 * CRC32 checksums are off (`WHEN_REQUIRED`): we send our own SHA-256, which
 * S3, R2 and moto all check, and which avoids the aws-chunked stream encoding
 * that corrupts bodies on Workers (reference/edge-runtimes.md §4.1).
 */
import type { S3Client, S3ClientConfig } from "@aws-sdk/client-s3";
import { sha256, toBase64, toHex } from "./checksum.ts";
import type { S3Destination, StaticCredentials } from "./destination.ts";
import { defaultS3RetryPolicy, type S3RetryPolicy, sdkRetryStrategy } from "./retry.ts";
import { s3Sdk } from "./sdk.ts";

export const C1Z_CONTENT_TYPE = "application/c1z";
/** S3's minimum part size (all parts but the last). */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
/** Go CLI v0.7.27's `BATON_S3_MAX_FILESIZE_MB` default. */
export const DEFAULT_MAX_DOWNLOAD_BYTES = 256 * 1024 * 1024;

export type Env = Record<string, string | undefined>;

export interface S3Options {
  /** Where `AWS_*` variables are read from (process.env, a Worker's env). */
  env?: Env;
  retry?: S3RetryPolicy;
  /** Bytes per part; at least 5 MiB. */
  partSize?: number;
  /** Objects at least this large go multipart; defaults to `partSize`. */
  multipartThreshold?: number;
  /** Parts in flight at once. Each part is a view of the c1z bytes, never a copy. */
  concurrency?: number;
  /** Download cap; defaults to `BATON_S3_MAX_FILESIZE_MB` or 256 MiB. */
  maxDownloadBytes?: number;
}

export class S3TransferError extends Error {
  override readonly name = "S3TransferError";
  constructor(
    message: string,
    readonly code: "too-large" | "upload-failed" | "download-failed",
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function credentialsFromEnv(env: Env): StaticCredentials | undefined {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) return undefined;
  return { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN || undefined };
}

/**
 * Credentials: inline URI credentials, else `AWS_*` from `env`, else (when the
 * SDK's Node build is in use: Node, Bun, Deno) its default provider chain.
 */
export async function createS3Client(destination: S3Destination, options: S3Options = {}): Promise<S3Client> {
  const env = options.env ?? {};
  const endpoint = destination.endpoint ?? (env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined);
  const region =
    destination.region ??
    (env.AWS_REGION ||
      env.AWS_DEFAULT_REGION ||
      (endpoint?.includes(".r2.cloudflarestorage.com") ? "auto" : "us-east-1"));
  const retry = options.retry ?? retryPolicyFrom(env);
  const config: S3ClientConfig = {
    region,
    endpoint,
    forcePathStyle: destination.forcePathStyle || (destination.endpoint === undefined && endpoint !== undefined),
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    maxAttempts: retry.maxAttempts,
    retryStrategy: sdkRetryStrategy(retry),
  };
  const credentials = destination.credentials ?? credentialsFromEnv(env);
  if (credentials) config.credentials = credentials;
  const { S3Client } = await s3Sdk();
  return new S3Client(config);
}

export interface PutResult {
  /** Hex SHA-256 of the whole object (also stored as `x-amz-meta-sha256`). */
  sha256: string;
  parts: number;
  etag?: string;
}

export async function putC1zObject(
  client: S3Client,
  bucket: string,
  key: string,
  bytes: Uint8Array,
  options: S3Options = {},
): Promise<PutResult> {
  const partSize = options.partSize ?? partSizeFrom(options.env ?? {});
  if (partSize < MIN_PART_SIZE) throw new RangeError(`partSize ${partSize} is below S3's 5 MiB minimum`);
  const threshold = options.multipartThreshold ?? partSize;
  const { PutObjectCommand } = await s3Sdk();
  const digest = await sha256(bytes);
  const hex = toHex(digest);
  if (bytes.byteLength < threshold) {
    const out = await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: bytes,
        ContentLength: bytes.byteLength,
        ContentType: C1Z_CONTENT_TYPE,
        ChecksumAlgorithm: "SHA256",
        ChecksumSHA256: toBase64(digest),
        Metadata: { sha256: hex },
      }),
    );
    return { sha256: hex, parts: 1, etag: out.ETag };
  }
  return putMultipart(client, bucket, key, bytes, hex, partSize, options.concurrency ?? 2);
}

async function putMultipart(
  client: S3Client,
  bucket: string,
  key: string,
  bytes: Uint8Array,
  hex: string,
  partSize: number,
  concurrency: number,
): Promise<PutResult> {
  const sdk = await s3Sdk();
  const created = await client.send(
    new sdk.CreateMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      ContentType: C1Z_CONTENT_TYPE,
      ChecksumAlgorithm: "SHA256",
      Metadata: { sha256: hex },
    }),
  );
  const uploadId = created.UploadId;
  if (!uploadId) throw new S3TransferError(`CreateMultipartUpload for ${key} returned no UploadId`, "upload-failed");
  const count = Math.ceil(bytes.byteLength / partSize);
  const done: { PartNumber: number; ETag?: string; ChecksumSHA256?: string }[] = new Array(count);
  try {
    let next = 0;
    let failed = false;
    const worker = async () => {
      while (!failed && next < count) {
        const index = next++;
        const body = bytes.subarray(index * partSize, Math.min(bytes.byteLength, (index + 1) * partSize));
        const checksum = toBase64(await sha256(body));
        try {
          const out = await client.send(
            new sdk.UploadPartCommand({
              Bucket: bucket,
              Key: key,
              UploadId: uploadId,
              PartNumber: index + 1,
              Body: body,
              ContentLength: body.byteLength,
              ChecksumAlgorithm: "SHA256",
              ChecksumSHA256: checksum,
            }),
          );
          done[index] = { PartNumber: index + 1, ETag: out.ETag, ChecksumSHA256: out.ChecksumSHA256 ?? checksum };
        } catch (error) {
          failed = true;
          throw error;
        }
      }
    };
    // allSettled: every in-flight part has finished before we abort, so no part lands after the abort.
    const results = await Promise.allSettled(Array.from({ length: Math.min(concurrency, count) }, worker));
    const rejected = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (rejected) throw rejected.reason;
    const completed = await client.send(
      new sdk.CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: done },
      }),
    );
    return { sha256: hex, parts: count, etag: completed.ETag };
  } catch (error) {
    await client
      .send(new sdk.AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))
      .catch((abortError: unknown) => {
        throw new S3TransferError(
          `multipart upload of ${key} failed (${messageOf(error)}) and aborting upload ${uploadId} also failed (${messageOf(abortError)}); remove it with AbortMultipartUpload`,
          "upload-failed",
          { cause: error },
        );
      });
    throw new S3TransferError(
      `multipart upload of ${key} failed and was aborted: ${messageOf(error)}`,
      "upload-failed",
      {
        cause: error,
      },
    );
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function isNotFound(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return error.name === "NoSuchKey" || error.name === "NotFound" || status === 404;
}

/** `BATON_S3_MAX_ATTEMPTS` (1 = no retries) with the default backoff. */
export function retryPolicyFrom(env: Env): S3RetryPolicy {
  const attempts = Number(env.BATON_S3_MAX_ATTEMPTS);
  return Number.isInteger(attempts) && attempts >= 1
    ? { ...defaultS3RetryPolicy, maxAttempts: attempts }
    : defaultS3RetryPolicy;
}

/** `BATON_S3_PART_SIZE_MB` (at least 5), else `fallback` (8 MiB). */
export function partSizeFrom(env: Env, fallback = 8 * 1024 * 1024): number {
  const mb = Number(env.BATON_S3_PART_SIZE_MB);
  return Number.isFinite(mb) && mb > 0 ? mb * 1024 * 1024 : fallback;
}

export async function deleteC1zObject(client: S3Client, bucket: string, key: string): Promise<void> {
  const { DeleteObjectCommand } = await s3Sdk();
  try {
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  } catch (error) {
    if (isNotFound(error)) return;
    throw new S3TransferError(`deleting s3://${bucket}/${key} failed: ${messageOf(error)}`, "upload-failed", {
      cause: error,
    });
  }
}

export function maxDownloadBytesFrom(env: Env): number {
  const mb = Number(env.BATON_S3_MAX_FILESIZE_MB);
  return Number.isFinite(mb) && mb > 0 ? mb * 1024 * 1024 : DEFAULT_MAX_DOWNLOAD_BYTES;
}

/** Downloads a c1z; `undefined` when the object does not exist (an empty start, as the Go CLI). */
export async function getC1zObject(
  client: S3Client,
  bucket: string,
  key: string,
  options: S3Options = {},
): Promise<Uint8Array | undefined> {
  const cap = options.maxDownloadBytes ?? maxDownloadBytesFrom(options.env ?? {});
  const { GetObjectCommand, HeadObjectCommand } = await s3Sdk();
  let size: number | undefined;
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    size = head.ContentLength;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw new S3TransferError(`reading s3://${bucket}/${key} failed: ${messageOf(error)}`, "download-failed", {
      cause: error,
    });
  }
  if (size !== undefined && size > cap) {
    throw new S3TransferError(
      `s3://${bucket}/${key} is ${size} bytes, over the ${cap}-byte download cap (BATON_S3_MAX_FILESIZE_MB)`,
      "too-large",
    );
  }
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!out.Body) return new Uint8Array();
    const bytes = await out.Body.transformToByteArray();
    if (bytes.byteLength > cap) {
      throw new S3TransferError(`s3://${bucket}/${key} grew past the ${cap}-byte download cap`, "too-large");
    }
    return bytes;
  } catch (error) {
    if (error instanceof S3TransferError) throw error;
    if (isNotFound(error)) return undefined;
    throw new S3TransferError(`reading s3://${bucket}/${key} failed: ${messageOf(error)}`, "download-failed", {
      cause: error,
    });
  }
}
