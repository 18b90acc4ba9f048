/**
 * Server settings from the environment, the same on every runtime: auth and the
 * listen address (the connectors: src/registry/connectors.ts).
 */
import type { AuthSettings } from "../http/app.ts";

export type EnvLike = Record<string, unknown>;

function str(env: EnvLike, name: string): string | undefined {
  const value = env[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}

function list(value: string | undefined): string[] | undefined {
  const items = value
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return items && items.length > 0 ? items : undefined;
}

export class SettingsError extends Error {
  override readonly name = "SettingsError";
}

/**
 * `BATON_AUTH=off` turns auth off (and the server onto loopback); otherwise a
 * JWT key source is required: `BATON_AUTH_HS_SECRET`, `BATON_AUTH_PUBLIC_KEY`
 * or `BATON_AUTH_JWKS_URL`, with `BATON_AUTH_ISSUER` and `BATON_AUTH_AUDIENCE`.
 */
export function authSettingsFromEnv(env: EnvLike): AuthSettings {
  const mode = str(env, "BATON_AUTH")?.toLowerCase();
  if (mode === "off" || mode === "none" || mode === "disabled") return { mode: "off" };
  if (mode !== undefined && mode !== "jwt") {
    throw new SettingsError(`BATON_AUTH must be "jwt" or "off", got "${mode}"`);
  }
  const hsSecret = str(env, "BATON_AUTH_HS_SECRET");
  const publicKey = str(env, "BATON_AUTH_PUBLIC_KEY");
  const jwksUrl = str(env, "BATON_AUTH_JWKS_URL");
  if (!hsSecret && !publicKey && !jwksUrl) {
    throw new SettingsError(
      "no API auth configured: set BATON_AUTH_HS_SECRET, BATON_AUTH_PUBLIC_KEY or BATON_AUTH_JWKS_URL " +
        "(with BATON_AUTH_ISSUER and BATON_AUTH_AUDIENCE), or BATON_AUTH=off for local use on loopback",
    );
  }
  return {
    mode: "jwt",
    issuer: list(str(env, "BATON_AUTH_ISSUER")) ?? "",
    audience: list(str(env, "BATON_AUTH_AUDIENCE")) ?? "",
    hsSecret,
    publicKey,
    jwksUrl,
    algorithms: list(str(env, "BATON_AUTH_ALGORITHMS")),
  };
}

export interface ListenAddress {
  hostname: string;
  port: number;
  /** Set when the address was changed for safety. */
  warning?: string;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

export function listenAddressFromEnv(env: EnvLike, auth: AuthSettings): ListenAddress {
  const rawPort = str(env, "PORT") ?? "8080";
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new SettingsError(`PORT must be 0-65535, got "${rawPort}"`);
  const requested = str(env, "HOST");
  if (auth.mode === "off") {
    const hostname = requested && LOOPBACK.has(requested) ? requested : "127.0.0.1";
    const moved = requested && !LOOPBACK.has(requested) ? ` (HOST=${requested} ignored)` : "";
    return {
      hostname,
      port,
      warning: `API auth is OFF (BATON_AUTH=off): listening on ${hostname} only${moved}; every local request is trusted`,
    };
  }
  return { hostname: requested ?? "0.0.0.0", port };
}
