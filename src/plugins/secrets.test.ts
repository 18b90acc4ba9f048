import * as v from "valibot";
import { describe, expect, it } from "vitest";
import type { AnyPlugin } from "./contract.ts";
import { createRedactor, REDACTED, secretValues } from "./secrets.ts";

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

describe("secretValues", () => {
  it("takes the values of config fields marked secret, and only those", () => {
    // Only the config schema matters here.
    const plugin = {
      config: v.object({
        host: v.string(),
        apiToken: v.pipe(v.string(), v.metadata({ secret: true })),
        backupToken: v.optional(v.pipe(v.string(), v.metadata({ secret: true }))),
      }),
    } as unknown as AnyPlugin;
    expect(secretValues(plugin, { host: "db.internal", apiToken: "tok-1", backupToken: "tok-2" }).sort()).toEqual([
      "tok-1",
      "tok-2",
    ]);
  });
});
