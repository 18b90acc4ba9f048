/** What every route handler can reach: connectors, state, syncs, auth, logging. */
import type { RedactingLogger, Redactor } from "../log/index.ts";
import type { PluginLoadFailure } from "../plugins/contract.ts";
import type { Clock } from "../sync/types.ts";
import type { Authenticator } from "./auth/middleware.ts";
import type { Idempotency } from "./idempotency.ts";
import { notFound } from "./problem.ts";
import type { Snapshots } from "./snapshots.ts";
import type { SyncStateStore } from "./state/store.ts";
import type { SyncRunner } from "./syncs/runner.ts";
import type { ConnectorEntry } from "./types.ts";

export type { ConnectorEntry };

export interface AppServices {
  connectors: ReadonlyMap<string, ConnectorEntry>;
  loadFailures: readonly PluginLoadFailure[];
  /** The connector named in the path, or a 404. */
  connector(name: string): ConnectorEntry;
  state: SyncStateStore;
  syncs: SyncRunner;
  snapshots: Snapshots;
  idempotency: Idempotency;
  auth: Authenticator;
  redactor: Redactor;
  /** The app's root logger; requests and syncs log through children of it. */
  log: RedactingLogger;
  clock: Clock;
}

export function connectorLookup(connectors: ReadonlyMap<string, ConnectorEntry>) {
  return (name: string): ConnectorEntry => {
    const entry = connectors.get(name);
    if (!entry) throw notFound(`no connector named ${name}`);
    return entry;
  };
}
