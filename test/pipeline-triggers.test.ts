/**
 * One demo sync through each trigger — the CLI, the HTTP API, the cron runner
 * in this process and the cron on real workerd — gives the same id sets as the
 * demo synced directly through the engine, and every trigger gets there through
 * the one pipeline function, `runConnectorSync` (src/jobs/pipeline.ts):
 * - in this process, the pipeline module is wrapped so each call is recorded, and
 *   each trigger's sync must appear there;
 * - workerd runs the bundle built from the same sources, so the proof for it is the
 *   source itself: the TypeScript compiler lists every call of the engine's `runSync`
 *   in production code, and only the pipeline (and the plugin-author conformance
 *   harness, which is no trigger) calls it; each trigger module calls the pipeline.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import demo from "../plugins/demo/index.ts";
import { runCli } from "../src/cli/cli.ts";
import { createApp } from "../src/http/app.ts";
import type { SyncRecord } from "../src/http/state/store.ts";
import { runScheduledSyncs } from "../src/jobs/cron.ts";
import type { SyncEntry } from "../src/jobs/types.ts";
import type { Logger } from "../src/log/index.ts";
import { resolveConfig } from "../src/plugins/config.ts";
import { inProcess, json, parseSse } from "./http-support.ts";
import {
  type IdSets,
  idSetsOfC1z,
  localDemoIdSets,
  type Started,
  startProcess,
  waitForOutput,
} from "./runtime-support.ts";
import { buildWorker, writeWorkerConfig } from "./runtime-worker-support.ts";
import { freePort, hasMoto, type Moto, motoAdmin, startMoto, testCredentials } from "./upload-support.ts";

/** Every call of the pipeline in this process, by connector name. */
const pipelineCalls: string[] = vi.hoisted(() => []);

vi.mock("../src/jobs/pipeline.ts", async (importOriginal) => {
  const real = await importOriginal<typeof import("../src/jobs/pipeline.ts")>();
  return {
    ...real,
    runConnectorSync: (entry: SyncEntry, options: Parameters<typeof real.runConnectorSync>[1]) => {
      pipelineCalls.push(entry.name);
      return real.runConnectorSync(entry, options);
    },
  };
});

const root = resolve(import.meta.dirname, "..");
const scratch = mkdtempSync(join(tmpdir(), "baton-triggers-"));
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
let expected: IdSets;

function idSetsOnly(read: IdSets): IdSets {
  return {
    resourceTypes: read.resourceTypes,
    resources: read.resources,
    entitlements: read.entitlements,
    grants: read.grants,
  };
}

beforeAll(async () => {
  // The independent expectation: the demo synced straight through the engine, no trigger involved.
  expected = await localDemoIdSets(demo);
  expect(expected.grants.length).toBeGreaterThan(0);
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("one demo sync through each trigger", () => {
  it("CLI: `baton-edge demo -f` writes the same ids, through the pipeline", async () => {
    const file = join(scratch, "cli.c1z");
    const before = pipelineCalls.length;
    let stderr = "";
    const code = await runCli(["demo", "-f", file], {
      env: {},
      cwd: scratch,
      stdout: () => {},
      stderr: (text) => {
        stderr += text;
      },
      stderrIsTTY: false,
    });
    expect(code, stderr).toBe(0);
    expect(pipelineCalls.slice(before)).toEqual(["demo"]);
    expect(idSetsOnly(await idSetsOfC1z(new Uint8Array(readFileSync(file))))).toEqual(expected);
  });

  it("HTTP: POST /syncs then GET …/c1z serves the same ids, through the pipeline", async () => {
    const app = createApp({
      connectors: [{ name: "team", plugin: demo, config: resolveConfig(demo, { file: {} }).config }],
      auth: { mode: "off" },
      log: () => {},
    });
    const transport = inProcess(app);
    const before = pipelineCalls.length;
    const { location } = (await (await transport.request("/v1/connectors/team/syncs", json({}))).json()) as {
      location: string;
    };
    // The event stream ends with the result: reading it to the end waits for the sync.
    const events = parseSse(await (await transport.request(`${location}/events`)).text());
    expect((JSON.parse(events.at(-1)!.data) as SyncRecord).state).toBe("succeeded");
    expect(pipelineCalls.slice(before)).toEqual(["team"]);
    const bytes = new Uint8Array(await (await transport.request(`${location}/c1z`)).arrayBuffer());
    expect(idSetsOnly(await idSetsOfC1z(bytes))).toEqual(expected);
  });

  it("cron runner in this process: the uploaded file has the same ids, through the pipeline", async () => {
    const before = pipelineCalls.length;
    const outcomes = await runScheduledSyncs({
      env: { BATON_CONNECTORS: JSON.stringify([{ name: "demo", destination: join(scratch, "cron-{connector}.c1z") }]) },
      plugin: async (name) => (name === "demo" ? demo : undefined),
      log: quiet,
      workDir: join(scratch, "cron-work"),
    });
    expect(outcomes.map((o) => o.status)).toEqual(["uploaded"]);
    expect(pipelineCalls.slice(before)).toEqual(["demo"]);
    const bytes = new Uint8Array(readFileSync(join(scratch, "cron-demo.c1z")));
    expect(idSetsOnly(await idSetsOfC1z(bytes))).toEqual(expected);
  });
});

/** Production modules: src/**, not tests, not generated code. */
function productionSources(dir = join(root, "src")): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "gen" ? [] : productionSources(path);
    return name.endsWith(".ts") && !name.endsWith(".test.ts") ? [relative(root, path)] : [];
  });
}

