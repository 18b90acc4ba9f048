import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sqlite3Value, tempDir, toolsPresent } from "../../test/support/c1z-tools.ts";
import { user } from "../model/builders.ts";
import { readC1zFile, writeC1zFileFromSqlite, writeFileAtomic } from "./file.ts";
import { createC1z } from "./open.ts";

const tools = toolsPresent("zstd", "sqlite3");

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

describe("writeC1zFileFromSqlite", () => {
  it.skipIf(!tools)("streams a SQLite file into a c1z that zstd, sqlite3 and our reader accept", async () => {
    const store = await createC1z({ engine: "sqljs" });
    store.startSync("full");
    const users = Array.from({ length: 3000 }, (_, i) => user({ id: `u${i}`, displayName: `User ${i}` }));
    store.putResources(users);
    store.endSync();
    const sqlite = join(tmp.dir, "stream-src.db");
    writeFileSync(sqlite, store.sqliteBytes());
    store.close();
    const c1z = join(tmp.dir, "stream.c1z");
    writeFileSync(c1z, "the previous file");
    const result = await writeC1zFileFromSqlite(sqlite, c1z);
    const bytes = readFileSync(c1z);
    expect(result.c1zBytes).toBe(bytes.length);
    expect(result.contentBytes).toBe(readFileSync(sqlite).length);
    expect(bytes.subarray(0, 5).toString("latin1")).toBe("C1ZF\0");
    const zstd = spawnSync("sh", ["-c", `tail -c +6 "${c1z}" | zstd -t -q`]);
    expect(zstd.status, zstd.stderr.toString()).toBe(0);
    const decoded = join(tmp.dir, "stream-decoded.db");
    spawnSync("sh", ["-c", `tail -c +6 "${c1z}" | zstd -d -q -c > "${decoded}"`]);
    expect(readFileSync(decoded).equals(readFileSync(sqlite))).toBe(true);
    expect(sqlite3Value(decoded, "PRAGMA integrity_check")).toBe("ok");
    const reopened = await readC1zFile(c1z, { engine: "sqljs" });
    expect(reopened.listResources({ pageSize: 5000 }).items.map((r) => r.displayName)).toEqual(
      users.map((u) => u.displayName),
    );
    reopened.close();
    expect(readdirSync(tmp.dir).filter((name) => name.startsWith("stream.c1z."))).toEqual([]);
  });

  it("leaves the previous c1z intact when the source cannot be read", async () => {
    const c1z = join(tmp.dir, "kept.c1z");
    writeFileSync(c1z, "the good file");
    await expect(writeC1zFileFromSqlite(join(tmp.dir, "missing.db"), c1z)).rejects.toThrow(/ENOENT/);
    expect(readFileSync(c1z, "utf8")).toBe("the good file");
    expect(readdirSync(tmp.dir).filter((name) => name.startsWith("kept.c1z."))).toEqual([]);
  });
});
