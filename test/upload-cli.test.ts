/**
 * `-f s3://…` / `BATON_FILE=s3://…` through the real CLI process against moto:
 * a sync uploads, the next one downloads the existing c1z and adds to it (as
 * Go keeps its last syncs), and a grant resolves its objects from the download.
 * The sync goes through a work file in `BATON_WORK_DIR`, removed once the c1z is up.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { GetObjectCommand, HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openC1z } from "../src/c1z/index.ts";
import { runCli, tempDir } from "./cli-support.ts";
import { hasMoto, type Moto, motoAdmin, startMoto, testCredentials } from "./upload-support.ts";

const bucket = "cli-test";

describe.skipIf(!hasMoto)("the CLI with an s3:// file", () => {
  let moto: Moto;
  let admin: S3Client;
  const work = tempDir("s3cli");

  beforeAll(async () => {
    moto = await startMoto();
    admin = await motoAdmin(moto, bucket);
  });
  afterAll(async () => {
    admin?.destroy();
    await moto?.stop();
    work.cleanup();
  });

  const uri = (key: string) => `s3://${bucket}/${key}?region=us-east-1&endpoint=${moto.endpoint}`;
  const finishedSyncs = async (key: string) => {
    const out = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const store = await openC1z(new Uint8Array(await out.Body!.transformToByteArray()));
    try {
      return store.listSyncs().filter((s) => s.endedAt !== null && s.syncType === "full").length;
    } finally {
      store.close();
    }
  };

  it("uploads with -f, then downloads and extends the existing file with BATON_FILE", async () => {
    const workDir = join(work.dir, "work");
    const first = await runCli(["demo", "-f", uri("demo/sync.c1z"), "--log-format", "json"], {
      cwd: work.dir,
      env: { ...testCredentials, BATON_WORK_DIR: workDir },
    });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).not.toContain(testCredentials.AWS_SECRET_ACCESS_KEY);
    const head = await admin.send(new HeadObjectCommand({ Bucket: bucket, Key: "demo/sync.c1z" }));
    expect(head.ContentType).toBe("application/c1z");
    expect(await finishedSyncs("demo/sync.c1z")).toBe(1);
    // The work directory was made for this sync, and its work file is gone.
    expect(readdirSync(join(workDir, "cli"))).toEqual([]);

    const second = await runCli(["demo", "--log-format", "json"], {
      cwd: work.dir,
      env: { ...testCredentials, BATON_FILE: uri("demo/sync.c1z"), BATON_WORK_DIR: workDir },
    });
    expect(second.code, second.stderr).toBe(0);
    expect(await finishedSyncs("demo/sync.c1z")).toBe(2);
  });

  it("resolves a grant's objects from the downloaded c1z, and names a missing object", async () => {
    const grant = [
      "demo",
      "--grant-entitlement",
      "role:auditor:assigned",
      "--grant-principal",
      "u-0005",
      "--grant-principal-type",
      "user",
      "--log-format",
      "json",
    ];
    const granted = await runCli([...grant, "-f", uri("demo/sync.c1z")], { cwd: work.dir, env: testCredentials });
    expect(granted.code, granted.stderr).toBe(0);
    expect(granted.stderr).toMatch(/"msg":"grant created"/);

    const missing = await runCli([...grant, "-f", uri("demo/absent.c1z")], { cwd: work.dir, env: testCredentials });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("does not exist; run a sync first");
  });
});
