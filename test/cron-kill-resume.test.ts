/**
 * The cron runner on Node as its own process (test/support/cron-pager.ts), killed with
 * SIGKILL while its sync hangs inside a page: the S3 object keeps its previous bytes, no
 * multipart upload was started, and the work file holds the unfinished sync at its last
 * checkpoint. The next run over the same work directory resumes that sync (same sync id,
 * never the first page again), uploads it and removes the work file. Killed while its
 * multipart upload is in flight, it leaves that upload open (nothing can abort it then) and
 * a note of it beside the work file: the next run aborts it before uploading again. The
 * expected ids come from the fixture's data, built with the model's id helpers.
 */
import { copyFileSync, existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { openC1zWorkFile } from "../src/c1z/index.ts";
import { entitlementId, grantId } from "../src/model/ids.ts";
import { idSetsOfC1z, type Started, waitForOutput } from "./runtime-support.ts";
import { MEMBERS, PAGES } from "./support/cron-pager.ts";
import { killBed } from "./support/kill-bed.ts";
import { hasMoto, startFaultProxy, testCredentials } from "./upload-support.ts";

const bucket = "cron-kill";

describe.skipIf(!hasMoto)("cron on Node killed with SIGKILL", () => {
  const bed = killBed(bucket);
  const cron = (env: Record<string, string>) => bed.run(["--import", "tsx", "test/support/cron-pager.ts"], env);
  const pagesAsked = (process: Started) =>
    [...process.output().matchAll(/"msg":"pager page","token":"([^"]*)"/g)].map((m) => m[1]!);

  it("mid-sync: keeps the previous object; the next run resumes from the work file and uploads", async () => {
    const previous = new TextEncoder().encode("the previous good c1z");
    await bed.admin.send(new PutObjectCommand({ Bucket: bucket, Key: "pager.c1z", Body: previous }));
    const workDir = join(bed.scratch, "work");
    const workFile = join(workDir, "cron", "pager.work.db");
    const gate = join(bed.scratch, "gate");
    writeFileSync(gate, "");
    const env = {
      ...testCredentials,
      BATON_WORK_DIR: workDir,
      BATON_GATE_FILE: gate,
      BATON_CONNECTORS: JSON.stringify([
        { name: "pager", destination: `s3://${bucket}/pager.c1z?region=us-east-1&endpoint=${bed.moto.endpoint}` },
      ]),
    };

    const first = cron(env);
    await waitForOutput(first, /"msg":"pager hanging"/);
    await bed.kill(first);
    expect(pagesAsked(first)).toEqual(["", "p2"]);
    expect(Buffer.from(await bed.objectOf("pager.c1z")).equals(Buffer.from(previous))).toBe(true);
    expect(await bed.openUploads()).toEqual([]);
    // What the kill left: the unfinished sync at the checkpoint after the first page (read from a copy).
    expect(existsSync(workFile)).toBe(true);
    const copy = join(bed.scratch, "inspect.db");
    copyFileSync(workFile, copy);
    const left = await openC1zWorkFile(copy);
    const unfinished = left.latestUnfinishedSync();
    left.close();
    expect(unfinished?.endedAt).toBeNull();
    expect(unfinished?.syncToken).not.toBe("");

    rmSync(gate);
    const second = cron(env);
    await waitForOutput(second, /"msg":"outcomes"/);
    const outcomes = JSON.parse(second.output().match(/\{"msg":"outcomes".*\}/)![0]) as {
      outcomes: { status: string; syncId?: string }[];
    };
    expect(outcomes.outcomes).toMatchObject([{ status: "uploaded", syncId: unfinished?.syncId }]);
    // Resumed at the page it was in.
    expect(pagesAsked(second)).toEqual(["p2", "p3"]);
    expect(existsSync(workFile)).toBe(false);

    const sets = await idSetsOfC1z(await bed.objectOf("pager.c1z"));
    expect(sets.syncId).toBe(unfinished?.syncId);
    const users = Object.values(PAGES).flatMap((p) => p.users);
    expect(sets.resources).toEqual([
      ...Object.keys(MEMBERS).map((g) => `group:${g}`),
      ...users.map((u) => `user:${u}`),
    ]);
    const groups = Object.keys(MEMBERS).map((g) => ({ resourceType: "group", resource: g }));
    expect(sets.grants).toEqual(
      groups
        .flatMap((g) =>
          MEMBERS[g.resource]!.map((u) => grantId(entitlementId(g, "member"), { resourceType: "user", resource: u })),
        )
        .sort(),
    );
  });

  it("mid-upload: leaves the previous object and a note of the open upload; the next run aborts it and uploads", async () => {
    const previous = new TextEncoder().encode("the previous good c1z");
    await bed.admin.send(new PutObjectCommand({ Bucket: bucket, Key: "up/pager.c1z", Body: previous }));
    // The part upload never gets an answer while `hang` is set: the process is killed inside it.
    let hang = true;
    const proxy = await startFaultProxy(bed.moto.endpoint, (req, url) =>
      hang && req.method === "PUT" && url.searchParams.has("partNumber") ? "hang" : undefined,
    );
    const workDir = join(bed.scratch, "upload-work");
    const note = join(workDir, "cron", "pager.work.db.upload.json");
    const env = {
      ...testCredentials,
      BATON_WORK_DIR: workDir,
      BATON_CONNECTORS: JSON.stringify([
        { name: "pager", destination: `s3://${bucket}/up/pager.c1z?region=us-east-1&endpoint=${proxy.endpoint}` },
      ]),
    };
    const run = () => cron(env);
    try {
      const first = run();
      await bed.killInsidePart(first, proxy, "/up/pager.c1z");
      const open = await bed.openUploads();
      expect(open.map((u) => u.Key)).toEqual(["up/pager.c1z"]);
      expect(existsSync(note)).toBe(true);
      // The note names the upload, never the credentials.
      const noted = (await import("node:fs")).readFileSync(note, "utf8");
      expect(JSON.parse(noted)).toMatchObject({ uploadId: open[0]!.UploadId });
      expect(noted).not.toContain(testCredentials.AWS_SECRET_ACCESS_KEY);
      expect(Buffer.from(await bed.objectOf("up/pager.c1z")).equals(Buffer.from(previous))).toBe(true);

      hang = false;
      const second = run();
      await waitForOutput(second, /"msg":"outcomes"/);
      expect(second.output()).toContain(`"status":"uploaded"`);
      expect(await bed.openUploads()).toEqual([]);
      expect(proxy.log.some((l) => l.startsWith("DELETE ") && l.includes(`uploadId=${open[0]!.UploadId}`))).toBe(true);
      expect(existsSync(note)).toBe(false);
      const sets = await idSetsOfC1z(await bed.objectOf("up/pager.c1z"));
      expect(sets.resources).toContain("user:u6");
    } finally {
      await proxy.stop();
    }
  });
});
