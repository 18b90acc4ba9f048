/**
 * Saving and loading c1z bytes wherever `-f`/`BATON_FILE`/a cron destination
 * points: a local path, `s3://bucket/key?region=&endpoint=`, or `r2://BINDING/key`.
 */

import { type Destination, DestinationError, describeDestination, parseDestination } from "./destination.ts";
import { readC1zBytesIfExists, removeFileIfExists, writeFileAtomic } from "./local-file.ts";
import { getC1zR2, isR2Bucket, putC1zR2 } from "./r2.ts";
import {
  createS3Client,
  deleteC1zObject,
  type Env,
  getC1zObject,
  maxDownloadBytesFrom,
  putC1zObject,
  type S3Options,
} from "./s3.ts";

export {
  type Destination,
  DestinationError,
  describeDestination,
  expandKeyTemplate,
  inlineCredentialValues,
  isRemote,
  parseDestination,
} from "./destination.ts";
export { C1Z_CONTENT_TYPE, S3TransferError } from "./s3.ts";

export interface TransferOptions extends S3Options {
  /** Workers bindings (for `r2://BINDING/...`). */
  bindings?: Record<string, unknown>;
}

export interface SaveResult {
  destination: string;
  bytes: number;
  sha256?: string;
  parts?: number;
}

function resolve(location: string | Destination): Destination {
  return typeof location === "string" ? parseDestination(location) : location;
}

function r2Bucket(destination: { binding: string }, options: TransferOptions) {
  const bucket = options.bindings?.[destination.binding];
  if (!isR2Bucket(bucket)) {
    throw new DestinationError(`r2://${destination.binding}: no R2 bucket binding named ${destination.binding}`);
  }
  return bucket;
}

/** Writes the c1z; for files atomically, so a failure never replaces a good file. */
export async function saveC1z(
  location: string | Destination,
  bytes: Uint8Array,
  options: TransferOptions = {},
): Promise<SaveResult> {
  const destination = resolve(location);
  const name = describeDestination(destination);
  switch (destination.kind) {
    case "file":
      await writeFileAtomic(destination.path, bytes);
      return { destination: name, bytes: bytes.byteLength };
    case "r2": {
      const out = await putC1zR2(r2Bucket(destination, options), destination.key, bytes);
      return { destination: name, bytes: bytes.byteLength, sha256: out.sha256, parts: 1 };
    }
    case "s3": {
      const client = await createS3Client(destination, options);
      try {
        const out = await putC1zObject(client, destination.bucket, destination.key, bytes, options);
        return { destination: name, bytes: bytes.byteLength, sha256: out.sha256, parts: out.parts };
      } finally {
        client.destroy();
      }
    }
  }
}

/** Reads an existing c1z; `undefined` when there is none yet (start empty). */
export async function loadC1zSource(
  location: string | Destination,
  options: TransferOptions = {},
): Promise<Uint8Array | undefined> {
  const destination = resolve(location);
  switch (destination.kind) {
    case "file":
      return readC1zBytesIfExists(destination.path);
    case "r2":
      return getC1zR2(
        r2Bucket(destination, options),
        destination.key,
        options.maxDownloadBytes ?? maxDownloadBytesFrom(options.env ?? {}),
      );
    case "s3": {
      const client = await createS3Client(destination, options);
      try {
        return await getC1zObject(client, destination.bucket, destination.key, options);
      } finally {
        client.destroy();
      }
    }
  }
}

/** Removes a c1z (a cron checkpoint once its sync finished); a missing one is not an error. */
export async function removeC1z(location: string | Destination, options: TransferOptions = {}): Promise<void> {
  const destination = resolve(location);
  switch (destination.kind) {
    case "file":
      return removeFileIfExists(destination.path);
    case "r2":
      await r2Bucket(destination, options).delete(destination.key);
      return;
    case "s3": {
      const client = await createS3Client(destination, options);
      try {
        await deleteC1zObject(client, destination.bucket, destination.key);
      } finally {
        client.destroy();
      }
    }
  }
}

export type { Env };
