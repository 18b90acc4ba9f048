/**
 * Service mode end to end: baton-edge (on Node, and on Bun and Deno for the
 * one-shot run) against test/interop/service-go, a stand-in for ConductorOne's
 * connector API written in Go on baton-sdk's own BatonService stubs, token
 * checks and c1z reader, over TLS with a CA it makes (trusted here through
 * NODE_EXTRA_CA_CERTS). ConductorOne's own API cannot be reached from here.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { exportJWK, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binPath, cleanEnv, repoRoot, runCli, tempDir } from "./cli-support.ts";
import { idSetsOfC1z } from "./runtime-support.ts";
import {
  CLIENT_ID,
  HOST_ID,
  type RunningServer,
  type ServerReport,
  serviceGo,
  startClient,
  startServiceGo,
} from "./support/service-go.ts";

const go = serviceGo();
if (!go.ok) console.warn(`service-mode: ${go.reason}; skipping the tests against the Go server`);
const bun = path.join(repoRoot, "node_modules/.bin/bun");
const deno = path.join(repoRoot, "node_modules/.bin/deno");
const main = path.join(repoRoot, "src/cli/main.ts");
const runtimes: [string, string[]][] = [
  ["node", [process.execPath, binPath]],
  ["bun", [bun, main]],
  ["deno", [deno, "run", "-A", main]],
];
const pluginsDir = path.join(repoRoot, "test/support/plugins");

const work = tempDir("service");
afterAll(() => work.cleanup());
const servers: RunningServer[] = [];
afterAll(() => {
  for (const server of servers) server.stop();
});

let dirCount = 0;
function scenarioDir(name: string): string {
  const dir = path.join(work.dir, `${name}-${++dirCount}`);
  spawnSync("mkdir", ["-p", dir]);
  return dir;
}

async function server(scenario: string, extra: string[] = []): Promise<RunningServer> {
  if (!go.ok) throw new Error(go.reason);
  const started = await startServiceGo(go.value, scenarioDir(scenario), scenario, extra);
  servers.push(started);
  return started;
}

function clientEnv(s: RunningServer, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cleanEnv({
    NODE_EXTRA_CA_CERTS: s.caFile,
    BATON_C1_API_HOST: `localhost:${s.port}`,
    BATON_HOST_ID: HOST_ID,
    BATON_LOG_FORMAT: "json",
    ...extra,
  });
}

function serviceArgs(s: RunningServer, plugin: string, extra: string[] = []): string[] {
  return [plugin, "--client-id", CLIENT_ID, "--client-secret", s.secret, "-f", path.join(s.dir, "sync.c1z"), ...extra];
}

/** What must never appear in logs, output or uploads: the secret and its key material. */
function secretParts(secret: string): string[] {
  const encoded = secret.split(":")[3];
  const jwk = JSON.parse(Buffer.from(encoded, "base64url").toString("utf8")) as { d: string };
  return [secret, encoded, jwk.d];
}

function expectNoSecret(s: RunningServer, texts: string[]): void {
  const parts = secretParts(s.secret);
  for (const text of texts) for (const part of parts) expect(text.includes(part)).toBe(false);
  for (const file of readdirSync(s.dir).filter((f) => f.startsWith("upload-"))) {
    const bytes = readFileSync(path.join(s.dir, file));
    for (const part of parts) expect(bytes.includes(Buffer.from(part))).toBe(false);
  }
}

