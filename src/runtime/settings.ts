/**
 * Server settings from the environment, the same on every runtime: auth, the
 * listen address, and the connectors the API serves.
 */
import type { AuthSettings, ConnectorEntry } from "../http/app.ts";
import { resolveConfig } from "../plugins/config.ts";
import type { PluginLoadFailure, PluginRegistry } from "../plugins/contract.ts";

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

/**
 * One API connector per loaded plugin whose config resolves from the
 * environment (`BATON_<FLAG>`); a plugin whose required config is missing is
 * reported as unavailable, never fatal (the demo needs none).
 */
export function connectorsFromRegistry(
  registry: PluginRegistry,
  env: EnvLike,
): { connectors: ConnectorEntry[]; failures: PluginLoadFailure[] } {
  // Read by key, never enumerated: Deno grants env access per variable name.
  const stringEnv = new Proxy({} as Record<string, string | undefined>, {
    get: (_, key) => (typeof key === "string" ? str(env, key) : undefined),
  });
  const provisioning = /^(1|true|yes)$/i.test(str(env, "BATON_PROVISIONING") ?? "");
  const connectors: ConnectorEntry[] = [];
  const failures: PluginLoadFailure[] = [...registry.failures];
  for (const loaded of registry.plugins) {
    try {
      const { config } = resolveConfig(loaded.plugin, { env: stringEnv });
      connectors.push({ name: loaded.name, plugin: loaded.plugin, config, provisioning });
    } catch (error) {
      failures.push({ name: loaded.name, path: loaded.source, reason: `not configured: ${(error as Error).message}` });
    }
  }
  return { connectors, failures };
}
