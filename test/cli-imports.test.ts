/**
 * The AWS SDK is imported only by a command that reaches S3 (src/upload/sdk.ts): a local sync or
 * `--help` does not pay its ~20 MB and ~110 ms at startup. The modules a CLI run resolves are
 * recorded by a resolve hook (test/support/record-imports.mjs).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const scratch = mkdtempSync(join(tmpdir(), "cli-imports-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let runs = 0;
function resolvedBy(args: string[]): { status: number | null; stderr: string; urls: string[] } {
  const file = join(scratch, `imports-${runs++}.txt`);
  const run = spawnSync(
    process.execPath,
    ["--import", join(ROOT, "test/support/record-imports.mjs"), join(ROOT, "bin/baton-edge.js"), ...args],
    {
      cwd: scratch,
      encoding: "utf8",
      env: {
        ...process.env,
        RECORD_IMPORTS_FILE: file,
        BATON_S3_MAX_ATTEMPTS: "1",
        AWS_ACCESS_KEY_ID: "test",
        AWS_SECRET_ACCESS_KEY: "test",
      },
    },
  );
  let urls: string[] = [];
  try {
    urls = readFileSync(file, "utf8").split("\n").filter(Boolean);
  } catch {}
  return { status: run.status, stderr: run.stderr, urls };
}

const sdk = (urls: string[]) => urls.filter((url) => url.includes("@aws-sdk/client-s3"));

describe("the CLI's imports", () => {
  it("a local demo sync and --help do not import the AWS SDK", () => {
    const sync = resolvedBy(["demo", "-f", join(scratch, "demo.c1z")]);
    expect(sync.status, sync.stderr).toBe(0);
    // The recorder saw the run: the native SQLite binding the local sync writes through.
    expect(sync.urls.some((url) => url.includes("better-sqlite3"))).toBe(true);
    expect(sdk(sync.urls)).toEqual([]);
    const help = resolvedBy(["--help"]);
    expect(help.status, help.stderr).toBe(0);
    expect(help.urls.length).toBeGreaterThan(0);
    expect(sdk(help.urls)).toEqual([]);
  });

  it("a command that reads from S3 imports it", () => {
    // Nothing listens on port 9: the read fails, after the SDK was loaded to send it.
    const read = resolvedBy(["stats", "-f", "s3://bucket/sync.c1z?region=us-east-1&endpoint=http://127.0.0.1:9"]);
    expect(read.status).toBe(1);
    expect(read.stderr).toMatch(/s3:\/\/bucket\/sync\.c1z/);
    expect(sdk(read.urls).length).toBeGreaterThan(0);
  });
});
