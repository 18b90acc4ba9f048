/** scripts/gen-plugin-registry.ts: static imports of the plugins that load, for Workers. */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateRegistry } from "../scripts/gen-plugin-registry.ts";
import { type GeneratedPluginEntry, registryFromEntries } from "../src/registry/static-registry.ts";
import { repoRoot, tempDir } from "./cli-support.ts";

const work = tempDir("gen-registry");
afterAll(() => work.cleanup());

describe("gen-plugin-registry", () => {
  it("imports the plugins that load, leaves broken ones out with the reason, and the module works", async () => {
    const plugins = path.join(work.dir, "plugins");
    mkdirSync(path.join(plugins, "tiny"), { recursive: true });
    mkdirSync(path.join(plugins, "broken"), { recursive: true });
    writeFileSync(path.join(work.dir, "package.json"), '{ "type": "module" }\n');
    writeFileSync(
      path.join(plugins, "tiny/index.ts"),
      `import { definePlugin, resourceType, v } from ${JSON.stringify(path.join(repoRoot, "src/plugins/sdk.ts"))};
export default definePlugin({ name: "tiny", displayName: "Tiny", config: v.object({}), connect: () => ({}),
  resourceTypes: [{ resourceType: resourceType({ displayName: "User" }), list: async () => ({ items: [] }),
    entitlements: async () => ({ items: [] }), grants: async () => ({ items: [] }) }] });
`,
    );
    writeFileSync(path.join(plugins, "broken/index.ts"), "export default 42;\n");
    const out = path.join(work.dir, "out/registry.generated.ts");
    const result = await generateRegistry([path.join(repoRoot, "plugins"), plugins], out, ["demo", "tiny", "broken"]);
    expect(result.names).toEqual(["demo", "tiny"]);
    expect(result.failures.some((f) => f.startsWith("broken"))).toBe(true);
    const source = readFileSync(out, "utf8");
    expect(source).toContain('from "../plugins/tiny/index.ts"');
    expect(source).not.toContain("broken/index.ts");
    const { generatedPlugins } = (await import(out)) as { generatedPlugins: GeneratedPluginEntry[] };
    const registry = registryFromEntries(generatedPlugins);
    expect(registry.plugins.map((p) => p.name)).toEqual(["demo", "tiny"]);
    expect(registry.failures).toEqual([]);
  });
});
