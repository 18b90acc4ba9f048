/**
 * A process killed inside a multipart upload cannot abort it, so the upload is noted beside
 * the work file before its first part and the next run aborts it. Shown with real processes
 * against moto behind a proxy whose part uploads hang: the CLI's `-f s3://…` and a cron
 * checkpoint upload to `BATON_CHECKPOINT_LOCATION`. Each is SIGKILLed inside the hanging
 * part; the run after it aborts the noted upload (its DELETE ?uploadId reaches the proxy),
 * uploads, and leaves no open upload, no note, and exactly the finished object.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openC1z } from "../src/c1z/index.ts";
import { binPath } from "./cli-support.ts";
import { idSetsOfC1z, waitForOutput } from "./runtime-support.ts";
import { PAGES } from "./support/cron-pager.ts";
import { killBed } from "./support/kill-bed.ts";
import { hasMoto, startFaultProxy, testCredentials } from "./upload-support.ts";

const bucket = "kill-abort";

describe.skipIf(!hasMoto)("a run killed inside a multipart upload", () => {
  const bed = killBed(bucket);
  const { run, openUploads, keysUnder, objectOf, killInsidePart } = bed;

  it("the CLI's -f s3://: the next run aborts the killed run's upload, then uploads", async () => {
    let hang = true;
    const proxy = await startFaultProxy(bed.moto.endpoint, (req, url) =>
      hang && req.method === "PUT" && url.searchParams.has("partNumber") ? "hang" : undefined,
    );
    const workDir = join(bed.scratch, "cli-work");
    const file = `s3://${bucket}/cli/demo.c1z?region=us-east-1&endpoint=${proxy.endpoint}`;
    const env = { ...testCredentials, BATON_WORK_DIR: workDir };
    const sync = () => run([binPath, "demo", "-f", file, "--log-format", "json"], env);
    try {
      await killInsidePart(sync(), proxy, "/cli/demo.c1z");
      const open = await openUploads();
      expect(open.map((u) => u.Key)).toEqual(["cli/demo.c1z"]);
      expect(await keysUnder("cli/")).toEqual([]);
      // The note beside the work file names that upload, never the credentials.
      const notes = readdirSync(join(workDir, "cli")).filter((name) => name.endsWith(".upload.json"));
      expect(notes).toHaveLength(1);
      const noted = readFileSync(join(workDir, "cli", notes[0]!), "utf8");
      expect(JSON.parse(noted)).toMatchObject({ uploadId: open[0]!.UploadId });
      expect(noted).not.toContain(testCredentials.AWS_SECRET_ACCESS_KEY);

      hang = false;
      const second = sync();
      const code = await new Promise<number | null>((ok) => second.child.once("exit", (c) => ok(c)));
      expect(code, second.output()).toBe(0);
      expect(second.output()).toContain(`aborted multipart upload ${open[0]!.UploadId}`);
      expect(proxy.log.some((l) => l.startsWith("DELETE ") && l.includes(`uploadId=${open[0]!.UploadId}`))).toBe(true);
      expect(await openUploads()).toEqual([]);
      expect(await keysUnder("cli/")).toEqual(["cli/demo.c1z"]);
      expect(readdirSync(join(workDir, "cli"))).toEqual([]);
      const store = await openC1z(await objectOf("cli/demo.c1z"));
      try {
        expect(store.listSyncs().filter((s) => s.endedAt !== null && s.syncType === "full")).toHaveLength(1);
      } finally {
        store.close();
      }
    } finally {
      await proxy.stop();
    }
  });

  it("a cron checkpoint to BATON_CHECKPOINT_LOCATION: the next run aborts it and uploads", async () => {
    let hang = true;
    const proxy = await startFaultProxy(bed.moto.endpoint, (req, url) =>
      hang && req.method === "PUT" && url.pathname.includes("/ck/checkpoints/") && url.searchParams.has("partNumber")
        ? "hang"
        : undefined,
    );
    const workDir = join(bed.scratch, "cron-work");
    const note = join(workDir, "cron", "pager.work.db.checkpoint.upload.json");
    const at = (key: string) => `s3://${bucket}/${key}?region=us-east-1&endpoint=${proxy.endpoint}`;
    const env = {
      ...testCredentials,
      BATON_WORK_DIR: workDir,
      BATON_CHECKPOINT_LOCATION: at("ck/checkpoints/{connector}.c1z"),
      BATON_CONNECTORS: JSON.stringify([{ name: "pager", destination: at("ck/pager.c1z") }]),
    };
    const cron = (extra: Record<string, string> = {}) =>
      run(["--import", "tsx", "test/support/cron-pager.ts"], { ...env, ...extra });
    try {
      // A spent budget stops the sync at once, and a stopped cron sync keeps its c1z at the checkpoint location.
      await killInsidePart(cron({ BATON_CRON_BUDGET_MS: "0" }), proxy, "/ck/checkpoints/pager.c1z");
      const open = await openUploads();
      expect(open.map((u) => u.Key)).toEqual(["ck/checkpoints/pager.c1z"]);
      expect(existsSync(note)).toBe(true);
      const noted = readFileSync(note, "utf8");
      expect(JSON.parse(noted)).toMatchObject({ uploadId: open[0]!.UploadId });
      expect(noted).not.toContain(testCredentials.AWS_SECRET_ACCESS_KEY);

      hang = false;
      const second = cron();
      await waitForOutput(second, /"msg":"outcomes"/);
      expect(second.output()).toContain(`"status":"uploaded"`);
      expect(proxy.log.some((l) => l.startsWith("DELETE ") && l.includes(`uploadId=${open[0]!.UploadId}`))).toBe(true);
      expect(await openUploads()).toEqual([]);
      expect(existsSync(note)).toBe(false);
      expect(existsSync(join(workDir, "cron", "pager.work.db.upload.json"))).toBe(false);
      // The finished sync cleared its checkpoint: the c1z is the one object left.
      expect(await keysUnder("ck/")).toEqual(["ck/pager.c1z"]);
      const sets = await idSetsOfC1z(await objectOf("ck/pager.c1z"));
      const users = Object.values(PAGES).flatMap((p) => p.users);
      expect(sets.resources.filter((r) => r.startsWith("user:"))).toEqual(users.map((u) => `user:${u}`));
    } finally {
      await proxy.stop();
    }
  }, 240_000);
});
