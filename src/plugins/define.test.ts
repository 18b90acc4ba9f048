import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { resourceType } from "../model/builders.ts";
import type { AnyPlugin } from "./contract.ts";
import { definePlugin, PluginDefinitionError, validatePluginDefinition } from "./define.ts";

const userType = () => ({
  resourceType: resourceType({ displayName: "User", traits: ["user"] }),
  list: async () => ({ items: [] }),
  entitlements: async () => ({ items: [] }),
  grants: async () => ({ items: [] }),
});

const base = () => ({
  name: "acme",
  displayName: "Acme",
  config: v.object({ token: v.string() }),
  connect: () => ({}),
  resourceTypes: [userType()],
});

function problem(definition: Record<string, unknown>): string {
  try {
    validatePluginDefinition(definition);
  } catch (error) {
    expect(error).toBeInstanceOf(PluginDefinitionError);
    return (error as Error).message;
  }
  throw new Error("expected the definition to be rejected");
}

describe("definePlugin", () => {
  it("accepts a complete definition and returns it unchanged", () => {
    const definition = base();
    expect(definePlugin(definition as unknown as AnyPlugin)).toBe(definition);
  });

  it("checks an action's args is a valibot schema", () => {
    const run = async () => ({});
    expect(problem({ ...base(), actions: [{ name: "lock", args: { userId: "string" }, run }] })).toBe(
      'plugin "acme": actions[0].args must be a valibot schema',
    );
    const ok = { ...base(), actions: [{ name: "lock", args: v.object({ userId: v.string() }), run }] };
    expect(definePlugin(ok as unknown as AnyPlugin)).toBe(ok);
  });

  it("names the plugin and the field for each kind of mistake", () => {
    expect(problem({ ...base(), name: "Acme Corp" })).toBe(
      'plugin "Acme Corp": name must be lower-case letters, digits and dashes, starting with a letter',
    );
    expect(problem({ ...base(), name: "grants" })).toBe(
      'plugin "grants": name "grants" is reserved for a baton-edge command',
    );
    expect(problem({ ...base(), displayName: "" })).toBe('plugin "acme": displayName must be a non-empty string');
    expect(problem({ ...base(), connect: undefined })).toBe('plugin "acme": connect must be a function');
    expect(problem({ ...base(), config: v.string() })).toBe(
      'plugin "acme": config must be a valibot object schema, got "string"',
    );
    expect(problem({ ...base(), config: v.object({ when: v.date() }) })).toBe(
      'plugin "acme": config field "when" has unsupported type "date"',
    );
    expect(problem({ ...base(), resourceTypes: [] })).toBe('plugin "acme": resourceTypes must be a non-empty array');
    expect(problem({ ...base(), resourceTypes: [{ ...userType(), grants: "nope" }] })).toBe(
      'plugin "acme": resourceTypes[0].grants must be a function',
    );
    expect(problem({ ...base(), resourceTypes: [userType(), userType()] })).toBe(
      'plugin "acme": resourceTypes[1].resourceType.id "user" is declared twice',
    );
    expect(problem({ ...base(), resourceTypes: [{ ...userType(), resourceType: { id: "user" } }] })).toBe(
      'plugin "acme": resourceTypes[0].resourceType must be built with resourceType({ ... })',
    );
    expect(problem({ ...base(), resourceTypes: [{ ...userType(), grant: async () => ({}) }] })).toBe(
      'plugin "acme": resourceTypes[0] must implement both grant and revoke, or neither',
    );
    expect(problem({ ...base(), configRelations: [{ kind: "requiredTogether", fields: ["token", "secret"] }] })).toBe(
      'plugin "acme": configRelations[0].fields names unknown config field "secret"',
    );
    expect(problem({ ...base(), createAccount: async () => ({}), accountResourceType: "account" })).toBe(
      'plugin "acme": accountResourceType names resource type "account", which the plugin does not declare',
    );
    expect(problem({ ...base(), deleteResource: async () => ({}), deleteResourceTypes: ["team"] })).toBe(
      'plugin "acme": deleteResourceTypes names unknown resource type "team"',
    );
  });

  it("throws from definePlugin itself, so a bad plugin fails at import", () => {
    expect(() => definePlugin({ ...base(), displayName: " " } as unknown as AnyPlugin)).toThrow(
      'plugin "acme": displayName must be a non-empty string',
    );
  });
});
