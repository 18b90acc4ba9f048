/**
 * The cron runner (src/jobs/cron.ts) with a connector whose warning, log
 * line and failure quote its named secret, and a destination with inline
 * `s3://KEY:SECRET@` credentials on an unreachable endpoint: neither the
 * outcomes nor any log line (message or field) carries a secret.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import demo from "../plugins/demo/index.ts";
import { runScheduledSyncs } from "../src/jobs/cron.ts";
import type { Logger } from "../src/plugins/contract.ts";
import leaky from "./support/plugins/leaky/index.ts";
import { freePort } from "./upload-support.ts";

const SECRET = "sk_live_leaky-0123456789abcdef";
const ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE";
const SECRET_KEY = "wJalrXUtnFEMI/K7MDENG-bPxRfiCYEXAMPLEKEY";

function captureLog(): Logger & { lines: { level: string; msg: string; fields?: Record<string, unknown> }[] } {
  const lines: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => {
    lines.push({ level, msg, fields });
  };
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

describe("secrets in a cron run", () => {
  it("never appear in outcomes or log lines; the redaction marker does", async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const destination = `s3://${ACCESS_KEY}:${encodeURIComponent(SECRET_KEY)}@bucket-x/{connector}.c1z?region=us-east-1&endpoint=${endpoint}`;
    const log = captureLog();
    const outcomes = await runScheduledSyncs({
      env: {
        LEAKY_TOKEN: SECRET,
        BATON_S3_MAX_ATTEMPTS: "1",
        BATON_CONNECTORS: JSON.stringify([
          { name: "leaky", secrets: { "api-token": "LEAKY_TOKEN" }, destination },
          { name: "demo", destination },
        ]),
      },
      plugin: async (name) => ({ leaky, demo })[name],
      workDir: mkdtempSync(join(tmpdir(), "cron-secrets-")),
      log,
    });
    expect(outcomes.map((o) => [o.connector, o.status])).toEqual([
      ["leaky", "failed"],
      ["demo", "failed"],
    ]);
    const failed = outcomes[0];
    if (failed.status !== "failed") throw new Error("unreachable");
    expect(failed.error).toContain("connection refused: postgres://app:[redacted]@db.internal");

    const everything = JSON.stringify({ outcomes, lines: log.lines });
    for (const value of [SECRET, ACCESS_KEY, SECRET_KEY, encodeURIComponent(SECRET_KEY)]) {
      expect(everything).not.toContain(value);
    }
    expect(log.lines.find((l) => l.msg.startsWith("listing users"))).toMatchObject({
      msg: "listing users with token [redacted]",
      fields: { token: "[redacted]", pageToken: "page-2" },
    });
    expect(
      log.lines.some((l) => l.level === "warn" && l.msg.includes("group g1 is gone (asked with token [redacted])")),
    ).toBe(true);
    expect(log.lines.filter((l) => l.level === "error").map((l) => l.msg)).toEqual([
      expect.stringMatching(/^cron: connector leaky failed: .*\[redacted\]/),
      expect.stringMatching(/^cron: connector demo failed: .*ECONNREFUSED/),
    ]);
  });
});
