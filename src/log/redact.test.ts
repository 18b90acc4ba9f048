import { describe, expect, it } from "vitest";
import { createRedactor, isSecretKey, REDACTED, redactingLogger } from "./redact.ts";
import type { Logger } from "./types.ts";

describe("the redactor", () => {
  it("scrubs known secret values anywhere in text, longest first", () => {
    const redactor = createRedactor(["abcd1234", "abcd1234-extended", "xy"]);
    expect(redactor.redact("token abcd1234-extended and abcd1234")).toBe(`token ${REDACTED} and ${REDACTED}`);
    // Values under 4 characters would scrub ordinary words; they are ignored.
    expect(redactor.redact("xy marks the spot")).toBe("xy marks the spot");
  });

  it("replaces fields whose names look secret, at any depth, and scrubs the rest", () => {
    const redactor = createRedactor(["s3cr3t-value"]);
    expect(
      redactor.redactFields({
        password: "hunter2",
        nested: { apiKey: "k", Authorization: "Bearer x", note: "has s3cr3t-value inside" },
        list: [{ client_secret: "c" }, "plain"],
        count: 3,
      }),
    ).toEqual({
      password: REDACTED,
      nested: { apiKey: REDACTED, Authorization: REDACTED, note: `has ${REDACTED} inside` },
      list: [{ client_secret: REDACTED }, "plain"],
      count: 3,
    });
  });
});

describe("secret-looking field names", () => {
  it("blank credentials but keep pagination cursors and counts", () => {
    const secret = ["token", "apiToken", "access_token", "sessionToken", "password", "db-password", "secret"];
    secret.push("clientSecret", "AWS_SECRET_ACCESS_KEY", "apiKey", "APIKey", "x-api-key", "authorization");
    secret.push("Authorization", "privateKey", "private_key", "credentials", "cookie", "refreshTokens");
    const open = ["pageToken", "nextPageToken", "next_page_token", "syncToken", "continuationToken", "cursorToken"];
    open.push("tokenType", "tokenCount", "keyId", "accessKeyId", "monkey", "tokenizer", "passwordless", "secretary");
    expect(secret.filter((key) => !isSecretKey(key))).toEqual([]);
    // "passwordless" and "secretary" are one word each: not the secret words.
    expect(open.filter((key) => isSecretKey(key))).toEqual([]);
  });

  it("keeps numbers and booleans under a secret name, since they are counts and flags", () => {
    const redactor = createRedactor();
    expect(redactor.redactFields({ credentials: 2, token: "t-1", pageToken: "p-2", password: true })).toEqual({
      credentials: 2,
      token: REDACTED,
      pageToken: "p-2",
      password: true,
    });
  });
});

describe("a redactor learning values and wrapping a logger", () => {
  it("scrubs values added after creation from messages and fields", () => {
    const lines: unknown[][] = [];
    const sink = (level: string) => (msg: string, fields?: Record<string, unknown>) => lines.push([level, msg, fields]);
    const base: Logger = { debug: sink("debug"), info: sink("info"), warn: sink("warn"), error: sink("error") };
    const redactor = createRedactor(["first-secret"]);
    const log = redactingLogger(base, redactor);
    redactor.add(["later-secret", undefined, "abc"]);
    log.error("failed with later-secret and first-secret", { detail: "dsn=later-secret", pageToken: "abc" });
    log.info("plain");
    expect(lines).toEqual([
      ["error", `failed with ${REDACTED} and ${REDACTED}`, { detail: `dsn=${REDACTED}`, pageToken: "abc" }],
      ["info", "plain", undefined],
    ]);
  });
});
