/**
 * `@aws-sdk/client-s3`, imported the first time a command reaches S3. Importing it costs ~20 MB of
 * RSS and ~110 ms on Node (measured on this 2-core box), which every CLI run paid, `--help` and local
 * syncs included, when it was a static import.
 */
type S3Sdk = typeof import("@aws-sdk/client-s3");

let loading: Promise<S3Sdk> | undefined;

export function s3Sdk(): Promise<S3Sdk> {
  loading ??= import("@aws-sdk/client-s3");
  return loading;
}
