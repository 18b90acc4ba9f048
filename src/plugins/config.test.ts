import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { resourceType } from "../model/builders.ts";
import { ConfigError, resolveConfig } from "./config.ts";
import { definePlugin } from "./define.ts";
import { configFields } from "./fields.ts";

const plugin = definePlugin({
  name: "cfg",
  displayName: "Config test",
  config: v.object({
    apiToken: v.pipe(v.string(), v.minLength(4), v.metadata({ secret: true, description: "token" })),
    baseUrl: v.optional(v.pipe(v.string(), v.url()), "https://api.example.com"),
    pageSize: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.metadata({ env: "CFG_PAGE" })), 50),
    verbose: v.optional(v.boolean(), false),
    scopes: v.optional(v.array(v.string()), []),
    mode: v.optional(v.picklist(["fast", "safe"]), "safe"),
    user: v.optional(v.string()),
    password: v.optional(v.pipe(v.string(), v.metadata({ secret: true }))),
    keyFile: v.optional(v.string()),
  }),
  configRelations: [
    { kind: "requiredTogether", fields: ["user", "password"] },
    { kind: "mutuallyExclusive", fields: ["password", "keyFile"] },
  ],
  connect: () => ({}),
  resourceTypes: [
    {
      resourceType: resourceType({ displayName: "User" }),
      list: async () => ({ items: [] }),
      entitlements: async () => ({ items: [] }),
      grants: async () => ({ items: [] }),
    },
  ],
});

describe("configFields", () => {
  it("derives Baton flag and env names, kinds, defaults and secrecy from the schema", () => {
    const fields = Object.fromEntries(configFields(plugin.config).map((f) => [f.name, f]));
    expect(fields.apiToken).toMatchObject({
      flag: "api-token",
      env: "BATON_API_TOKEN",
      kind: "string",
      required: true,
      secret: true,
    });
    expect(fields.pageSize).toMatchObject({
      flag: "page-size",
      env: "CFG_PAGE",
      kind: "integer",
      default: 50,
      required: false,
    });
    expect(fields.verbose).toMatchObject({ kind: "boolean", default: false });
    expect(fields.scopes).toMatchObject({ kind: "string-list" });
    expect(fields.mode).toMatchObject({ kind: "select", options: ["fast", "safe"] });
    expect(fields.keyFile).toMatchObject({ flag: "key-file", env: "BATON_KEY_FILE", required: false });
  });
});

describe("resolveConfig", () => {
  it("applies flag > env > file > default per field", () => {
    const resolved = resolveConfig(plugin, {
      flags: { "api-token": "from-flag" },
      env: { BATON_API_TOKEN: "from-env", CFG_PAGE: "20", BATON_VERBOSE: "true" },
      file: { "api-token": "from-file", "page-size": 10, mode: "fast", scopes: ["a", "b"] },
    });
    expect(resolved.config).toEqual({
      apiToken: "from-flag",
      baseUrl: "https://api.example.com",
      pageSize: 20,
      verbose: true,
      scopes: ["a", "b"],
      mode: "fast",
    });
    expect(resolved.sources).toMatchObject({ apiToken: "flag", pageSize: "env", mode: "file", baseUrl: "default" });
  });

  it("accepts field names as config file keys and comma lists from env", () => {
    const resolved = resolveConfig(plugin, { env: { BATON_SCOPES: "read, write" }, file: { apiToken: "tok1" } });
    expect(resolved.config.apiToken).toBe("tok1");
    expect(resolved.config.scopes).toEqual(["read", "write"]);
  });

  const error = (fn: () => unknown): ConfigError => {
    try {
      fn();
    } catch (e) {
      if (e instanceof ConfigError) return e;
      throw e;
    }
    throw new Error("expected a ConfigError");
  };

  it("names flag and env var for missing, mistyped and invalid values, on one line", () => {
    expect(error(() => resolveConfig(plugin, {})).message).toBe(
      "missing required config --api-token ($BATON_API_TOKEN) for plugin cfg",
    );
    expect(error(() => resolveConfig(plugin, { flags: { "api-token": "abcd", "page-size": "x" } })).message).toBe(
      'invalid value for --page-size ($CFG_PAGE) from flag: expected an integer, got "x"',
    );
    expect(
      error(() => resolveConfig(plugin, { flags: { "api-token": "abcd" }, env: { BATON_VERBOSE: "maybe" } })).message,
    ).toBe('invalid value for --verbose ($BATON_VERBOSE) from env: expected true or false, got "maybe"');
    const invalid = error(() => resolveConfig(plugin, { flags: { "api-token": "abcd", "base-url": "not a url" } }));
    expect(invalid.message).toMatch(/^invalid value for --base-url \(\$BATON_BASE_URL\): /);
    expect(invalid.message).not.toContain("\n");
    expect(
      error(() => resolveConfig(plugin, { flags: { "api-token": "abcd" }, file: { "page-size": 0 } })).message,
    ).toMatch(/^invalid value for --page-size \(\$CFG_PAGE\): /);
  });

  it("never puts a secret value in an error", () => {
    const e = error(() => resolveConfig(plugin, { flags: { "api-token": "xy" } }));
    expect(e.message).toMatch(/--api-token \(\$BATON_API_TOKEN\)/);
    expect(e.message).not.toContain("xy");
    const typed = error(() => resolveConfig(plugin, { file: { apiToken: ["sekrit"] } }));
    expect(typed.message).not.toContain("sekrit");
  });

  it("enforces requiredTogether and mutuallyExclusive relations", () => {
    expect(error(() => resolveConfig(plugin, { flags: { "api-token": "abcd", user: "me" } })).message).toBe(
      "--user ($BATON_USER), --password ($BATON_PASSWORD) must be set together: missing --password ($BATON_PASSWORD)",
    );
    expect(
      error(() =>
        resolveConfig(plugin, { flags: { "api-token": "abcd", user: "me", password: "pw", "key-file": "k" } }),
      ).message,
    ).toBe(
      "only one of --password ($BATON_PASSWORD), --key-file ($BATON_KEY_FILE) may be set, got --password ($BATON_PASSWORD) and --key-file ($BATON_KEY_FILE)",
    );
  });

  it("enforces atLeastOne", () => {
    const either = definePlugin({
      ...plugin,
      name: "either",
      configRelations: [{ kind: "atLeastOne", fields: ["user", "keyFile"] }],
    });
    expect(error(() => resolveConfig(either, { flags: { "api-token": "abcd" } })).message).toBe(
      "at least one of --user ($BATON_USER), --key-file ($BATON_KEY_FILE) must be set",
    );
    expect(resolveConfig(either, { flags: { "api-token": "abcd", "key-file": "k" } }).config.keyFile).toBe("k");
  });
});
