/**
 * The prebuilt Node CLI (scripts/build-node.mjs → bin/baton-edge.js): used while fresh, the
 * sources through tsx once any input changed, the same syncs either way, and TypeScript
 * plugins outside the build sharing its SDK modules.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prebuiltBuild } from "../bin/prebuilt.mjs";
import { readC1zFile } from "../src/c1z/file.ts";
import type { SqliteC1zStore } from "../src/c1z/sqlite-store.ts";
import { repoRoot, runCli, tempDir } from "./cli-support.ts";

const work = tempDir("prebuilt");
// Inside the repository and two levels deep, as dist/node: packages and plugins/ resolve the same.
const outDir = `.tmp/prebuilt-test-${process.pid}`;

beforeAll(() => {
  const built = spawnSync(process.execPath, ["scripts/build-node.mjs", "--out", outDir], {
    cwd: repoRoot,
    encoding: "utf8",
  });
  expect(built.status, built.stderr).toBe(0);
}, 120_000);

afterAll(() => {
  work.cleanup();
  rmSync(path.join(repoRoot, outDir), { recursive: true, force: true });
});

const prebuiltEnv = { BATON_EDGE_PREBUILT_DIR: outDir, BATON_EDGE_DEBUG_LOADER: "1" };
const sourceEnv = { BATON_EDGE_FROM_SOURCE: "1", BATON_EDGE_DEBUG_LOADER: "1" };

async function idSets(file: string) {
  const store = (await readC1zFile(file)) as SqliteC1zStore;
  const ids = (table: string) =>
    store.db
      .prepare(`select external_id from ${table} order by external_id`)
      .all()
      .map((row) => String(row.external_id));
  try {
    return { resources: ids("v1_resources"), entitlements: ids("v1_entitlements"), grants: ids("v1_grants") };
  } finally {
    store.close();
  }
}

describe("the prebuilt CLI", () => {
  it("syncs the demo exactly as the sources do", async () => {
    const prebuilt = await runCli(["demo", "-f", "prebuilt.c1z"], { cwd: work.dir, env: prebuiltEnv });
    const source = await runCli(["demo", "-f", "source.c1z"], { cwd: work.dir, env: sourceEnv });
    expect(prebuilt.code, prebuilt.stderr).toBe(0);
    expect(source.code, source.stderr).toBe(0);
    expect(prebuilt.stderr.split("\n")[0]).toMatch(/^baton-edge: prebuilt file:.*\/cli\.mjs$/);
    expect(source.stderr.split("\n")[0]).toBe("baton-edge: sources through tsx (BATON_EDGE_FROM_SOURCE is set)");
    const fromBuild = await idSets(path.join(work.dir, "prebuilt.c1z"));
    expect(fromBuild.grants.length).toBeGreaterThan(100);
    expect(fromBuild).toEqual(await idSets(path.join(work.dir, "source.c1z")));
  }, 120_000);

  it("loads a TypeScript plugin outside the build with the build's own SDK modules", async () => {
    // A NotFoundError from a per-resource listing is a warning, not a failure, only when the
    // engine recognises the plugin's error class: one copy of the SDK, not two.
    const dir = path.join(work.dir, "ext");
    mkdirSync(path.join(dir, "plugins/gone"), { recursive: true });
    mkdirSync(path.join(dir, "node_modules"), { recursive: true });
    symlinkSync(repoRoot, path.join(dir, "node_modules/baton-edge"), "dir");
    writeFileSync(path.join(dir, "package.json"), '{ "type": "module" }\n');
    writeFileSync(
      path.join(dir, "plugins/gone/index.ts"),
      `import { definePlugin, entitlement, group, NotFoundError, resourceType, v } from "baton-edge/plugin";
const teams = resourceType({ id: "team", displayName: "Team", traits: ["group"] });
export default definePlugin({
  name: "gone",
  displayName: "Gone",
  config: v.object({}),
  connect: () => ({}),
  resourceTypes: [{
    resourceType: teams,
    list: async () => ({ items: [group({ type: "team", id: "t1", displayName: "T1" })] }),
    entitlements: async (team) => ({ items: [entitlement(team, "member")] }),
    grants: async (): Promise<never> => { throw new NotFoundError("team t1 was deleted"); },
  }],
});
`,
    );
    for (const env of [prebuiltEnv, sourceEnv]) {
      const run = await runCli(["gone", "--plugins-dir", path.join(dir, "plugins"), "-f", "gone.c1z"], {
        cwd: dir,
        env,
      });
      expect(run.code, run.stderr).toBe(0);
      const finished = run.stderr
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line))
        .find((line) => line.msg === "sync finished");
      expect(finished).toMatchObject({ resources: 1, entitlements: 1, grants: 0, warnings: 1 });
    }
  }, 120_000);
});

describe("prebuiltBuild", () => {
  const root = path.join(work.dir, "root");
  const write = (file: string, text = "x") => {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  };
  const manifest = (builtAt: number) =>
    write(
      "dist/node/manifest.json",
      JSON.stringify({
        builtAt,
        cli: "cli.mjs",
        sdk: "sdk.mjs",
        sdkSource: "src/plugins/sdk.ts",
        plugins: { demo: "plugins/demo.mjs" },
        inputs: ["src/a.ts", "plugins/demo/index.ts"],
      }),
    );

  it("uses the build while no input is newer, and names the input that makes it stale", () => {
    expect(prebuiltBuild(root)).toEqual({ stale: "no dist/node/manifest.json" });
    write("src/a.ts");
    write("plugins/demo/index.ts");
    const past = new Date(Date.now() - 60_000);
    utimesSync(path.join(root, "src/a.ts"), past, past);
    utimesSync(path.join(root, "plugins/demo/index.ts"), past, past);
    manifest(Date.now() - 30_000);
    const fresh = prebuiltBuild(root);
    expect(fresh).toMatchObject({
      cli: `file://${root}/dist/node/cli.mjs`,
      sdkSource: `file://${root}/src/plugins/sdk.ts`,
      plugins: { demo: `file://${root}/dist/node/plugins/demo.mjs` },
    });
    const now = new Date();
    utimesSync(path.join(root, "plugins/demo/index.ts"), now, now);
    expect(prebuiltBuild(root)).toEqual({ stale: "plugins/demo/index.ts changed after the build" });
    rmSync(path.join(root, "src/a.ts"));
    expect(prebuiltBuild(root)).toEqual({ stale: "src/a.ts is gone" });
    expect(JSON.parse(readFileSync(path.join(root, "dist/node/manifest.json"), "utf8")).inputs).toHaveLength(2);
  });
});
