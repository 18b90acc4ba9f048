/**
 * TLS settings against a real server with a certificate for `localhost` signed by a test CA
 * (made here with the openssl CLI): each sslmode connects or fails as libpq's would.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import plugin, { type PgClient } from "../plugins/postgres/index.ts";
import { type PostgresServer, postgresUnavailable, startPostgres } from "./support/postgres.ts";
import { connectContext } from "./support/postgres-c1z.ts";

const openssl = spawnSync("openssl", ["version"], { encoding: "utf8" });
const unavailable = postgresUnavailable() ?? (openssl.status === 0 ? undefined : "the openssl CLI is missing");
if (unavailable) console.warn(`skipping PostgreSQL TLS tests: ${unavailable}`);

function run(args: string[], cwd: string): void {
  const result = spawnSync("openssl", args, { cwd, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr}`);
}

function makeCa(dir: string, name: string): void {
  run(
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "2",
      "-subj",
      `/CN=${name}`,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.crt`,
    ],
    dir,
  );
}

describe.skipIf(unavailable !== undefined)("postgres connector: TLS", () => {
  let pg: PostgresServer;
  let dir: string;
  let ca: string;
  let otherCa: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "baton-edge-pgtls-"));
    makeCa(dir, "test-ca");
    makeCa(dir, "other-ca");
    run(
      ["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "server.key", "-out", "server.csr"],
      dir,
    );
    const ext = join(dir, "san.ext");
    spawnSync("sh", ["-c", `printf 'subjectAltName=DNS:localhost\\n' > ${ext}`]);
    run(
      [
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "test-ca.crt",
        "-CAkey",
        "test-ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "san.ext",
        "-out",
        "server.crt",
      ],
      dir,
    );
    ca = readFileSync(join(dir, "test-ca.crt"), "utf8");
    otherCa = readFileSync(join(dir, "other-ca.crt"), "utf8");
    pg = await startPostgres({
      tls: { cert: readFileSync(join(dir, "server.crt"), "utf8"), key: readFileSync(join(dir, "server.key"), "utf8") },
    });
  });

  afterAll(async () => {
    await pg?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function sslInUse(config: Record<string, unknown>): Promise<boolean> {
    const client = (await plugin.connect(
      { port: pg.port, user: "postgres", password: pg.password, connectTimeout: 5, ...config },
      connectContext(),
    )) as PgClient;
    try {
      const rows = await client.query(
        "checking TLS",
        (sql) => sql<{ ssl: boolean }[]>`
        select ssl from pg_stat_ssl where pid = pg_backend_pid()`,
      );
      return rows[0]?.ssl === true;
    } finally {
      await plugin.close?.(client);
    }
  }

  it("verify-full with the right CA and host name uses TLS", async () => {
    expect(await sslInUse({ host: "localhost", sslmode: "verify-full", caCert: ca })).toBe(true);
  });

  it("verify-full refuses a certificate from another CA, with a TLS error", async () => {
    const failure = sslInUse({ host: "localhost", sslmode: "verify-full", caCert: otherCa });
    await expect(failure).rejects.toMatchObject({ kind: "tls" });
    await expect(failure).rejects.toThrow(/TLS failed with PostgreSQL at localhost:\d+/);
  });

  it("verify-full refuses a host name the certificate does not name; verify-ca accepts it", async () => {
    await expect(sslInUse({ host: "127.0.0.1", sslmode: "verify-full", caCert: ca })).rejects.toMatchObject({
      kind: "tls",
    });
    expect(await sslInUse({ host: "127.0.0.1", sslmode: "verify-ca", caCert: ca })).toBe(true);
  });

  it("require encrypts without verifying; disable does not encrypt", async () => {
    expect(await sslInUse({ host: "127.0.0.1", sslmode: "require" })).toBe(true);
    expect(await sslInUse({ host: "127.0.0.1", sslmode: "disable" })).toBe(false);
    expect(await sslInUse({ dsn: `postgres://postgres@127.0.0.1:${pg.port}/postgres?sslmode=require` })).toBe(true);
  });
});
