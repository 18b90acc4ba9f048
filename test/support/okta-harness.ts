/**
 * Shared set-up for the Okta tests: a test CA, the local Okta, and syncing the okta
 * plugin into a c1z file in this process (its fetch trusts the test CA; the engine's
 * classifying retryingFetch wraps it, as every host does).
 */
import * as v from "valibot";
import okta from "../../plugins/okta/index.ts";
import { writeFileAtomic } from "../../src/c1z/file.ts";
import { createC1z } from "../../src/c1z/index.ts";
import { connectPlugin } from "../../src/plugins/connect.ts";
import { retryingFetch, runSync } from "../../src/sync/index.ts";
import type { Clock, SyncResult } from "../../src/sync/types.ts";
import { type OktaServer, type OktaServerOptions, startOktaServer } from "./okta-server.ts";
import { createTestCa, type TestCa, trustingFetch } from "./okta-tls.ts";

export interface LocalOkta {
  ca: TestCa;
  server: OktaServer;
  stop(): Promise<void>;
}

export async function startLocalOkta(options: Omit<OktaServerOptions, "ca"> = {}): Promise<LocalOkta> {
  const ca = createTestCa();
  const server = await startOktaServer({ ca, ...options });
  return {
    ca,
    server,
    async stop() {
      await server.stop();
      ca.cleanup();
    },
  };
}

/** The plugin's config for the local org, with flags as a user would pass them (camelCase keys). */
export function oktaConfig(local: LocalOkta, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return v.parse(okta.config, { domain: local.server.domain, apiToken: local.server.token, ...extra });
}

/** Sync the local org with the okta plugin and write the c1z atomically to `path`. */
export async function syncOkta(
  local: LocalOkta,
  path: string,
  extra: Record<string, unknown> = {},
  clock?: Clock,
): Promise<SyncResult> {
  const target = await connectPlugin(okta, oktaConfig(local, extra), {
    fetch: retryingFetch({ fetch: trustingFetch(local.ca), now: clock?.now }),
  });
  try {
    const store = await createC1z();
    const result = await runSync({ plugin: okta, client: target.client, store, clock });
    await writeFileAtomic(path, store.toBytes());
    store.close();
    return result;
  } finally {
    await target.close();
  }
}
