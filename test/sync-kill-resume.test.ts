/**
 * A large sync into a local c1z runs through a file-backed store beside it. Killed with
 * SIGKILL mid-way, it must leave the previous c1z byte for byte, and the next run must
 * resume the same sync from its last checkpoint (not list again what was committed) and
 * end with exactly the grants of an uninterrupted sync.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readC1zFile } from "../src/c1z/file.ts";
import type { SqliteC1zStore } from "../src/c1z/sqlite-store.ts";
import { canUseWorkFile, workFilePath } from "../src/jobs/work-file.ts";
import { binPath, cleanEnv, repoRoot, runCli, tempDir } from "./cli-support.ts";

const fileBacked = await canUseWorkFile();
if (!fileBacked) console.warn("no native SQLite that opens files here: skipping the kill -9 resume test");
const work = tempDir("kill-resume");
afterAll(() => work.cleanup());
const env = { BATON_PLUGINS_DIR: path.join(repoRoot, "test/support/plugins") };
const large = ["--users", "2000", "--groups", "40", "--grants", "60000", "--log-format", "json"];

function logLines(stderr: string): Record<string, unknown>[] {
  return stderr
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function grantIds(store: SqliteC1zStore, syncId: string): string[] {
  const ids: string[] = [];
  let pageToken = "";
  do {
    const page = store.listGrants({ syncId, pageToken });
    ids.push(...page.items.map((g) => g.id));
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return ids.sort();
}

/** Runs a sync that hangs in the grants of group `hangAt`, and SIGKILLs it there. */
function killedRun(file: string, hangAt: number): Promise<{ signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binPath, "bulk", ...large, "-f", file], {
      cwd: work.dir,
      env: cleanEnv({ ...env, BULK_HANG_AT: String(hangAt) }),
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      if (stderr.includes('"msg":"hanging"')) child.kill("SIGKILL");
    });
    child.on("error", reject);
    child.on("close", (_code, signal) => resolve({ signal, stderr }));
  });
}

describe.skipIf(!fileBacked)("kill -9 in the middle of a large file-backed sync", () => {
  it("keeps the previous c1z, and the next run resumes from the checkpoint to the same grants", async () => {
    const file = path.join(work.dir, "sync.c1z");
    const first = await runCli(["bulk", "--users", "500", "--groups", "8", "--grants", "2000", "-f", file], {
      cwd: work.dir,
      env,
    });
    expect(first.code, first.stderr).toBe(0);
    const previous = readFileSync(file);

    const killed = await killedRun(file, 30);
    expect(killed.signal).toBe("SIGKILL");
    expect(readFileSync(file).equals(previous)).toBe(true);
    expect(existsSync(workFilePath(file))).toBe(true);
    const killedLog = logLines(killed.stderr);
    expect(killedLog.some((line) => line.msg === "listing users")).toBe(true);

    const resumed = await runCli(["bulk", ...large, "-f", file], { cwd: work.dir, env });
    expect(resumed.code, resumed.stderr).toBe(0);
    const resumedLog = logLines(resumed.stderr);
    const finished = resumedLog.find((line) => line.msg === "sync finished");
    expect(finished?.resumed).toBe(true);
    // Resources and entitlements were committed at the checkpoint that opened the grants phase.
    expect(resumedLog.filter((line) => line.msg === "listing users")).toEqual([]);
    expect(resumedLog.some((line) => line.msg === "listing grants")).toBe(true);
    expect(existsSync(workFilePath(file))).toBe(false);

    const clean = path.join(work.dir, "clean.c1z");
    const uninterrupted = await runCli(["bulk", ...large, "-f", clean], { cwd: work.dir, env });
    expect(uninterrupted.code, uninterrupted.stderr).toBe(0);

    const store = await readC1zFile(file, { engine: "sqljs" });
    const reference = await readC1zFile(clean, { engine: "sqljs" });
    // The previous (small) sync is still there, next to the resumed one.
    expect(store.listSyncs().filter((run) => run.endedAt !== null)).toHaveLength(2);
    const syncId = store.latestFinishedSync("full")?.syncId ?? "";
    const referenceId = reference.latestFinishedSync("full")?.syncId ?? "";
    expect(syncId).toBe(String(finished?.syncId));
    const ids = grantIds(store, syncId);
    expect(ids.length).toBeGreaterThan(60_000);
    expect(ids).toEqual(grantIds(reference, referenceId));
    store.close();
    reference.close();
  }, 600_000);
});
