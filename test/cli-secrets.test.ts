/**
 * Secrets through the real CLI process: a connector whose warning, log line
 * and failure quote its token, and `-f s3://KEY:SECRET@…` inline credentials,
 * never reach stderr or stdout; the redaction marker and the safe form do.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, runCli, tempDir } from "./cli-support.ts";
import { freePort, hasMoto, type Moto, motoAdmin, startMoto } from "./upload-support.ts";

const SECRET = "sk_live_leaky-0123456789abcdef";
const pluginsDir = path.join(repoRoot, "test/support/plugins");
const work = tempDir("secrets");
afterAll(() => work.cleanup());

describe("a plugin error quoting its secret config", () => {
  it("is printed and logged redacted, and no c1z is written", async () => {
    const file = path.join(work.dir, "leaky.c1z");
    const result = await runCli(["leaky", "--api-token", SECRET, "-f", file, "--log-format", "json"], {
      cwd: work.dir,
      env: { BATON_PLUGINS_DIR: pluginsDir },
    });
    expect(result.code, result.stderr).toBe(1);
    const output = result.stdout + result.stderr;
    expect(output).not.toContain(SECRET);
    const lines = result.stderr.trim().split("\n");
    expect(lines.at(-1)).toMatch(/^error: .*connection refused: postgres:\/\/app:\[redacted\]@db\.internal:5432\/app/);
    const logged = lines
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const listing = logged.find((line) => String(line.msg).startsWith("listing users"));
    expect(listing).toMatchObject({
      msg: "listing users with token [redacted]",
      token: "[redacted]",
      pageToken: "page-2",
    });
    expect(logged.some((line) => line.level === "warn" && String(line.msg).includes("group g1 is gone"))).toBe(true);
    expect(existsSync(file)).toBe(false);
  });
});

const ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE";
const SECRET_KEY = "wJalrXUtnFEMI/K7MDENG-bPxRfiCYEXAMPLEKEY";
const inline = `${ACCESS_KEY}:${encodeURIComponent(SECRET_KEY)}`;
const leaks = (text: string) =>
  [ACCESS_KEY, SECRET_KEY, encodeURIComponent(SECRET_KEY)].filter((value) => text.includes(value));

describe("-f s3://KEY:SECRET@bucket/key", () => {
  it("never prints the credentials when the endpoint is unreachable", async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const result = await runCli(
      ["demo", "-f", `s3://${inline}@bucket-x/k.c1z?region=us-east-1&endpoint=${endpoint}`, "--log-level", "debug"],
      { cwd: work.dir, env: { BATON_S3_MAX_ATTEMPTS: "1" } },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("s3://bucket-x/k.c1z");
    expect(leaks(result.stdout + result.stderr)).toEqual([]);
  });

  describe.skipIf(!hasMoto)("against moto", () => {
    const bucket = "secrets-test";
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
    const uri = (key: string) => `s3://${inline}@${bucket}/${key}?region=us-east-1&endpoint=${moto.endpoint}`;

    it("logs the sync's destination without them", async () => {
      const result = await runCli(["demo", "-f", uri("sync.c1z"), "--log-format", "json"], { cwd: work.dir });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain(`"file":"s3://${bucket}/sync.c1z?region=us-east-1&endpoint=${moto.endpoint}"`);
      expect(leaks(result.stdout + result.stderr)).toEqual([]);
    });

    it("names a missing file without them", async () => {
      const result = await runCli(["demo", "-f", uri("missing.c1z"), "--revoke-grant", "grant-x"], { cwd: work.dir });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`--file ($BATON_FILE): s3://${bucket}/missing.c1z`);
      expect(leaks(result.stdout + result.stderr)).toEqual([]);
    });
  });
});
