import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { REDACTED } from "../log/redact.ts";
import type { AnyPlugin } from "./contract.ts";
import { configFields } from "./fields.ts";
import { redactConfig, secretValues } from "./secrets.ts";

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

describe("redactConfig", () => {
  it("replaces the secret fields of a config and leaves the rest", () => {
    const schema = v.object({ host: v.string(), apiToken: v.pipe(v.string(), v.metadata({ secret: true })) });
    expect(redactConfig({ host: "db.internal", apiToken: "tok-1" }, configFields(schema))).toEqual({
      host: "db.internal",
      apiToken: REDACTED,
    });
  });
});
