/**
 * Reading a synced c1z back as plain facts for comparison with pg_catalog, and the
 * sync-to-file path the CLI uses (connect, sync into memory, write atomically).
 */
import { readC1zFile, writeFileAtomic } from "../../src/c1z/file.ts";
import { createC1z } from "../../src/c1z/index.ts";
import type { C1zReader } from "../../src/c1z/store.ts";
import type { Entitlement, Grant, Resource } from "../../src/model/types.ts";
import type { AnyPlugin, Logger } from "../../src/plugins/contract.ts";
import { runSync } from "../../src/sync/index.ts";

export const quietLog: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export function connectContext(log: Logger = quietLog) {
  return { fetch, log, signal: new AbortController().signal };
}

/** Connect, sync, write the file atomically; a failure anywhere leaves `path` untouched. */
export async function syncToFile(plugin: AnyPlugin, config: Record<string, unknown>, path: string): Promise<void> {
  const client = await plugin.connect(config, connectContext());
  try {
    const store = await createC1z();
    await runSync({ plugin, client, store });
    await writeFileAtomic(path, store.toBytes());
    store.close();
  } finally {
    await plugin.close?.(client);
  }
}

export async function syncToReader(
  plugin: AnyPlugin,
  config: Record<string, unknown>,
  path: string,
): Promise<C1zReader> {
  await syncToFile(plugin, config, path);
  return readC1zFile(path);
}

export function allResources(reader: C1zReader): Resource[] {
  const out: Resource[] = [];
  let pageToken = "";
  do {
    const page = reader.listResources({ pageToken });
    out.push(...page.items);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return out;
}

export function allEntitlements(reader: C1zReader): Entitlement[] {
  const out: Entitlement[] = [];
  let pageToken = "";
  do {
    const page = reader.listEntitlements({ pageToken });
    out.push(...page.items);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return out;
}

export function allGrants(reader: C1zReader): Grant[] {
  const out: Grant[] = [];
  let pageToken = "";
  do {
    const page = reader.listGrants({ pageToken });
    out.push(...page.items);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return out;
}

/** Direct grants: no sources, or the grant's own entitlement among them (Go marks direct+expanded that way). */
export function isDirect(grant: Grant): boolean {
  const sources = Object.keys(grant.sources?.sources ?? {});
  return sources.length === 0 || sources.includes(grant.entitlement?.id ?? "");
}

/** `"<type>:<id>:<slug> <- <principalType>:<principalId>"` for set comparisons. */
export function grantKey(grant: Grant): string {
  return `${grant.entitlement?.id} <- ${grant.principal?.id?.resourceType}:${grant.principal?.id?.resource}`;
}
