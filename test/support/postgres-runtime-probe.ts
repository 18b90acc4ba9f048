/**
 * Run under Bun or Deno by test/postgres-runtimes.test.ts: connects with the postgres plugin
 * (DSN from POSTGRES_PROBE_DSN), runs a full sync into an in-memory c1z, grants and revokes
 * one membership, and prints what it saw as one JSON line.
 */
import plugin from "../../plugins/postgres/index.ts";
import { createC1z } from "../../src/c1z/index.ts";
import type { Logger } from "../../src/plugins/contract.ts";
import { runSync } from "../../src/sync/index.ts";

const dsn = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.POSTGRES_PROBE_DSN;
if (!dsn) throw new Error("POSTGRES_PROBE_DSN is not set");
const log: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const signal = new AbortController().signal;
const client = await plugin.connect({ dsn }, { fetch, log, signal });
try {
  // sql.js: the same store on every runtime (the plugin, not the SQLite engine, is under test here).
  const store = await createC1z({ engine: "sqljs" });
  const result = await runSync({ plugin, client, store });
  const stats = store.stats();
  const groupType = plugin.resourceTypes.find((d) => d.resourceType.id === "group");
  const userType = plugin.resourceTypes.find((d) => d.resourceType.id === "user");
  const ctx = { client, fetch, log, signal, syncId: "probe", pageToken: "" };
  const groups = (await groupType?.list(undefined, ctx))?.items ?? [];
  const users = (await userType?.list(undefined, ctx))?.items ?? [];
  const target = groups.find((g) => g.displayName === "probe_group");
  const member = users.find((u) => u.displayName === "probe_user");
  let granted: boolean | undefined;
  let revoked: boolean | undefined;
  if (target && member && groupType?.grant && groupType.revoke) {
    const [entitlement] = (await groupType.entitlements(target, ctx)).items;
    if (!entitlement) throw new Error("probe_group has no member entitlement");
    const outcome = await groupType.grant(member, entitlement, ctx);
    granted = outcome.alreadyExists !== true;
    const held = outcome.grants?.[0];
    if (held) revoked = (await groupType.revoke(held, ctx)).alreadyRevoked !== true;
  }
  console.log(
    JSON.stringify({
      currentUser: client.info?.currentUser,
      resources: stats.resources_by_resource_type,
      grants: result.written.grants,
      granted,
      revoked,
    }),
  );
  store.close();
} finally {
  await plugin.close?.(client);
}
