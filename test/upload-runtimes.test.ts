/**
 * src/upload on the real Bun and Deno binaries against moto: a multipart
 * upload (3 parts) and a download, with Deno under the permissions the AWS SDK
 * needs (reference/edge-runtimes.md §4.1) and no more.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeRuntimes } from "./support/probe-runtimes.ts";
import { probeBytes } from "./upload-probe.ts";
import { hasMoto, type Moto, motoAdmin, startMoto, testCredentials } from "./upload-support.ts";

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "..");
const size = 11 * 1024 * 1024 + 7;
const bucket = "runtime-probe";

const cases = probeRuntimes("test/upload-probe.ts", [
  "--allow-net=127.0.0.1",
  "--allow-read=.",
  "--allow-env",
  "--allow-sys=osRelease",
]);

describe.skipIf(!hasMoto)("src/upload on Bun and Deno against moto", () => {
  let moto: Moto;
  let admin: S3Client;
  beforeAll(async () => {
    moto = await startMoto();
    admin = await motoAdmin(moto, bucket);
  });
  afterAll(async () => {
    admin?.destroy();
    await moto?.stop();
  });

  for (const c of cases) {
    it.skipIf(!c.available)(`${c.name}: multipart upload and download are byte-exact`, async () => {
      const key = `${c.name}/probe.c1z`;
      const { stdout } = await run(c.command, c.args, {
        cwd: root,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          DENO_NO_UPDATE_CHECK: "1",
          ...testCredentials,
          PROBE_URI: `s3://${bucket}/${key}?region=us-east-1&endpoint=${moto.endpoint}`,
          PROBE_SIZE: String(size),
        },
        maxBuffer: 1 << 20,
      });
      const line = stdout.trim().split("\n").pop() ?? "";
      const expected = createHash("sha256").update(probeBytes(size)).digest("hex");
      expect(JSON.parse(line)).toEqual({ sha256: expected, parts: 3, same: true });
      const out = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const stored = new Uint8Array(await out.Body!.transformToByteArray());
      expect(createHash("sha256").update(stored).digest("hex")).toBe(expected);
    });
  }
});
