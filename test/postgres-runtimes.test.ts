/**
 * The postgres plugin on the other runtimes, against the same private PostgreSQL:
 * Bun and Deno run test/support/postgres-runtime-probe.ts (connect, full sync, grant and
 * revoke a membership); workerd runs the bundled Worker (postgres.js over
 * cloudflare:sockets) and syncs through the HTTP API, and we read the c1z it serves.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openC1z } from "../src/c1z/index.ts";
import { authEnv, mintJwt, startProcess, waitForOutput } from "./runtime-support.ts";
import { buildWorker, syncThroughWorker, writeWorkerConfig } from "./runtime-worker-support.ts";
import { type PostgresServer, postgresUnavailable, startPostgres } from "./support/postgres.ts";
import { allResources } from "./support/postgres-c1z.ts";

const root = join(import.meta.dirname, "..");
const bin = (name: string) => join(root, "node_modules/.bin", name);
const unavailable = postgresUnavailable();
if (unavailable) console.warn(`skipping PostgreSQL runtime tests: ${unavailable}`);
for (const tool of ["bun", "deno", "wrangler"]) {
  if (!existsSync(bin(tool))) console.warn(`postgres runtime test for ${tool} skipped: not installed`);
}

interface ProbeOutput {
  currentUser: string;
  resources: Record<string, number>;
  grants: number;
  granted: boolean;
  revoked: boolean;
}

describe.skipIf(unavailable !== undefined)("postgres plugin on Bun, Deno and workerd", () => {
  let pg: PostgresServer;
  let expectedRoles: { users: number; groups: number };
  const scratch = mkdtempSync(join(tmpdir(), "baton-edge-pgrt-"));

  beforeAll(async () => {
    pg = await startPostgres();
    const sql = postgres({ ...pg.options(), onnotice: () => {}, max: 1 });
    await sql.unsafe("CREATE ROLE probe_group NOLOGIN");
    await sql.unsafe(`CREATE ROLE probe_user LOGIN`);
    await sql.unsafe(`CREATE ROLE "ünï ""quoted"" role" NOLOGIN`);
    const [counts] = await sql<{ users: number; groups: number }[]>`
      select count(*) filter (where rolcanlogin)::int as users, count(*) filter (where not rolcanlogin)::int as groups
      from pg_roles`;
    expectedRoles = counts as { users: number; groups: number };
    await sql.end();
  });

  afterAll(async () => {
    await pg?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  const probes: [string, string[]][] = [
    ["bun", ["run", "test/support/postgres-runtime-probe.ts"]],
    [
      "deno",
      ["run", "--allow-net", "--allow-read", "--allow-env", "--allow-sys", "test/support/postgres-runtime-probe.ts"],
    ],
  ];
  for (const [runtime, args] of probes) {
    it.skipIf(!existsSync(bin(runtime)))(`${runtime}: connects, syncs, grants and revokes`, () => {
      const run = spawnSync(bin(runtime), args, {
        cwd: root,
        env: { ...process.env, POSTGRES_PROBE_DSN: pg.dsn(), DENO_NO_UPDATE_CHECK: "1" },
        encoding: "utf8",
        timeout: 120_000,
      });
      expect(run.status, run.stderr).toBe(0);
      const out = JSON.parse(run.stdout.trim().split("\n").pop() as string) as ProbeOutput;
      expect(out.currentUser).toBe("postgres");
      expect(out.resources.user).toBe(expectedRoles.users);
      expect(out.resources.group).toBe(expectedRoles.groups);
      expect(out.resources.database).toBe(1);
      expect(out.granted).toBe(true);
      expect(out.revoked).toBe(true);
    });
  }

  it.skipIf(!existsSync(bin("wrangler")))("workerd: the bundled Worker syncs over cloudflare:sockets", async () => {
    await buildWorker(root, scratch);
    // The HTTP API serves each bundled plugin configured from BATON_* variables.
    const config = writeWorkerConfig(scratch, {
      vars: {
        ...authEnv(),
        BATON_HOST: "127.0.0.1",
        BATON_PORT: String(pg.port),
        BATON_USER: "postgres",
        BATON_PASSWORD: pg.password,
        BATON_SSLMODE: "disable",
      },
    });
    const { createServer } = await import("node:net");
    const port = await new Promise<number>((ok) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const a = s.address();
        s.close(() => ok(typeof a === "object" && a ? a.port : 0));
      });
    });
    const server = startProcess(
      bin("wrangler"),
      ["dev", "-c", config, "--ip", "127.0.0.1", "--port", String(port), "--persist-to", join(scratch, "state")],
      { cwd: scratch, env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1" } },
    );
    try {
      await waitForOutput(server, /Ready on http/);
      const base = `http://127.0.0.1:${port}`;
      const headers = { authorization: `Bearer ${await mintJwt()}` };
      const reader = await openC1z(await syncThroughWorker(base, "postgres", headers));
      const resources = allResources(reader);
      expect(resources.filter((r) => r.id?.resourceType === "user")).toHaveLength(expectedRoles.users);
      expect(resources.filter((r) => r.id?.resourceType === "group")).toHaveLength(expectedRoles.groups);
      expect(resources.some((r) => r.displayName === 'ünï "quoted" role')).toBe(true);
      // wrangler itself prints the vars table at start; nothing after that may show the password.
      expect(server.output().split("Ready on")[1]).not.toContain(pg.password);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- wrangler output ---\n${server.output().slice(-4000)}`);
    } finally {
      await server.stop();
    }
  });
});
