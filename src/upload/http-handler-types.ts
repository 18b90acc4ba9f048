import type { S3ClientConfig } from "@aws-sdk/client-s3";

/** What `S3ClientConfig.requestHandler` takes. */
export type S3RequestHandler = NonNullable<S3ClientConfig["requestHandler"]>;
