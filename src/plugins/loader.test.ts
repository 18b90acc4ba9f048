import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { registryFromEntries } from "../registry/static-registry.ts";
import { builtinPluginsDir, loadPlugins } from "./loader.ts";

const dir = mkdtempSync(path.join(tmpdir(), "loader-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sdk = path.resolve(import.meta.dirname, "sdk.ts");
const write = (name: string, source: string) => {
  mkdirSync(path.join(dir, name), { recursive: true });
  writeFileSync(path.join(dir, name, "index.ts"), source);
};
const good = (name: string) => `import { definePlugin, resourceType, v } from ${JSON.stringify(sdk)};
export default definePlugin({ name: ${JSON.stringify(name)}, displayName: "Good", config: v.object({}), connect: () => ({}),
  resourceTypes: [{ resourceType: resourceType({ displayName: "User" }), list: async () => ({ items: [] }),
    entitlements: async () => ({ items: [] }), grants: async () => ({ items: [] }) }] });
`;
writeFileSync(path.join(dir, "package.json"), '{ "type": "module" }');
write("zeta", good("zeta"));
write("alpha", good("alpha"));
write("throws", 'throw new Error("boom at import");\n');
write("renamed", good("alpha"));

describe("loadPlugins", () => {
  it("loads good plugins sorted by name and reports the others without stopping", async () => {
    const registry = await loadPlugins(dir);
    expect(registry.plugins.map((p) => p.name)).toEqual(["alpha", "zeta"]);
    expect(registry.failures).toEqual([
      {
        name: "alpha",
        path: path.join(dir, "renamed/index.ts"),
        reason: `plugin name "alpha" is already used by ${path.join(dir, "alpha/index.ts")}`,
      },
      { name: "throws", path: path.join(dir, "throws/index.ts"), reason: "failed to import: boom at import" },
    ]);
  });

  it("lets a later directory override a built-in plugin of the same name", async () => {
    write("demo-override/demo", good("demo").replace('"Good"', '"Override"'));
    const registry = await loadPlugins([builtinPluginsDir(), path.join(dir, "demo-override")]);
    const demo = registry.plugins.find((p) => p.name === "demo");
    expect(demo?.plugin.displayName).toBe("Override");
  });

  it("validates a static registry the same way", () => {
    const registry = registryFromEntries([{ name: "x", source: "plugins/x/index.ts", plugin: { name: "x" } }]);
    expect(registry.plugins).toEqual([]);
    expect(registry.failures[0].reason).toMatch(/^invalid definition: plugin "x": displayName/);
  });
});
