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
 * On Node (a native file engine) the CLI, the HTTP API and the cron runner each sync
 * through a work file: it exists while the plugin is called, is gone afterwards, and
 * the three c1z files hold the same ids by our reader and by the zstd + sqlite3 CLIs.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import demo from "../plugins/demo/index.ts";
import { runCli } from "../src/cli/cli.ts";
import { createApp } from "../src/http/app.ts";
import { createFsStateStore } from "../src/http/state/fs.ts";
import type { SyncRecord } from "../src/http/state/store.ts";
import { runScheduledSyncs } from "../src/jobs/cron.ts";
import type { SyncEntry } from "../src/jobs/types.ts";
import type { Logger } from "../src/log/index.ts";
import { resolveConfig } from "../src/plugins/config.ts";
import type { AnyPlugin } from "../src/plugins/contract.ts";
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
import { sqlite3, toolsPresent, writeAndDecompress } from "./support/c1z-tools.ts";
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

/** The demo plugin, noting at every grants call whether `workFile()` names an existing file. */
function watchingDemo(workFile: () => string | undefined): { plugin: AnyPlugin; seen: boolean[] } {
  const seen: boolean[] = [];
  const plugin: AnyPlugin = {
    ...demo,
    resourceTypes: demo.resourceTypes.map((t) => ({
      ...t,
      grants: async (...args: Parameters<typeof t.grants>) => {
        const path = workFile();
        seen.push(path !== undefined && existsSync(path));
        return t.grants(...args);
      },
    })),
  };
  return { plugin, seen };
}

/** The files each trigger wrote, for the zstd + sqlite3 comparison. */
const written = new Map<string, Uint8Array>();
const cliTools = toolsPresent("zstd", "sqlite3");

/** Id sets read by the zstd and sqlite3 CLIs alone (ids as the tables store them). */
function cliIdSets(bytes: Uint8Array, name: string) {
  const db = writeAndDecompress(bytes, scratch, `cli-read-${name}`);
  const ids = (table: string) =>
    sqlite3(db, `select external_id from ${table} order by external_id`).map((row) => String(row.external_id));
  return {
    resourceTypes: ids("v1_resource_types"),
    resources: ids("v1_resources"),
    entitlements: ids("v1_entitlements"),
    grants: ids("v1_grants"),
  };
}

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
    const bytes = new Uint8Array(readFileSync(file));
    expect(idSetsOnly(await idSetsOfC1z(bytes))).toEqual(expected);
    expect(existsSync(`${file}.work.db`)).toBe(false);
    written.set("cli", bytes);
  });

  it("HTTP: POST /syncs then GET …/c1z serves the same ids, through the pipeline and a work file", async () => {
    const dataDir = join(scratch, "http-data");
    const state = await createFsStateStore(dataDir);
    let syncId: string | undefined;
    const { plugin, seen } = watchingDemo(() => syncId && join(dataDir, "work", "team", `${syncId}.work.db`));
    const app = createApp({
      connectors: [{ name: "team", plugin, config: resolveConfig(demo, { file: {} }).config }],
      auth: { mode: "off" },
      log: () => {},
      state,
    });
    const transport = inProcess(app);
    const before = pipelineCalls.length;
    const { location, id } = (await (await transport.request("/v1/connectors/team/syncs", json({}))).json()) as {
      location: string;
      id: string;
    };
    syncId = id;
    // The event stream ends with the result: reading it to the end waits for the sync.
    const events = parseSse(await (await transport.request(`${location}/events`)).text());
    expect((JSON.parse(events.at(-1)!.data) as SyncRecord).state).toBe("succeeded");
    expect(pipelineCalls.slice(before)).toEqual(["team"]);
    const bytes = new Uint8Array(await (await transport.request(`${location}/c1z`)).arrayBuffer());
    expect(idSetsOnly(await idSetsOfC1z(bytes))).toEqual(expected);
    // The database lived in its work file while the plugin listed grants, and is gone now.
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every(Boolean)).toBe(true);
    expect(readdirSync(join(dataDir, "work", "team"))).toEqual([]);
    // What the API serves is the file it streamed into the data directory.
    expect(Buffer.from(readFileSync(join(dataDir, "syncs", "team", `${id}.c1z`))).equals(Buffer.from(bytes))).toBe(
      true,
    );
    written.set("http", bytes);
    // The read routes serve that sync from a file-backed copy of it, not from memory.
    const users = (await (await transport.request("/v1/connectors/team/resources?resourceType=user")).json()) as {
      items: { id: { resource: string } }[];
    };
    expect(users.items.map((r) => `user:${r.id.resource}`).sort()).toEqual(
      expected.resources.filter((r) => r.startsWith("user:")),
    );
    expect(readdirSync(join(dataDir, "work", "team")).filter((n) => n.endsWith(".read.db"))).toHaveLength(1);
  });

  it("cron runner in this process: the uploaded file has the same ids, through the pipeline and a work file", async () => {
    const before = pipelineCalls.length;
    const workDir = join(scratch, "cron-work");
    const workFile = join(workDir, "cron", "demo.work.db");
    const { plugin, seen } = watchingDemo(() => workFile);
    const outcomes = await runScheduledSyncs({
      env: {
        BATON_CONNECTORS: JSON.stringify([{ name: "demo", destination: join(scratch, "cron-{connector}.c1z") }]),
        BATON_WORK_DIR: workDir,
      },
      plugin: async (name) => (name === "demo" ? plugin : undefined),
      log: quiet,
    });
    expect(outcomes.map((o) => o.status)).toEqual(["uploaded"]);
    expect(pipelineCalls.slice(before)).toEqual(["demo"]);
    const bytes = new Uint8Array(readFileSync(join(scratch, "cron-demo.c1z")));
    expect(idSetsOnly(await idSetsOfC1z(bytes))).toEqual(expected);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every(Boolean)).toBe(true);
    expect(existsSync(workFile)).toBe(false);
    written.set("cron", bytes);
  });

  it.skipIf(!cliTools)(
    "the CLI's, the HTTP API's and the cron's c1z hold the same ids by the zstd and sqlite3 CLIs",
    () => {
      expect([...written.keys()].sort()).toEqual(["cli", "cron", "http"]);
      const cli = cliIdSets(written.get("cli")!, "cli");
      expect(cli.grants.length).toBe(expected.grants.length);
      expect(cliIdSets(written.get("http")!, "http")).toEqual(cli);
      expect(cliIdSets(written.get("cron")!, "cron")).toEqual(cli);
    },
  );
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