function logLines(stderr: string): Record<string, unknown>[] {
  return stderr
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe.skipIf(!go.ok)("service mode against baton-sdk's BatonService (Go)", () => {
  describe("the scripted task list (demo, --provisioning)", () => {
    let s: RunningServer;
    let report: ServerReport;
    let client: Awaited<ReturnType<typeof startClient>["exited"]>;
    let local: Awaited<ReturnType<typeof idSetsOfC1z>>;
    let capabilities: {
      resourceTypeCapabilities: { resourceType: { id: string }; capabilities: string[] }[];
      connectorCapabilities: string[];
    };

    beforeAll(async () => {
      s = await server("main");
      const proc = startClient([process.execPath, binPath, ...serviceArgs(s, "demo", ["-p"])], clientEnv(s), s.dir);
      await s.line("DONE", 240_000);
      proc.signal("SIGTERM");
      client = await proc.exited;
      report = s.report();
      // The same demo synced locally, once, as an independent expectation.
      const localRun = await runCli(["demo", "-f", "local.c1z", "--log-level", "error"], { cwd: s.dir });
      expect(localRun.code, localRun.stderr).toBe(0);
      local = await idSetsOfC1z(readFileSync(path.join(s.dir, "local.c1z")));
      const caps = await runCli(["demo", "capabilities"], { cwd: s.dir });
      capabilities = JSON.parse(caps.stdout) as typeof capabilities;
    }, 300_000);

    it("the Go server's own checks all passed", () => {
      expect(report.failures).toEqual([]);
    });

    it("exchanges an EdDSA client assertion for a token, and sends it with our user agent", () => {
      expect(report.assertion).toMatchObject({
        alg: "EdDSA",
        nonceBytes: 16,
        iss: CLIENT_ID,
        sub: CLIENT_ID,
        aud: ["c1.test"],
        lifetimeS: 120,
        notBeforeS: 120,
        contentType: "application/x-www-form-urlencoded",
      });
      // Cached: one exchange serves every call of the run (the token lives an hour).
      expect(report.tokenRequests).toBe(1);
      expect(report.userAgents?.[0]).toMatch(/^edge-test baton-edge\/\d+\.\d+\.\d+/);
    });

    it("Hello carries the plugin's metadata and the capabilities `capabilities` prints", () => {
      const [startup, answered] = report.hellos as {
        hostId: string;
        taskId?: string;
        buildInfo: Record<string, string>;
        osInfo: Record<string, string>;
        connectorMetadata: {
          displayName: string;
          capabilities: typeof capabilities;
        };
      }[];
      expect(startup.hostId).toBe(HOST_ID);
      expect(startup.taskId).toBeUndefined();
      expect(answered.taskId).toBe(report.tasks.find((t) => t.name === "hello")?.id);
      expect(startup.buildInfo.package).toBe("baton-edge/demo");
      expect(startup.buildInfo.langVersion).toMatch(/^node v/);
      for (const field of ["hostname", "os", "platform", "platformVersion", "platformFamily", "kernelVersion"]) {
        expect(startup.osInfo[field]).toMatch(/./);
      }
      const metadata = startup.connectorMetadata;
      expect(metadata.displayName).toBe("Demo");
      expect(metadata.capabilities.connectorCapabilities).toEqual(capabilities.connectorCapabilities);
      const byType = (list: typeof capabilities.resourceTypeCapabilities) =>
        Object.fromEntries(list.map((entry) => [entry.resourceType.id, entry.capabilities]));
      expect(byType(metadata.capabilities.resourceTypeCapabilities)).toEqual(
        byType(capabilities.resourceTypeCapabilities),
      );
      expect(metadata.capabilities.connectorCapabilities).toContain("CAPABILITY_PROVISION");
    });

    it("uploads c1z files whose SHA-256 is the eof checksum and which baton-sdk reads with the expected counts", () => {
      const full = s.task("full").upload!;
      expect(full.sha256).toBe(full.eofChecksum);
      expect(full.hostId).toBe(HOST_ID);
      expect(full.syncType).toBe("full");
      expect(full.counts).toEqual({
        resourceTypes: local.resourceTypes.length,
        resources: local.resources.length,
        entitlements: local.entitlements.length,
        grants: local.grants.length,
      });
      for (const task of report.tasks.filter((t) => t.upload)) {
        expect(task.upload!.sha256).toBe(task.upload!.eofChecksum);
        expect(task.upload!.secretInFile).toBe(false);
      }
    });

    it("skip_expand_grants uploads the grants without the expanded ones", () => {
      const full = s.task("full").upload!;
      const unexpanded = s.task("skip-expand").upload!;
      expect(unexpanded.counts.grants).toBeLessThan(full.counts.grants);
      expect(full.counts.grants - unexpanded.counts.grants).toBe(report.facts.expandedOnlyGrants);
      expect(unexpanded.counts.resources).toBe(full.counts.resources);
    });

    it("grant and revoke change the demo: the next sync's upload has the grant, then not", () => {
      expect(s.task("grant").finish).toMatchObject({
        success: true,
        responseType: "type.googleapis.com/c1.connector.v2.GrantManagerServiceGrantResponse",
      });
      expect(s.task("revoke").finish).toMatchObject({
        success: true,
        responseType: "type.googleapis.com/c1.connector.v2.GrantManagerServiceRevokeResponse",
      });
      const full = s.task("full").upload!.counts.grants;
      expect(s.task("after-grant").upload!.counts.grants).toBeGreaterThan(full);
      expect(s.task("after-revoke").upload!.counts.grants).toBe(full);
      expect(local.grants).not.toContain(report.facts.grantId);
    });

    it("honours skip_entitlements_and_grants, sync_resource_type_ids, targeted_sync_resources and skip_grants", () => {
      const full = s.task("full").upload!;
      const resourcesOnly = s.task("skip-entitlements-and-grants").upload!;
      expect(resourcesOnly.syncType).toBe("resources_only");
      expect(resourcesOnly.counts).toMatchObject({ resources: full.counts.resources, entitlements: 0, grants: 0 });
      const groups = s.task("group-type-only").upload!;
      expect(groups.resourceTypeIds).toEqual(["group"]);
      expect(groups.counts.resources).toBe(local.resources.filter((id) => id.startsWith("group:")).length);
      const targeted = s.task("targeted").upload!;
      expect(targeted.syncType).toBe("partial");
      expect(targeted.counts.resources).toBe(1);
      const noGrants = s.task("skip-grants").upload!;
      expect(noGrants.counts).toMatchObject({ entitlements: full.counts.entitlements, grants: 0 });
    });

    it("answers unknown tasks 'unsupported task type', and malformed provisioning as non-retryable", () => {
      expect(s.task("event-feed").finish).toMatchObject({
        success: false,
        code: 2,
        message: "unsupported task type",
        nonRetryable: false,
      });
      expect(s.task("malformed-grant").finish).toMatchObject({ success: false, nonRetryable: true });
    });

    it("runs the action tasks and returns rotated credentials encrypted so baton-sdk decrypts them", () => {
      expect(report.facts.actionSchemas).toEqual(["lock_user", "unlock_user"]);
      expect(report.facts.actionStatus).toBe("BATON_ACTION_STATUS_COMPLETE");
      expect(report.facts.rotatedCredentialName).toBe("password");
      expect(report.facts.rotatedCredentialBytes).toBeGreaterThanOrEqual(12);
    });

    it("heartbeats every sync task, prints Task complete! per uploaded sync, and stops cleanly on SIGTERM", () => {
      for (const task of report.tasks.filter((t) => t.upload)) expect(task.heartbeatsMs?.length).toBeGreaterThan(0);
      const syncs = report.tasks.filter((t) => t.upload).length;
      expect(client.stdout).toBe("Task complete!\n".repeat(syncs));
      expect(client.code).toBe(0);
      expect(logLines(client.stderr).at(-1)).toMatchObject({ msg: "service mode stopped", stopped: true });
    });

    it("never shows the client secret or the access token in logs, output or uploads", () => {
      expectNoSecret(s, [client.stdout, client.stderr]);
      expect(client.stderr).not.toMatch(/tok-[0-9A-Za-z]{27}/);
    });
  });

  describe("heartbeats, cancel and SIGTERM (a slow plugin)", () => {
    let s: RunningServer;
    let report: ServerReport;
    let client: Awaited<ReturnType<typeof startClient>["exited"]>;

    beforeAll(async () => {
      s = await server("heartbeat", ["-heartbeat", "1s"]);
      const proc = startClient(
        [process.execPath, binPath, ...serviceArgs(s, "slow", ["--pages", "8", "--page-delay-ms", "500"])],
        clientEnv(s, { BATON_PLUGINS_DIR: pluginsDir }),
        s.dir,
      );
      await s.line("SYNC_RUNNING", 120_000);
      proc.signal("SIGTERM");
      client = await proc.exited;
      await s.line("DONE", 30_000);
      report = s.report();
    }, 200_000);

    it("heartbeats at the interval the server asks for", () => {
      expect(report.failures).toEqual([]);
      const beats = s.task("slow").heartbeatsMs!;
      // 8 pages × 500 ms: a first heartbeat at the start, then one a second.
      expect(beats.length).toBeGreaterThanOrEqual(3);
      const gaps = beats.slice(1).map((at, i) => at - beats[i]);
      // Never sooner than asked; later only by scheduling (a loaded machine), far from the 30 s default.
      for (const gap of gaps) {
        expect(gap).toBeGreaterThanOrEqual(900);
        expect(gap).toBeLessThan(3000);
      }
      expect(gaps.reduce((a, b) => a + b, 0) / gaps.length).toBeLessThan(1800);
    });

    it("a cancel through a heartbeat ends the sync, and FinishTask reports Canceled without an upload", () => {
      const cancelled = s.task("cancelled");
      expect(cancelled.heartbeatsMs).toHaveLength(2);
      expect(cancelled.finish).toMatchObject({ success: false, code: 1, message: "task was cancelled" });
      expect(cancelled.upload).toBeNull();
      // The sync stopped at the cancel (~1 s in), not after its 4 s of pages.
      expect(client.stderr).toContain('"msg":"sync task failed"');
    });

    it("SIGTERM mid-sync reports the task Canceled, then exits 0", () => {
      expect(s.task("sigterm").finish).toMatchObject({ success: false, code: 1 });
      expect(s.task("sigterm").upload).toBeNull();
      expect(client.code).toBe(0);
      expect(client.stdout).toBe("Task complete!\n");
    });
  });

  it("backs off while the server is down, then recovers", { timeout: 120_000 }, async () => {
    const upFile = path.join(work.dir, `up-${Date.now()}`);
    const s = await server("outage", ["-down-until", upFile, "-outage", "4s"]);
    const proc = startClient([process.execPath, binPath, ...serviceArgs(s, "demo")], clientEnv(s), s.dir);
    // Nothing listens until the client has failed to say Hello twice.
    await until(() => proc.output().stderr.split('"msg":"hello failed; retrying"').length > 2, 60_000);
    writeFileSync(upFile, "");
    await s.line("DONE", 90_000);
    proc.signal("SIGTERM");
    const client = await proc.exited;
    const report = s.report();
    expect(report.failures).toEqual([]);
    const logs = logLines(client.stderr);
    const helloRetries = logs.filter((l) => l.msg === "hello failed; retrying").map((l) => l.waitMs);
    // Go's Bootstrap: 1 s, then doubling.
    expect(helloRetries.slice(0, 2)).toEqual([1000, 2000]);
    const pollBackoffs = logs.filter((l) => l.msg === "polling for tasks failed; backing off").map((l) => l.waitMs);
    // Go's runner: errors² seconds.
    expect(pollBackoffs.slice(0, 2)).toEqual([1000, 4000]);
    expect(s.task("after-outage").finish?.success).toBe(true);
    // Back within one more backoff step (9 s at most) of the server's return.
    expect(report.facts.recoveredAfterUpMs as number).toBeLessThan(10_000);
    expect(client.code).toBe(0);
  });

  describe.each(runtimes)("one-shot on %s", (name, command) => {
    it.skipIf(!existsSync(command[0]))(
      "syncs once, uploads in 512 KiB chunks, prints Task complete! and exits 0",
      { timeout: 240_000 },
      async () => {
        const s = await server("oneshot");
        const proc = startClient(
          [...command, ...serviceArgs(s, "demo", ["--one-shot", "--users", "4000", "--grants", "40000"])],
          clientEnv(s),
          s.dir,
        );
        const client = await proc.exited;
        expect(client.code, client.stderr).toBe(0);
        expect(client.stdout).toBe("Task complete!\n");
        await s.line("DONE", 30_000);
        const report = s.report();
        expect(report.failures).toEqual([]);
        const upload = s.task("oneshot").upload!;
        expect(upload.sha256).toBe(upload.eofChecksum);
        expect(upload.chunks.length).toBeGreaterThanOrEqual(2);
        for (const chunk of upload.chunks.slice(0, -1)) expect(chunk).toBe(512 * 1024);
        expect(upload.chunks.reduce((a, b) => a + b, 0)).toBe(upload.bytes);
        expect(upload.counts.resources).toBeGreaterThan(4000);
        const hello = report.hellos[0] as { buildInfo: { langVersion: string } };
        expect(hello.buildInfo.langVersion.startsWith(name)).toBe(true);
        expectNoSecret(s, [client.stdout, client.stderr]);
      },
    );
  });

  describe("credentials and hosts that cannot work: one line, and the exit code", () => {
    it("a refused token exchange exits 1", { timeout: 60_000 }, async () => {
      const s = await server("reject-token");
      const result = await runCli(serviceArgs(s, "demo"), { cwd: s.dir, env: envOf(clientEnv(s)) });
      expect(result.code).toBe(1);
      expect(errorLines(result.stderr)).toEqual([
        `error: the token exchange at https://localhost:${s.port}/auth/v1/token was refused: 401 Unauthorized`,
      ]);
      expectNoSecret(s, [result.stdout, result.stderr]);
    });

    it("an access token the API answers Unauthenticated exits 1", { timeout: 60_000 }, async () => {
      const s = await server("expired");
      const result = await runCli(serviceArgs(s, "demo"), { cwd: s.dir, env: envOf(clientEnv(s)) });
      expect(result.code).toBe(1);
      expect(errorLines(result.stderr)).toEqual([
        `error: ConductorOne at localhost:${s.port} refused the connector: Unauthenticated: access token is expired`,
      ]);
      expectNoSecret(s, [result.stdout, result.stderr]);
    });

    it("a host the certificate does not name exits 1", { timeout: 60_000 }, async () => {
      const s = await server("expired");
      const env = envOf(clientEnv(s, { BATON_C1_API_HOST: `127.0.0.1:${s.port}` }));
      const result = await runCli(serviceArgs(s, "demo"), { cwd: s.dir, env });
      expect(result.code).toBe(1);
      const lines = errorLines(result.stderr);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(`^error: cannot reach ConductorOne at 127\\.0\\.0\\.1:${s.port}: .*ERR_TLS_CERT_ALTNAME_INVALID`),
      );
    });
  });
});

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** runCli takes string-only env. */
function envOf(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

/** The non-log lines of stderr (JSON log lines are the logger's). */
function errorLines(stderr: string): string[] {
  return stderr.split("\n").filter((line) => line !== "" && !line.startsWith("{"));
}

describe("malformed credentials are usage errors naming the flag, never echoing the value", () => {
  const run = (args: string[]) => runCli(["demo", ...args], { cwd: work.dir });
  const encode = (jwk: object) =>
    `secret-token:conductorone.com:v1:${Buffer.from(JSON.stringify(jwk)).toString("base64url")}`;

  it("rejects secrets that are not an Ed25519 private key", async () => {
    const ed = await generateKeyPair("EdDSA", { extractable: true });
    const ec = await generateKeyPair("ES256", { extractable: true });
    const cases: [string, string][] = [
      ["not-a-secret-at-all", "expected secret-token:conductorone.com:v1:<key>"],
      [
        `secret-token:conductorone.com:v2:${Buffer.from("{}").toString("base64url")}`,
        "expected secret-token:conductorone.com:v1:<key>",
      ],
      ["secret-token:conductorone.com:v1:%%%not-base64%%%", "the key is not base64url-encoded JSON"],
      [encode(await exportJWK(ed.publicKey)), "the key is a public key, not a private key"],
      [encode(await exportJWK(ec.privateKey)), "the key is not an Ed25519 key"],
      [encode({ ...(await exportJWK(ed.privateKey)), d: "c2hvcnQ" }), "the key is not a valid Ed25519 private key"],
    ];
    for (const [secret, reason] of cases) {
      const result = await run(["--client-id", CLIENT_ID, "--client-secret", secret]);
      expect(result.code, secret).toBe(2);
      expect(result.stderr).toBe(`error: invalid value for --client-secret ($BATON_CLIENT_SECRET): ${reason}\n`);
      expect(result.stderr.includes(secret.split(":").at(-1)!)).toBe(false);
    }
  });

  it("rejects a client id without <name>@<host>/<suffix>, and either credential alone", async () => {
    const ed = await generateKeyPair("EdDSA", { extractable: true });
    const secret = encode(await exportJWK(ed.privateKey));
    const badId = await run(["--client-id", "no-at-sign", "--client-secret", secret]);
    expect(badId.code).toBe(2);
    expect(badId.stderr).toBe(
      "error: invalid value for --client-id ($BATON_CLIENT_ID): expected <name>@<host>/<suffix>\n",
    );
    const alone = await run(["--client-secret", secret]);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain("--client-id");
    expect(alone.stderr.includes(secret)).toBe(false);
    const envOnly = await runCli(["demo"], { cwd: work.dir, env: { BATON_CLIENT_ID: CLIENT_ID } });
    expect(envOnly.code).toBe(2);
    expect(envOnly.stderr).toContain("--client-secret ($BATON_CLIENT_SECRET)");
  });
});
