/**
 * A Workers R2 bucket binding as a destination: no signing, no S3 client.
 * Only the members we call are typed, so this module has no Workers types.
 */
import { sha256, toHex } from "./checksum.ts";
import { C1Z_CONTENT_TYPE } from "./s3.ts";

export interface R2BucketLike {
  put(
    key: string,
    value: Uint8Array | ArrayBuffer,
    options?: {
      httpMetadata?: { contentType?: string };
      customMetadata?: Record<string, string>;
      sha256?: ArrayBuffer | string;
    },
  ): Promise<unknown>;
  get(key: string): Promise<{ size: number; arrayBuffer(): Promise<ArrayBuffer> } | null>;
  head(key: string): Promise<{ size: number } | null>;
  delete(key: string): Promise<void>;
}

export function isR2Bucket(value: unknown): value is R2BucketLike {
  const v = value as Partial<R2BucketLike> | null;
  return (
    typeof v?.put === "function" &&
    typeof v.get === "function" &&
    typeof v.head === "function" &&
    typeof v.delete === "function"
  );
}

export async function putC1zR2(bucket: R2BucketLike, key: string, bytes: Uint8Array): Promise<{ sha256: string }> {
  const hex = toHex(await sha256(bytes));
  // R2 verifies `sha256` server-side and rejects the put on a mismatch.
  await bucket.put(key, bytes, {
    httpMetadata: { contentType: C1Z_CONTENT_TYPE },
    customMetadata: { sha256: hex },
    sha256: hex,
  });
  return { sha256: hex };
}

export async function getC1zR2(bucket: R2BucketLike, key: string, maxBytes: number): Promise<Uint8Array | undefined> {
  const head = await bucket.head(key);
  if (!head) return undefined;
  if (head.size > maxBytes) {
    throw new RangeError(`r2 object ${key} is ${head.size} bytes, over the ${maxBytes}-byte download cap`);
  }
  const object = await bucket.get(key);
  return object ? new Uint8Array(await object.arrayBuffer()) : undefined;
}
