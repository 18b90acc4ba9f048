/**
 * What the kill tests share: one moto with one bucket, a scratch directory, real processes
 * (each its own process group, stopped after the suite) and the bucket's state as the
 * assertions read it. Call inside a `describe`: it registers the suite's beforeAll/afterAll.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, expect } from "vitest";
import { type Started, startProcess } from "../runtime-support.ts";
import { type FaultProxy, type Moto, motoAdmin, startMoto } from "../upload-support.ts";

const root = resolve(import.meta.dirname, "../..");

export interface KillBed {
  readonly moto: Moto;
  readonly admin: S3Client;
  readonly scratch: string;
  /** `node <args>` from the repository root, with only PATH, HOME and `env`. */
  run(args: string[], env: Record<string, string>): Started;
  openUploads(): Promise<{ Key?: string; UploadId?: string }[]>;
  keysUnder(prefix: string): Promise<(string | undefined)[]>;
  objectOf(key: string): Promise<Uint8Array>;
  /** SIGKILLs the process group and waits for the exit. */
  kill(process: Started): Promise<void>;
  /** Waits until a part upload to `key` is in flight at the proxy, then kills. */
  killInsidePart(process: Started, proxy: FaultProxy, key: string): Promise<void>;
}

export function killBed(bucket: string): KillBed {
  let moto: Moto | undefined;
  let admin: S3Client | undefined;
  const scratch = mkdtempSync(join(tmpdir(), `${bucket}-`));
  const started: Started[] = [];
  beforeAll(async () => {
    moto = await startMoto();
    admin = await motoAdmin(moto, bucket);
  });
  afterAll(async () => {
    for (const process of started) await process.stop();
    admin?.destroy();
    await moto?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });
  const s3 = () => admin as S3Client;
  const kill = async (process: Started) => {
    await new Promise<void>((ok) => {
      process.child.once("exit", () => ok());
      globalThis.process.kill(-(process.child.pid as number), "SIGKILL");
    });
    expect(process.child.signalCode).toBe("SIGKILL");
  };
  return {
    get moto() {
      return moto as Moto;
    },
    get admin() {
      return s3();
    },
    scratch,
    run(args, env) {
      const process = startProcess(globalThis.process.execPath, args, {
        cwd: root,
        env: { PATH: globalThis.process.env.PATH, HOME: globalThis.process.env.HOME, ...env },
      });
      started.push(process);
      return process;
    },
    async openUploads() {
      return (await s3().send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [];
    },
    async keysUnder(prefix) {
      return ((await s3().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).map(
        (o) => o.Key,
      );
    },
    async objectOf(key) {
      const out = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return new Uint8Array(await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
    },
    kill,
    async killInsidePart(process, proxy, key) {
      const inPart = () => proxy.log.some((l) => l.startsWith("PUT ") && l.includes(key) && l.includes("partNumber="));
      for (let i = 0; i < 1200 && !inPart(); i++) await new Promise((ok) => setTimeout(ok, 100));
      expect(inPart(), process.output()).toBe(true);
      await kill(process);
    },
  };
}
