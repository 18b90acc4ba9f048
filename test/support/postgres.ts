/**
 * A private PostgreSQL 15 cluster for tests: a temp data dir, initdb with a bootstrap
 * superuser password, a server on a free 127.0.0.1 port with its unix socket in the
 * temp dir, stopped and removed by `stop()`.
 *
 * PostgreSQL refuses to run as root (CI runs as root), so there every server command
 * runs as `nobody` through `runuser`, and the temp dir is handed to that user.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const PG_BIN = process.env.PG_BIN ?? "/usr/lib/postgresql/15/bin";

export interface PostgresServer {
  host: string;
  port: number;
  /** The bootstrap superuser. */
  user: string;
  password: string;
  /** `postgres://user:password@127.0.0.1:port/postgres` */
  dsn(database?: string, user?: string, password?: string): string;
  /** Driver options for postgres.js (its DSN parser does not percent-decode the database name). */
  options(database?: string): { host: string; port: number; user: string; password: string; database: string };
  /** The server log so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

/** Why a private server cannot start here, or undefined when it can. */
export function postgresUnavailable(): string | undefined {
  for (const tool of ["initdb", "pg_ctl", "postgres"]) {
    if (!existsSync(join(PG_BIN, tool))) return `${join(PG_BIN, tool)} is missing`;
  }
  if (process.getuid?.() === 0 && !existsSync("/usr/sbin/runuser") && !existsSync("/sbin/runuser")) {
    return "running as root and runuser is missing (PostgreSQL refuses to run as root)";
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

interface Runner {
  run(tool: string, args: string[], cwd: string): { status: number | null; output: string };
  own(path: string): void;
}

function runner(): Runner {
  const asRoot = process.getuid?.() === 0;
  const nobody = asRoot ? lookupUser("nobody") : undefined;
  return {
    run(tool, args, cwd) {
      const command = asRoot ? "runuser" : join(PG_BIN, tool);
      const argv = asRoot ? ["-u", "nobody", "--", join(PG_BIN, tool), ...args] : args;
      const result = spawnSync(command, argv, { cwd, encoding: "utf8", env: { ...process.env, LC_ALL: "C.UTF-8" } });
      return { status: result.status, output: `${result.stdout ?? ""}${result.stderr ?? ""}${result.error ?? ""}` };
    },
    own(path) {
      if (nobody) chownSync(path, nobody.uid, nobody.gid);
    },
  };
}

function lookupUser(name: string): { uid: number; gid: number } {
  const uid = spawnSync("id", ["-u", name], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", name], { encoding: "utf8" });
  if (uid.status !== 0 || gid.status !== 0) throw new Error(`user ${name} does not exist: ${uid.stderr}`);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

export interface StartOptions {
  /** Extra postgresql.conf settings. */
  settings?: Record<string, string>;
  /** PEM server certificate and key: the server then accepts TLS (ssl = on). */
  tls?: { cert: string; key: string };
}

export async function startPostgres(options: StartOptions = {}): Promise<PostgresServer> {
  const unavailable = postgresUnavailable();
  if (unavailable) throw new Error(`cannot start PostgreSQL: ${unavailable}`);
  const root = mkdtempSync(join(tmpdir(), "baton-edge-pg-"));
  const data = join(root, "data");
  const logFile = join(root, "server.log");
  const pwfile = join(root, "pw");
  const password = `pw-${randomBytes(12).toString("hex")}`;
  const user = "postgres";
  const exec = runner();
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  exec.own(root);
  exec.own(pwfile);
  const init = exec.run(
    "initdb",
    [
      "-D",
      data,
      "-U",
      user,
      `--pwfile=${pwfile}`,
      "--auth-host=scram-sha-256",
      "--auth-local=trust",
      "-E",
      "UTF8",
      "--locale=C.UTF-8",
      "--no-sync",
      "--no-instructions",
    ],
    root,
  );
  rmSync(pwfile, { force: true });
  if (init.status !== 0) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.output}`);
  }
  const port = await freePort();
  const tlsSettings: Record<string, string> = {};
  if (options.tls) {
    const cert = join(root, "server.crt");
    const key = join(root, "server.key");
    writeFileSync(cert, options.tls.cert);
    writeFileSync(key, options.tls.key, { mode: 0o600 });
    exec.own(cert);
    exec.own(key);
    Object.assign(tlsSettings, { ssl: "on", ssl_cert_file: cert, ssl_key_file: key });
  }
  const settings: Record<string, string> = {
    listen_addresses: "127.0.0.1",
    port: String(port),
    unix_socket_directories: root,
    fsync: "off",
    synchronous_commit: "off",
    full_page_writes: "off",
    max_connections: "60",
    shared_buffers: "16MB",
    ...tlsSettings,
    ...options.settings,
  };
  const conf = Object.entries(settings)
    .map(([key, value]) => `${key} = '${value.replaceAll("'", "''")}'`)
    .join("\n");
  const confPath = join(data, "postgresql.auto.conf");
  writeFileSync(confPath, `${readFileSync(confPath, "utf8")}\n${conf}\n`);
  const start = exec.run("pg_ctl", ["-D", data, "-l", logFile, "-w", "-t", "60", "start"], root);
  const log = () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : "");
  if (start.status !== 0) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`pg_ctl start failed: ${start.output}\n${log()}`);
  }
  let stopped = false;
  return {
    host: "127.0.0.1",
    port,
    user,
    password,
    dsn(database = "postgres", login = user, secret = password) {
      return `postgres://${encodeURIComponent(login)}:${encodeURIComponent(secret)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
    },
    options(database = "postgres") {
      return { host: "127.0.0.1", port, user, password, database };
    },
    log,
    async stop() {
      if (stopped) return;
      stopped = true;
      exec.run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"], root);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
