/**
 * The connector through the baton-compatible CLI, as an operator runs it: sync to a file,
 * then `--provisioning --grant-entitlement … / --revoke-grant …` resolved from that file.
 * Repeats answer GrantAlreadyExists / GrantAlreadyRevoked; pg_catalog and the next sync agree.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres, { type Sql } from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readC1zFile } from "../src/c1z/file.ts";
import { type PostgresServer, postgresUnavailable, startPostgres } from "./support/postgres.ts";
import { allGrants } from "./support/postgres-c1z.ts";

const unavailable = postgresUnavailable();
if (unavailable) console.warn(`skipping PostgreSQL CLI tests: ${unavailable}`);
const ROOT = join(import.meta.dirname, "..");

describe.skipIf(unavailable !== undefined)("postgres connector through the CLI", () => {
  let pg: PostgresServer;
  let dir: string;
  let file: string;
  let sql: Sql;
  let group: string;
  let user: string;

  const cli = (...args: string[]) => {
    const run = spawnSync(process.execPath, [join(ROOT, "bin/baton-edge.js"), "postgres", "-f", file, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", BATON_DSN: pg.dsn() },
      encoding: "utf8",
      timeout: 120_000,
    });
    return { status: run.status, out: `${run.stdout}${run.stderr}` };
  };
  const member = async () =>
    (await sql`select 1 from pg_auth_members where roleid = ${group}::oid and member = ${user}::oid`).length === 1;
  const inFile = async (id: string) => allGrants(await readC1zFile(file)).some((g) => g.id === id);

  beforeAll(async () => {
    pg = await startPostgres();
    dir = mkdtempSync(join(tmpdir(), "baton-edge-pgcli-"));
    file = join(dir, "sync.c1z");
    sql = postgres({ ...pg.options(), onnotice: () => {}, max: 1 });
    await sql.unsafe(`CREATE ROLE "ops ""team""" NOLOGIN`);
    await sql.unsafe(`CREATE ROLE "ana; --" LOGIN`);
    const [row] = await sql<{ g: string; u: string }[]>`
      select (select oid::text from pg_roles where rolname = 'ops "team"') as g,
             (select oid::text from pg_roles where rolname = 'ana; --') as u`;
    group = row?.g as string;
    user = row?.u as string;
  });

  afterAll(async () => {
    await sql?.end();
    await pg?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("grants, repeats (GrantAlreadyExists), re-syncs, revokes, repeats (GrantAlreadyRevoked)", async () => {
    const grantId = `group:${group}:member:user:${user}`;
    const grantArgs = [
      "--provisioning",
      "--grant-entitlement",
      `group:${group}:member`,
      "--grant-principal",
      user,
      "--grant-principal-type",
      "user",
    ];
    expect(cli().status).toBe(0);
    expect(await inFile(grantId)).toBe(false);

    const first = cli(...grantArgs);
    expect(first.status, first.out).toBe(0);
    expect(first.out).toContain("grant created");
    expect(await member()).toBe(true);
    const second = cli(...grantArgs);
    expect(second.status, second.out).toBe(0);
    expect(second.out).toContain("GrantAlreadyExists");

    expect(cli().status).toBe(0);
    expect(await inFile(grantId)).toBe(true);

    const revoke = cli("--provisioning", "--revoke-grant", grantId);
    expect(revoke.status, revoke.out).toBe(0);
    expect(revoke.out).toContain("grant revoked");
    expect(await member()).toBe(false);
    const again = cli("--provisioning", "--revoke-grant", grantId);
    expect(again.status, again.out).toBe(0);
    expect(again.out).toContain("GrantAlreadyRevoked");

    expect(cli().status).toBe(0);
    expect(await inFile(grantId)).toBe(false);
  });
});
