/** Shapes shared across the HTTP app's modules (kept here so they import no module back). */
import type { AnyPlugin } from "../plugins/contract.ts";

/** A connector the API serves: a loaded plugin with its resolved, validated config. */
export interface ConnectorEntry {
  /** The `{name}` in the routes: the plugin name, or an instance name. */
  name: string;
  plugin: AnyPlugin;
  config: Record<string, unknown>;
  /** Baton's `--provisioning`: grant, revoke, accounts, credentials, deletes. Off by default. */
  provisioning?: boolean;
}

/** A JSON reply; idempotent routes store and replay it. */
export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}
