/**
 * Run by test/zstd-stream-runtimes.test.ts under Bun and Deno: streams incompressible bytes
 * through the c1z encoder's zstd (src/compress/stream.ts, node:zlib there) in 1 MiB chunks and
 * writes the frame to PROBE_OUT; prints one JSON line with the method used.
 */
import { writeFileSync } from "node:fs";
import { probeFrame } from "./support/probe-bytes.ts";

declare const Deno: { env: { get(name: string): string | undefined } } | undefined;
const env = (name: string): string | undefined =>
  typeof Deno !== "undefined"
    ? Deno.env.get(name)
    : (globalThis as { process?: { env: Record<string, string> } }).process?.env[name];

const out = env("PROBE_OUT");
if (out) {
  const { frame, method } = await probeFrame(
    Number(env("PROBE_SIZE")),
    env("PROBE_KIND") === "pages" ? "pages" : "random",
  );
  writeFileSync(out, frame);
  console.log(JSON.stringify({ method, bytes: frame.length }));
}
