/**
 * The connector's settings. Either a DSN or discrete fields (fields win over the DSN);
 * the password and the DSN are secret. `resolveConnection` turns them into one
 * connection description the client can open, per database.
 */
import * as v from "valibot";
import { PostgresConnectorError } from "./errors.ts";

export const SSL_MODES = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] as const;
export type SslMode = (typeof SSL_MODES)[number];

export const postgresConfig = v.object({
  dsn: v.optional(
    v.pipe(
      v.string(),
      v.metadata({
        secret: true,
        env: "BATON_DSN",
        description: "Connection URL, postgres://user:password@host:port/database?sslmode=require",
      }),
    ),
  ),
  host: v.optional(
    v.pipe(
      v.string(),
      v.metadata({ description: "Server host name or address, or a unix socket directory (default localhost)" }),
    ),
  ),
  port: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(1),
      v.maxValue(65535),
      v.metadata({ description: "Server port (default 5432)" }),
    ),
  ),
  user: v.optional(v.pipe(v.string(), v.metadata({ description: "Role to connect as (default postgres)" }))),
  password: v.optional(v.pipe(v.string(), v.metadata({ secret: true, description: "Password of that role" }))),
  database: v.optional(
    v.pipe(
      v.string(),
      v.metadata({ description: "Database for cluster-wide queries (default postgres); others are opened as needed" }),
    ),
  ),
  sslmode: v.optional(
    v.pipe(
      v.picklist(SSL_MODES),
      v.metadata({ description: "libpq sslmode: disable, allow, prefer, require, verify-ca, verify-full" }),
    ),
  ),
  caCert: v.optional(
    v.pipe(
      v.string(),
      v.metadata({ description: "PEM CA certificate(s) to verify the server with (verify-ca / verify-full)" }),
    ),
  ),
  includeDatabases: v.optional(
    v.pipe(v.array(v.string()), v.metadata({ description: "Only sync these databases (comma-separated)" })),
  ),
  excludeDatabases: v.optional(
    v.pipe(v.array(v.string()), v.metadata({ description: "Do not sync these databases (comma-separated)" })),
  ),
  connectTimeout: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(1),
      v.metadata({ description: "Seconds to wait for a connection (default 10)" }),
    ),
  ),
  pageSize: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(1),
      v.maxValue(10000),
      v.metadata({
        description: "Catalog rows per page when listing roles, members, schemas and relations (default 100)",
      }),
    ),
  ),
});

export type PostgresConfig = v.InferOutput<typeof postgresConfig>;

/** Everything needed to open a connection, with the secrets kept in one place. */
export interface ConnectionSettings {
  host: string;
  port: number;
  /** A unix socket path when `host` is a directory. */
  socketPath?: string;
  user: string;
  password?: string;
  database: string;
  sslmode: SslMode;
  caCert?: string;
  connectTimeout: number;
  pageSize: number;
  includeDatabases: string[];
  excludeDatabases: string[];
  /** Strings error messages must never contain. */
  secrets: string[];
}

interface DsnParts {
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  sslmode?: string;
}

function parseDsn(dsn: string): DsnParts {
  let url: URL;
  try {
    url = new URL(dsn);
  } catch {
    // The URL constructor's error carries the input (and so the password); say only what is wrong.
    throw new PostgresConnectorError(
      "config",
      "dsn is not a valid URL (expected postgres://user:password@host:port/db)",
    );
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new PostgresConnectorError(
      "config",
      `dsn must start with postgres:// or postgresql://, not ${url.protocol}//`,
    );
  }
  const params = url.searchParams;
  const port = url.port ? Number(url.port) : params.get("port") ? Number(params.get("port")) : undefined;
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
    throw new PostgresConnectorError("config", "dsn has an invalid port");
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ""));
  return {
    host:
      params.get("host") ?? (url.hostname ? decodeURIComponent(url.hostname).replace(/^\[(.*)\]$/, "$1") : undefined),
    port,
    user: url.username ? decodeURIComponent(url.username) : (params.get("user") ?? undefined),
    password: url.password ? decodeURIComponent(url.password) : (params.get("password") ?? undefined),
    database: database || (params.get("dbname") ?? undefined),
    sslmode: params.get("sslmode") ?? undefined,
  };
}

export function resolveConnection(config: PostgresConfig): ConnectionSettings {
  const fromDsn = config.dsn ? parseDsn(config.dsn) : {};
  const sslmode = config.sslmode ?? fromDsn.sslmode ?? "prefer";
  if (!(SSL_MODES as readonly string[]).includes(sslmode)) {
    throw new PostgresConnectorError("config", `sslmode must be one of ${SSL_MODES.join(", ")}, got ${sslmode}`);
  }
  const host = config.host ?? fromDsn.host ?? "localhost";
  const port = config.port ?? fromDsn.port ?? 5432;
  const password = config.password ?? fromDsn.password;
  const include = config.includeDatabases ?? [];
  const exclude = config.excludeDatabases ?? [];
  const overlap = include.filter((name) => exclude.includes(name));
  if (overlap.length > 0) {
    throw new PostgresConnectorError(
      "config",
      `databases both included and excluded: ${overlap.map((d) => JSON.stringify(d)).join(", ")}`,
    );
  }
  if ((sslmode === "verify-ca" || sslmode === "verify-full") && config.caCert !== undefined) {
    if (!config.caCert.includes("-----BEGIN CERTIFICATE-----")) {
      throw new PostgresConnectorError("config", "caCert must be PEM text containing -----BEGIN CERTIFICATE-----");
    }
  }
  return {
    host,
    port,
    socketPath: host.startsWith("/") ? `${host}/.s.PGSQL.${port}` : undefined,
    user: config.user ?? fromDsn.user ?? "postgres",
    password,
    database: config.database ?? fromDsn.database ?? "postgres",
    sslmode: sslmode as SslMode,
    caCert: config.caCert,
    connectTimeout: config.connectTimeout ?? 10,
    pageSize: config.pageSize ?? 100,
    includeDatabases: include,
    excludeDatabases: exclude,
    secrets: [password, config.dsn].filter((s): s is string => typeof s === "string" && s.length > 0),
  };
}

/** The driver's `ssl` option for a libpq sslmode. */
export function sslOption(
  settings: Pick<ConnectionSettings, "sslmode" | "caCert"> & { host?: string },
): false | "prefer" | "require" | object {
  switch (settings.sslmode) {
    case "disable":
      return false;
    case "allow":
    case "prefer":
      return "prefer";
    case "require":
      // libpq: require with a root certificate behaves as verify-ca.
      return settings.caCert
        ? { ca: settings.caCert, rejectUnauthorized: true, checkServerIdentity: () => undefined }
        : "require";
    case "verify-ca":
      return { ca: settings.caCert, rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case "verify-full":
      // `host` makes Node check the certificate against the address we dialled; without it an IP address
      // (sent with no SNI) would be checked as "localhost".
      return { host: settings.host, ...(settings.caCert ? { ca: settings.caCert } : {}), rejectUnauthorized: true };
  }
}

/** Whether a database is in scope of the include/exclude lists. */
export function databaseSelected(
  settings: Pick<ConnectionSettings, "includeDatabases" | "excludeDatabases">,
  name: string,
): boolean {
  if (settings.includeDatabases.length > 0 && !settings.includeDatabases.includes(name)) return false;
  return !settings.excludeDatabases.includes(name);
}