/** The modules whose code calls a function of this name (a plain call or a property call). */
function callersOf(name: string): string[] {
  return productionSources().filter((file) => {
    const source = ts.createSourceFile(file, readFileSync(join(root, file), "utf8"), ts.ScriptTarget.Latest, true);
    let found = false;
    const visit = (node: ts.Node) => {
      if (ts.isCallExpression(node)) {
        const callee = node.expression;
        const called = ts.isIdentifier(callee)
          ? callee.text
          : ts.isPropertyAccessExpression(callee)
            ? callee.name.text
            : "";
        if (called === name) found = true;
      }
      if (!found) ts.forEachChild(node, visit);
    };
    visit(source);
    return found;
  });
}

describe("the one pipeline, in the source", () => {
  it("only the pipeline (and the conformance harness) calls the engine; every trigger calls the pipeline", () => {
    expect(callersOf("runSync").sort()).toEqual(["src/conformance/test-plugin.ts", "src/jobs/pipeline.ts"]);
    expect(callersOf("runConnectorSync")).toEqual(
      expect.arrayContaining(["src/cli/run-plugin.ts", "src/http/syncs/manager.ts", "src/jobs/cron.ts"]),
    );
    // The Worker's scheduled handler reaches syncs only through the cron runner.
    expect(readFileSync(join(root, "src/runtime/worker.ts"), "utf8")).toMatch(/from "\.\.\/jobs\/cron\.ts"/);
  });
});

const wrangler = join(root, "node_modules/.bin/wrangler");
let hasWrangler = true;
try {
  statSync(wrangler);
} catch {
  hasWrangler = false;
  console.warn("workerd trigger test skipped: wrangler is not installed");
}

describe.skipIf(!hasMoto || !hasWrangler)("cron on workerd (the bundle built from the same sources)", () => {
  const bucket = "triggers";
  let moto: Moto;
  let admin: S3Client;
  let worker: Started;
  let port: number;

  beforeAll(async () => {
    moto = await startMoto();
    admin = await motoAdmin(moto, bucket);
    await buildWorker(root, join(scratch, "worker"));
    const config = writeWorkerConfig(join(scratch, "worker"), {
      vars: {
        ...testCredentials,
        BATON_AUTH: "off",
        BATON_S3_MAX_ATTEMPTS: "1",
        BATON_CONNECTORS: JSON.stringify([
          { name: "demo", destination: `s3://${bucket}/{connector}.c1z?region=us-east-1&endpoint=${moto.endpoint}` },
        ]),
      },
    });
    port = await freePort();
    worker = startProcess(
      wrangler,
      ["dev", "-c", config, "--ip", "127.0.0.1", "--port", String(port), "--persist-to", join(scratch, "state")],
      {
        cwd: join(scratch, "worker"),
        env: { PATH: process.env.PATH, HOME: process.env.HOME, WRANGLER_SEND_METRICS: "false", CI: "1" },
      },
    );
    await waitForOutput(worker, /Ready on http/);
  });

  afterAll(async () => {
    await worker?.stop();
    admin?.destroy();
    await moto?.stop();
  });

  it("the scheduled handler uploads a c1z with the same ids", async () => {
    const response = await fetch(`http://127.0.0.1:${port}/cdn-cgi/handler/scheduled?cron=0+*+*+*+*`);
    expect(response.status).toBe(200);
    await waitForOutput(worker, /cron: connector demo uploaded/, 3000);
    const object = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: "demo.c1z" }));
    const bytes = new Uint8Array(await object.Body!.transformToByteArray());
    expect(idSetsOnly(await idSetsOfC1z(bytes))).toEqual(expected);
  });
});
