/**
 * Turns what the driver throws into one error with a kind and a message an operator can act on.
 * Messages are built from our own fields and the server's text, never from the DSN or the
 * driver's error object, so a password cannot leak into logs or HTTP responses.
 */

export type PostgresErrorKind =
  | "config"
  | "auth"
  | "unreachable"
  | "tls"
  | "permission"
  | "not-found"
  | "refused"
  | "query";

export class PostgresConnectorError extends Error {
  override name = "PostgresConnectorError";
  constructor(
    readonly kind: PostgresErrorKind,
    message: string,
    /** The SQLSTATE or network code, when there was one. */
    readonly code?: string,
  ) {
    super(message);
  }
}

/** Where a connection was going, for messages. */
export interface Endpoint {
  host: string;
  port: number;
  user: string;
  database: string;
  /** Strings to cut from any driver text we quote (the password, the DSN). */
  secrets?: readonly string[];
}

export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join("***");
  return out;
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EPIPE",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
]);

function field(error: unknown, name: string): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const value = (error as Record<string, unknown>)[name];
  return typeof value === "string" ? value : undefined;
}

/** `"user" at host:port/database` */
export function describeEndpoint(endpoint: Endpoint): string {
  return `${JSON.stringify(endpoint.user)} at ${endpoint.host}:${endpoint.port}/${endpoint.database}`;
}

export function toConnectorError(error: unknown, endpoint: Endpoint, doing: string): PostgresConnectorError {
  if (error instanceof PostgresConnectorError) return error;
  const code = field(error, "code");
  const severity = field(error, "severity");
  const serverMessage = severity ? (field(error, "message") ?? "") : undefined;
  const where = describeEndpoint(endpoint);
  if (serverMessage !== undefined) {
    const detail = field(error, "detail");
    const text = redact(detail ? `${serverMessage} (${detail})` : serverMessage, endpoint.secrets);
    switch (code) {
      case "28P01":
      case "28000":
        return new PostgresConnectorError("auth", `authentication failed for ${where}: ${text}`, code);
      case "42501":
        return new PostgresConnectorError("permission", `missing privilege while ${doing} as ${where}: ${text}`, code);
      case "3D000":
        return new PostgresConnectorError("not-found", `database does not exist while ${doing}: ${text}`, code);
      case "2BP01":
        return new PostgresConnectorError("refused", `PostgreSQL refused ${doing}: ${text}`, code);
      default:
        return new PostgresConnectorError("query", `PostgreSQL error while ${doing} (${code ?? "?"}): ${text}`, code);
    }
  }
  if (code && NETWORK_CODES.has(code)) {
    return new PostgresConnectorError(
      "unreachable",
      `cannot reach PostgreSQL at ${endpoint.host}:${endpoint.port} while ${doing}: ${code}`,
      code,
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  if (/ssl|tls|certificate|self.signed|EPROTO/i.test(`${code ?? ""} ${message}`)) {
    return new PostgresConnectorError(
      "tls",
      `TLS failed with PostgreSQL at ${endpoint.host}:${endpoint.port} while ${doing}: ${redact(message, endpoint.secrets)}`,
      code,
    );
  }
  const text = redact(message, endpoint.secrets);
  return new PostgresConnectorError("query", `${doing} failed for ${where}: ${code ? `${code} ` : ""}${text}`, code);
}
