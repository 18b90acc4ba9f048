import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir, toolsPresent, vectorFiles } from "../../test/support/c1z-tools.ts";

const vector = vectorFiles().find((path) => path.endsWith("sync-in-progress.c1z"));
const zstd = toolsPresent("zstd");
const tmp = tempDir();
afterAll(() => tmp.cleanup());
const probe = resolve("test/support/storage-runtime-probe.ts");

const runtimes = [
  { name: "bun", bin: resolve("node_modules/.bin/bun"), args: [probe], sqlite: "bun:sqlite", zstd: "Bun.zstd" },
  {
    name: "deno",
    bin: resolve("node_modules/.bin/deno"),
    args: ["run", "-A", "--quiet", probe],
    sqlite: "node:sqlite",
    zstd: "node:zlib",
  },
];

describe.each(runtimes)("storage and zstd on $name", ({ name, bin, args, sqlite, zstd: zstdName }) => {
  const present = existsSync(bin);
  if (!present) console.warn(`${name} is not installed in node_modules: skipping its runtime test`);

  it.skipIf(!present || !vector || !zstd)(`picks ${sqlite} and ${zstdName} through #imports; round trips a c1z`, () => {
    const out = join(tmp.dir, `${name}.c1z`);
    const run = spawnSync(bin, [...args, vector!, out], { encoding: "utf8", timeout: 120_000 });
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
    expect(result).toMatchObject({
      nativeSqlite: sqlite,
      sqljs: "sqljs",
      nativeZstd: zstdName,
      sqljsResources: 79,
      nativeResources: 79,
      sqljsRoundtrip: ["One", "Two"],
      nativeRoundtrip: ["One", "Two"],
      nativeCompression: "native",
    });
    const check = spawnSync("sh", ["-c", `tail -c +6 "${out}" | zstd -t -q`]);
    expect(check.status, check.stderr.toString()).toBe(0);
  });
});
