/**
 * The CLI with no build step on Bun and Deno (Node is covered by the other cli-* tests):
 * plugins discovered at start from a directory holding a good and a broken plugin,
 * and the demo sync written and read back by our reader as on Node.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, repoRoot, runCli, tempDir } from "./cli-support.ts";
import { idSetsOfC1z } from "./runtime-support.ts";

const bun = path.join(repoRoot, "node_modules/.bin/bun");
const deno = path.join(repoRoot, "node_modules/.bin/deno");
const main = path.join(repoRoot, "src/cli/main.ts");
const runtimes: [string, string[]][] = [
  ["bun", [bun, main]],
  ["deno", [deno, "run", "-A", main]],
];
for (const [name, [bin]] of runtimes)
  if (!existsSync(bin)) console.warn(`cli-runtimes: ${name} is not installed; skipping`);

const work = tempDir("runtimes");
afterAll(() => work.cleanup());
const pluginsDir = path.join(work.dir, "plugins");

beforeAll(async () => {
  mkdirSync(path.join(work.dir, "node_modules"), { recursive: true });
  symlinkSync(repoRoot, path.join(work.dir, "node_modules/baton-edge"), "dir");
  writeFileSync(path.join(work.dir, "package.json"), '{ "type": "module" }\n');
  mkdirSync(path.join(pluginsDir, "tiny"), { recursive: true });
  writeFileSync(
    path.join(pluginsDir, "tiny/index.ts"),
    `import { definePlugin, resourceType, user, v } from "baton-edge/plugin";
export default definePlugin({ name: "tiny", displayName: "Tiny", config: v.object({}), connect: () => ({}),
  resourceTypes: [{ resourceType: resourceType({ displayName: "User", traits: ["user"] }),
    list: async () => ({ items: [user({ id: "1", displayName: "One" })] }),
    entitlements: async () => ({ items: [] }), grants: async () => ({ items: [] }) }] });
`,
  );
  mkdirSync(path.join(pluginsDir, "broken"), { recursive: true });
  writeFileSync(path.join(pluginsDir, "broken/index.ts"), "export default {\n");
  // The Node run, to compare the other runtimes' files with.
  const node = await runCli(["demo", "-f", "node.c1z", "--log-level", "error"], { cwd: work.dir });
  expect(node.code, node.stderr).toBe(0);
});

describe.each(runtimes)("%s", (name, [bin, ...args]) => {
  const run = (extra: string[]) =>
    spawnSync(bin, [...args, ...extra], {
      cwd: work.dir,
      env: cleanEnv({ BATON_PLUGINS_DIR: pluginsDir }),
      encoding: "utf8",
      timeout: 120_000,
    });

  it.skipIf(!existsSync(bin))("discovers plugins at start and reports the broken one", () => {
    const result = run(["plugins", "--output", "json"]);
    expect(result.status, result.stderr).toBe(0);
    const listed = JSON.parse(result.stdout) as {
      plugins: { name: string }[];
      failures: { name: string; path: string }[];
    };
    expect(listed.plugins.map((p) => p.name)).toEqual(expect.arrayContaining(["demo", "tiny"]));
    expect(listed.failures.find((f) => f.name === "broken")?.path).toBe(path.join(pluginsDir, "broken/index.ts"));
  });

  it.skipIf(!existsSync(bin))("writes the same demo sync as Node", async () => {
    const file = `${name}.c1z`;
    const result = run(["demo", "-f", file, "--log-level", "error"]);
    expect(result.status, result.stderr).toBe(0);
    const ours = await idSetsOfC1z(readFileSync(path.join(work.dir, file)));
    const node = await idSetsOfC1z(readFileSync(path.join(work.dir, "node.c1z")));
    expect({ ...ours, syncId: "" }).toEqual({ ...node, syncId: "" });
    expect(ours.resources).toHaveLength(38);
    const tiny = run(["tiny", "-f", "tiny.c1z", "--log-level", "error"]);
    expect(tiny.status, tiny.stderr).toBe(0);
    expect((await idSetsOfC1z(readFileSync(path.join(work.dir, "tiny.c1z")))).resources).toEqual(["user:1"]);
  });
});
