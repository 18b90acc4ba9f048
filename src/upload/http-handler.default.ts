import type { S3RequestHandler } from "./http-handler-types.ts";

/** Node, Bun and Deno: the SDK's own handler (node:http). */
export function s3RequestHandler(): S3RequestHandler | undefined {
  return undefined;
}
