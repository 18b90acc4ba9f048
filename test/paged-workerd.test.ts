/**
 * The paged database on real workerd (`wrangler dev`): a demo sync into a Durable Object's
 * SQLite storage through sql.js's paged FS, in steps (one request each), with workerd
 * restarted between two steps, then streamed page → zstd → multipart to S3 (moto).
 * The object must be one valid c1z v1 with the ids of a sync of the same demo run here.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, ListMultipartUploadsCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import demo from "../plugins/demo/index.ts";
import { openC1z } from "../src/c1z/open.ts";
import { ourListing } from "./interop/our-listing.ts";
import { findCommand, goInterop, goList, runOk } from "./interop/tools.ts";
import { idSetsOfC1z, localDemoIdSets } from "./runtime-support.ts";
import { hasWrangler, startWranglerDev, writePagedWorkerConfig } from "./support/wrangler-dev.ts";
import { hasMoto, type Moto, motoAdmin, startMoto, testCredentials } from "./upload-support.ts";

if (!hasWrangler) console.warn("paged-workerd: skipped, wrangler is not installed");
const zstd = findCommand("zstd");
const go = goInterop();

const demoConfig = { users: 8000, groups: 20, grants: 24000, pageSize: 500 };

describe.skipIf(!hasMoto || !hasWrangler)("a paged sync on workerd, in Durable Object storage, to S3 (moto)", () => {
  let moto: Moto;
  let admin: S3Client;
  const bucket = "paged-workerd";
  const scratch = mkdtempSync(join(tmpdir(), "paged-workerd-"));
  let config: string;

  beforeAll(async () => {
    moto = await startMoto();
    admin = await motoAdmin(moto, bucket);
    config = writePagedWorkerConfig(scratch, "paged-workerd-test", testCredentials);
  });
  afterAll(async () => {
    admin?.destroy();
    await moto?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  const startWorkerd = () => startWranglerDev({ config, cwd: scratch, persistTo: join(scratch, "state") });

  it("survives a workerd restart between steps and uploads one valid c1z with the local sync's ids", async () => {
    const location = `s3://${bucket}/demo/paged.c1z?region=us-east-1&endpoint=${moto.endpoint}`;
    const query = new URLSearchParams({
      ...Object.fromEntries(Object.entries(demoConfig).map(([k, v]) => [k, String(v)])),
      stepMs: "1000",
      location,
      run: "restart-test",
    });
    let { server, base } = await startWorkerd();
    const steps: string[] = [];
    let lastReport = "";
    let replayed = "";
    try {
      await (await fetch(`${base}/reset`)).text();
      let status = "";
      for (let i = 0; i < 40 && status !== "finished"; i++) {
        const response = await fetch(`${base}/sync?${query}`);
        const body = await response.text();
        expect(response.status, body.slice(0, 2000)).toBe(200);
        status = (JSON.parse(body) as { status: string }).status;
        steps.push(status);
        lastReport = body;
        if (steps.length === 1) {
          // A restart mid-sync: the next step runs in a new workerd over the same persisted storage.
          expect(status).toBe("checkpointed");
          await server.stop();
          ({ server, base } = await startWorkerd());
        }
      }
      // The finished step's request again (bench/workers.ts resends one whose response was lost):
      // the same report comes back, and no second sync starts in the emptied database.
      replayed = await (await fetch(`${base}/sync?${query}`)).text();
    } finally {
      await server.stop();
    }
    expect(steps.at(-1)).toBe("finished");
    expect(steps.length).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(replayed)).toEqual(JSON.parse(lastReport));

    const object = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: "demo/paged.c1z" }));
    const c1z = new Uint8Array(await object.Body!.transformToByteArray());
    expect(Array.from(c1z.subarray(0, 5))).toEqual([0x43, 0x31, 0x5a, 0x46, 0x00]);
    if (zstd.ok) runOk(zstd.value, ["-t", "-q"], { input: c1z.subarray(5) });
    else console.warn(`paged-workerd: zstd -t skipped: ${zstd.reason}`);
    const { syncId, finished, ...ids } = await idSetsOfC1z(c1z);
    expect(finished).toBe(true);
    const expected = await localDemoIdSets(demo, demoConfig);
    expect(ids).toEqual(expected);
    expect(ids.grants.length).toBeGreaterThan(6000);
    if (go.ok) {
      const file = join(scratch, "paged.c1z");
      writeFileSync(file, c1z);
      const ours = await openC1z(c1z);
      expect(goList(file)).toEqual(ourListing(ours));
      ours.close();
    } else console.warn(`paged-workerd: baton-sdk reader check skipped: ${go.reason}`);
    expect((await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).toEqual([]);
    expect(syncId).toMatch(/^[0-9A-Za-z]{27}$/);
  }, 600_000); // two workerd starts and a 11.6k-grant sync in the debug sql.js build, on a shared machine
});
