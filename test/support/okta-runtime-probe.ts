/**
 * Run under Bun or Deno by test/okta-runtimes.test.ts: the okta plugin against the local
 * Okta (OKTA_PROBE_DOMAIN, OKTA_PROBE_TOKEN; the test CA comes from NODE_EXTRA_CA_CERTS
 * or DENO_CERT), a full sync into an in-memory c1z through the runtime's own fetch, and a
 * group membership granted and revoked; prints what it saw as one JSON line.
 */
import * as v from "valibot";
import okta from "../../plugins/okta/index.ts";
import { createC1z } from "../../src/c1z/index.ts";
import type { Logger } from "../../src/plugins/contract.ts";
import { retryingFetch, runSync } from "../../src/sync/index.ts";

const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const log: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const signal = new AbortController().signal;
const config = v.parse(okta.config, { domain: env.OKTA_PROBE_DOMAIN, apiToken: env.OKTA_PROBE_TOKEN });
const fetchImpl = retryingFetch();
const client = await okta.connect(config, { fetch: fetchImpl, log, signal });
const store = await createC1z({ engine: "sqljs" });
const result = await runSync({ plugin: okta, client, store });
const stats = store.stats();
const groups = okta.resourceTypes.find((d) => d.resourceType.id === "group");
const ctx = { client, fetch: fetchImpl, log, signal, syncId: "probe", pageToken: "" };
const group = await groups?.get?.(
  {
    $typeName: "c1.connector.v2.ResourceId",
    resourceType: "group",
    resource: env.OKTA_PROBE_GROUP ?? "",
    batonResource: false,
  },
  undefined,
  ctx,
);
const user = await okta.resourceTypes
  .find((d) => d.resourceType.id === "user")
  ?.get?.(
    {
      $typeName: "c1.connector.v2.ResourceId",
      resourceType: "user",
      resource: env.OKTA_PROBE_USER ?? "",
      batonResource: false,
    },
    undefined,
    ctx,
  );
let granted: boolean | undefined;
let revoked: boolean | undefined;
if (group && user && groups?.grant && groups.revoke) {
  const [entitlement] = (await groups.entitlements(group, { ...ctx })).items;
  if (!entitlement) throw new Error("the group has no member entitlement");
  const outcome = await groups.grant(user, entitlement, ctx);
  granted = outcome.alreadyExists !== true;
  const held = outcome.grants?.[0];
  if (held) revoked = (await groups.revoke(held, ctx)).alreadyRevoked !== true;
}
console.log(
  JSON.stringify({ resources: stats.resources_by_resource_type, grants: result.written.grants, granted, revoked }),
);
store.close();
