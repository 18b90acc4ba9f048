/**
 * Failures through the real CLI path (`baton-edge postgres -f sync.c1z`): a wrong password,
 * an unreachable server and a missing privilege each exit non-zero with a message that
 * names the problem, never the password, and leave the previous c1z byte-for-byte intact.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres, { type Sql } from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import plugin, { PostgresConnectorError } from "../plugins/postgres/index.ts";
import { type PostgresServer, postgresUnavailable, startPostgres } from "./support/postgres.ts";
import { connectContext, syncToFile } from "./support/postgres-c1z.ts";

const unavailable = postgresUnavailable();
if (unavailable) console.warn(`skipping PostgreSQL error tests: ${unavailable}`);

const ROOT = join(import.meta.dirname, "..");
const LIMITED_PASSWORD = "limited-Secret-4242";

function cli(args: string[], env: Record<string, string>) {
  const result = spawnSync(process.execPath, [join(ROOT, "bin/baton-edge.js"), "postgres", ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 1));
    });
  });
}

describe.skipIf(unavailable !== undefined)("postgres connector: failures keep the previous c1z", () => {
  let pg: PostgresServer;
  let dir: string;
  let file: string;
  let good: Buffer;
  let admin: Sql;

  beforeAll(async () => {
    pg = await startPostgres();
    dir = mkdtempSync(join(tmpdir(), "baton-edge-pgerr-"));
    file = join(dir, "sync.c1z");
    admin = postgres({ ...pg.options(), onnotice: () => {}, max: 1 });
    await admin.unsafe("CREATE DATABASE app_reports");
    await admin.unsafe("REVOKE CONNECT ON DATABASE app_reports FROM PUBLIC");
    await admin.unsafe(`CREATE ROLE limited LOGIN PASSWORD '${LIMITED_PASSWORD}'`);
    const first = cli(["-f", file], { BATON_DSN: pg.dsn() });
    expect(first.status, first.stderr).toBe(0);
    good = readFileSync(file);
    expect(good.subarray(0, 5).toString("latin1")).toBe("C1ZF\0");
  });

  afterAll(async () => {
    await admin?.end();
    await pg?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("a wrong password: exit 1, 'authentication failed', no password, file intact", () => {
    const wrong = "not-the-Password-9876";
    const run = cli(["-f", file], { BATON_DSN: pg.dsn("postgres", "postgres", wrong) });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/authentication failed for "postgres" at 127\.0\.0\.1:\d+\/postgres/);
    expect(`${run.stdout}${run.stderr}`).not.toContain(wrong);
    expect(`${run.stdout}${run.stderr}`).not.toContain(pg.password);
    expect(readFileSync(file).equals(good)).toBe(true);
  });

  it("an unreachable server: exit 1, 'cannot reach', no password, file intact", async () => {
    const port = await closedPort();
    const run = cli(["-f", file, "--host", "127.0.0.1", "--port", String(port), "--connect-timeout", "3"], {
      BATON_PASSWORD: pg.password,
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(`cannot reach PostgreSQL at 127.0.0.1:${port}`);
    expect(run.stderr).toContain("ECONNREFUSED");
    expect(`${run.stdout}${run.stderr}`).not.toContain(pg.password);
    expect(readFileSync(file).equals(good)).toBe(true);
  });

  it("a missing privilege mid-sync: exit 1, names the database and the privilege, file intact", () => {
    const run = cli(["-f", file], { BATON_DSN: pg.dsn("postgres", "limited", LIMITED_PASSWORD) });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(
      /missing privilege .*"limited".*app_reports.*permission denied for database "?app_reports/,
    );
    expect(`${run.stdout}${run.stderr}`).not.toContain(LIMITED_PASSWORD);
    expect(readFileSync(file).equals(good)).toBe(true);
  });

  it("excluding the database the role cannot reach makes the same sync succeed", () => {
    const other = join(dir, "limited.c1z");
    const run = cli(["-f", other, "--exclude-databases", "app_reports"], {
      BATON_DSN: pg.dsn("postgres", "limited", LIMITED_PASSWORD),
    });
    expect(run.status, run.stderr).toBe(0);
    expect(readFileSync(other).subarray(0, 5).toString("latin1")).toBe("C1ZF\0");
  });

  it("the library path (connect, runSync, writeFileAtomic) fails the same way and keeps the file", async () => {
    const wrong = "another-Wrong-1";
    const failure = syncToFile(plugin, { dsn: pg.dsn("postgres", "postgres", wrong) }, file);
    await expect(failure).rejects.toBeInstanceOf(PostgresConnectorError);
    await expect(failure).rejects.toMatchObject({ kind: "auth", code: "28P01" });
    await failure.catch((error: Error) => expect(error.message).not.toContain(wrong));
    const limited = syncToFile(plugin, { dsn: pg.dsn("postgres", "limited", LIMITED_PASSWORD) }, file);
    await expect(limited).rejects.toThrow(/permission denied for database/);
    expect(readFileSync(file).equals(good)).toBe(true);
  });

  it("provisioning without the privilege names the operation and the role, and changes nothing", async () => {
    const client = await plugin.connect({ dsn: pg.dsn("postgres", "limited", LIMITED_PASSWORD) }, connectContext());
    try {
      const ctx = { ...connectContext(), client };
      const failure = plugin.createAccount?.({ login: "should_not_exist" }, ctx);
      await expect(failure).rejects.toMatchObject({ kind: "permission", code: "42501" });
      await expect(failure).rejects.toThrow(
        /missing privilege while creating a login role as "limited".*permission denied to create role/,
      );
      const rows = await admin`select 1 from pg_roles where rolname = 'should_not_exist'`;
      expect(rows).toHaveLength(0);
    } finally {
      await plugin.close?.(client);
    }
  });

  it("a malformed DSN is a config error that does not echo the DSN", async () => {
    const dsn = "postgres://u:Sup3r-Secret@[bad/";
    const failure = Promise.resolve().then(() => plugin.connect({ dsn }, connectContext()));
    await expect(failure).rejects.toMatchObject({ kind: "config" });
    await failure.catch((error: Error) => expect(error.message).not.toContain("Sup3r-Secret"));
  });
});
