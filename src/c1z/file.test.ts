import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeFileAtomic } from "./file.ts";
import { tempDir } from "./test-cli.ts";

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe("writeFileAtomic", () => {
  it("replaces the file and leaves no temp file", async () => {
    const path = join(tmp.dir, "ok.c1z");
    writeFileSync(path, "old");
    await writeFileAtomic(path, new TextEncoder().encode("new contents"));
    expect(readFileSync(path, "utf8")).toBe("new contents");
    expect(readdirSync(tmp.dir).filter((name) => name.startsWith("ok.c1z."))).toEqual([]);
  });

  it("leaves the original intact and removes the temp file when the rename fails", async () => {
    const dir = join(tmp.dir, "rename");
    const target = join(dir, "target.c1z");
    mkdirSync(target, { recursive: true }); // a directory: rename of a file over it fails (EISDIR)
    writeFileSync(join(target, "inside"), "precious");
    await expect(writeFileAtomic(target, new Uint8Array(10))).rejects.toThrow();
    expect(readFileSync(join(target, "inside"), "utf8")).toBe("precious");
    expect(readdirSync(dir)).toEqual(["target.c1z"]);
  });

  it("leaves the original intact when the disk refuses the write halfway (RLIMIT_FSIZE)", () => {
    const dir = join(tmp.dir, "fsize");
    mkdirSync(dir);
    const target = join(dir, "sync.c1z");
    writeFileSync(target, "the good file");
    const script = join(dir, "write.mjs");
    // The child imports the TypeScript module through tsx's loader; its output caps at 64 KiB.
    writeFileSync(
      script,
      `import { writeFileAtomic } from ${JSON.stringify(resolve("src/c1z/file.ts"))};
       try { await writeFileAtomic(${JSON.stringify(target)}, new Uint8Array(4 * 1024 * 1024)); console.log("WROTE"); }
       catch (e) { console.log("FAILED " + e.code); }`,
    );
    const tsxLoader = resolve("node_modules/tsx/dist/loader.mjs");
    const run = spawnSync(
      "bash",
      ["-c", `trap '' XFSZ; ulimit -f 64; exec node --import ${JSON.stringify(tsxLoader)} ${JSON.stringify(script)}`],
      { env: { ...process.env, TSX_DISABLE_CACHE: "1" } },
    );
    const output = run.stdout.toString();
    expect(output, run.stderr.toString()).toMatch(/FAILED EFBIG/);
    expect(readFileSync(target, "utf8")).toBe("the good file");
    expect(readdirSync(dir).sort()).toEqual(["sync.c1z", "write.mjs"]);
  });
});
