/**
 * Run by test/upload-runtimes.test.ts under Bun and Deno: uploads deterministic
 * bytes to PROBE_URI with src/upload, reads them back, prints one JSON line.
 */
import { loadC1zSource, saveC1z } from "../src/upload/index.ts";
import { probeBytes } from "./support/probe-bytes.ts";

export { probeBytes };

declare const Deno: { env: { get(name: string): string | undefined } } | undefined;
const env = (name: string): string | undefined =>
  typeof Deno !== "undefined"
    ? Deno.env.get(name)
    : (globalThis as { process?: { env: Record<string, string> } }).process?.env[name];

if (env("PROBE_URI")) {
  const uri = env("PROBE_URI")!;
  const bytes = probeBytes(Number(env("PROBE_SIZE")));
  const s3Env = {
    AWS_ACCESS_KEY_ID: env("AWS_ACCESS_KEY_ID"),
    AWS_SECRET_ACCESS_KEY: env("AWS_SECRET_ACCESS_KEY"),
    BATON_S3_PART_SIZE_MB: "5",
  };
  const saved = await saveC1z(uri, bytes, { env: s3Env });
  const back = await loadC1zSource(uri, { env: s3Env });
  const same = back !== undefined && back.length === bytes.length && back.every((b, i) => b === bytes[i]);
  console.log(JSON.stringify({ sha256: saved.sha256, parts: saved.parts, same }));
}
