/**
 * One scenario on the real Node, Bun, Deno and workerd binaries: start the
 * server, run the demo sync over HTTP with a JWT, download the c1z and read it
 * with our reader. Every runtime must give the same resource, entitlement and
 * grant ids as a demo sync run in this process.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import demo from "../plugins/demo/index.ts";
import {
  authEnv,
  type IdSets,
  idSetsOfC1z,
  localDemoIdSets,
  mintJwt,
  type Started,
  startProcess,
  waitForOutput,
} from "./runtime-support.ts";
import { buildWorker, workerdPeakRss, writeWorkerConfig } from "./runtime-worker-support.ts";
import { freePort } from "./upload-support.ts";

const root = resolve(import.meta.dirname, "..");
const bin = (name: string) => join(root, "node_modules/.bin", name);
const denoBinary = join(root, "node_modules/deno/deno");

interface RuntimeCase {
  name: string;
  available: boolean;
  start(port: number, env: NodeJS.ProcessEnv, scratch: string): Started;
}

const baseEnv = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: process.env.HOME, ...authEnv() });

const runtimes: RuntimeCase[] = [
  {
    name: "node",
    available: true,
    start: (port, env, scratch) =>
      startProcess(process.execPath, ["--import", "tsx", "src/runtime/node.ts"], {
        cwd: root,
        env: { ...env, PORT: String(port), HOST: "127.0.0.1", BATON_DATA_DIR: join(scratch, "data") },
      }),
  },
  {
    name: "node-cli-serve",
    available: true,
    start: (port, env, scratch) =>
      // what `npm start` runs
      startProcess(process.execPath, ["bin/baton-edge.js", "serve", "--port", String(port), "--host", "127.0.0.1"], {
        cwd: root,
        env: { ...env, BATON_DATA_DIR: join(scratch, "data") },
      }),
  },
  {
    name: "bun",
    available: existsSync(bin("bun")),
    start: (port, env, scratch) =>
      startProcess(bin("bun"), ["run", "src/runtime/bun.ts"], {
        cwd: root,
        env: { ...env, PORT: String(port), HOST: "127.0.0.1", BATON_DATA_DIR: join(scratch, "data") },
      }),
  },
  {
    name: "deno",
    available: existsSync(denoBinary),
    // `deno task start` with deno.json's permissions; it may only write under ./.baton-edge.
    start: (port, env, scratch) =>
      startProcess(denoBinary, ["task", "start"], {
        cwd: root,
        env: {
          ...env,
          PORT: String(port),
          HOST: "127.0.0.1",
          BATON_DATA_DIR: `.baton-edge/test-${scratch.split("/").pop()}`,
          DENO_NO_UPDATE_CHECK: "1",
        },
      }),
  },
  {
    name: "workerd",
    available: existsSync(bin("wrangler")),
    start: (port, env, scratch) => {
      const config = writeWorkerConfig(scratch, { vars: { ...authEnv() } });
      return startProcess(
        bin("wrangler"),
        ["dev", "-c", config, "--ip", "127.0.0.1", "--port", String(port), "--persist-to", join(scratch, "state")],
        { cwd: scratch, env: { ...env, WRANGLER_SEND_METRICS: "false", CI: "1" } },
      );
    },
  },
];

for (const r of runtimes)
  if (!r.available) console.warn(`runtime test for ${r.name} skipped: its binary is not installed`);

async function runDemoSyncOverHttp(base: string): Promise<Uint8Array> {
  const token = await mintJwt();
  const headers = { authorization: `Bearer ${token}` };
  const unauthenticated = await fetch(`${base}/v1/connectors/demo/syncs`, { method: "POST", body: "{}" });
  expect(unauthenticated.status).toBe(401);
  const post = () =>
    fetch(`${base}/v1/connectors/demo/syncs`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: "{}",
    });
  let started = await post();
  // wrangler's dev proxy answers 503 when it restarts the worker under a POST (it retries only GETs).
  for (let i = 0; i < 3 && started.status === 503; i++) {
    const text = await started.text();
    if (!text.includes("Your worker restarted mid-request")) throw new Error(`503: ${text}`);
    started = await post();
  }
  expect(started.status).toBe(202);
  const { id } = (await started.json()) as { id: string };
  let state = "";
  for (let i = 0; i < 600 && state !== "succeeded"; i++) {
    const record = (await (await fetch(`${base}/v1/connectors/demo/syncs/${id}`, { headers })).json()) as {
      state: string;
      error: unknown;
    };
    state = record.state;
    if (state === "failed") throw new Error(`sync failed: ${JSON.stringify(record.error)}`);
    if (state !== "succeeded") await new Promise((ok) => setTimeout(ok, 100));
  }
  expect(state).toBe("succeeded");
  const download = await fetch(`${base}/v1/connectors/demo/syncs/${id}/c1z`, { headers });
  expect(download.status).toBe(200);
  expect(download.headers.get("content-type")).toBe("application/c1z");
  return new Uint8Array(await download.arrayBuffer());
}

describe("the demo sync over HTTP on every runtime", () => {
  let expected: IdSets;
  const scratch = mkdtempSync(join(tmpdir(), "baton-runtimes-"));

  beforeAll(async () => {
    expected = await localDemoIdSets(demo);
    if (runtimes.find((r) => r.name === "workerd")?.available) await buildWorker(root, scratch);
  });
  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
    rmSync(join(root, `.baton-edge/test-${scratch.split("/").pop()}`), { recursive: true, force: true });
  });

  for (const runtime of runtimes) {
    it.skipIf(!runtime.available)(`${runtime.name}: start, sync with a JWT, download, read back`, async () => {
      const port = await freePort();
      const dir = join(scratch, runtime.name);
      const server = runtime.start(port, baseEnv(), runtime.name === "workerd" ? scratch : dir);
      try {
        const base = `http://127.0.0.1:${port}`;
        await waitForOutput(server, runtime.name === "workerd" ? /Ready on http/ : /"msg":"listening"/);
        for (let i = 0; i < 300; i++) {
          if ((await fetch(`${base}/healthz`).catch(() => undefined))?.ok) break;
          await new Promise((ok) => setTimeout(ok, 100));
        }
        const rssBefore = runtime.name === "workerd" ? workerdPeakRss(server.child.pid!) : undefined;
        const bytes = await runDemoSyncOverHttp(base);
        if (rssBefore !== undefined) {
          const rssAfter = workerdPeakRss(server.child.pid!);
          console.log(JSON.stringify({ measure: "workerd-peak-rss-kib", beforeSync: rssBefore, afterSync: rssAfter }));
        }
        const read = await idSetsOfC1z(bytes);
        expect(read.finished).toBe(true);
        expect({
          resourceTypes: read.resourceTypes,
          resources: read.resources,
          entitlements: read.entitlements,
          grants: read.grants,
        }).toEqual(expected);
        expect(expected.grants.length).toBeGreaterThan(0);
      } catch (error) {
        throw new Error(`${(error as Error).message}\n--- ${runtime.name} output ---\n${server.output().slice(-4000)}`);
      } finally {
        await server.stop();
      }
    });
  }
});
