/**
 * A synced c1z read back (with our reader) as the sets the Okta comparison needs:
 * resource types, resource ids per type, entitlement ids and grant ids.
 */
import { readC1zFile } from "../../src/c1z/file.ts";
import type { C1zReader } from "../../src/c1z/store.ts";
import type { Entitlement, Grant, Resource, ResourceType } from "../../src/model/types.ts";

export interface C1zFacts {
  resourceTypes: ResourceType[];
  resources: Resource[];
  entitlements: Entitlement[];
  grants: Grant[];
  resourceTypeIds: string[];
  /** type → sorted resource ids */
  resourceIds: Map<string, string[]>;
  entitlementIds: string[];
  grantIds: string[];
}

function all<T>(list: (request: { pageToken: string }) => { items: T[]; nextPageToken: string }): T[] {
  const out: T[] = [];
  let pageToken = "";
  do {
    const page = list({ pageToken });
    out.push(...page.items);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return out;
}

export function factsOf(reader: C1zReader): C1zFacts {
  const resourceTypes = all((r) => reader.listResourceTypes(r));
  const resources = all((r) => reader.listResources(r));
  const entitlements = all((r) => reader.listEntitlements(r));
  const grants = all((r) => reader.listGrants(r));
  const resourceIds = new Map<string, string[]>();
  for (const r of resources) {
    const type = r.id?.resourceType ?? "";
    resourceIds.set(type, [...(resourceIds.get(type) ?? []), r.id?.resource ?? ""]);
  }
  for (const ids of resourceIds.values()) ids.sort();
  return {
    resourceTypes,
    resources,
    entitlements,
    grants,
    resourceTypeIds: resourceTypes.map((t) => t.id).sort(),
    resourceIds,
    entitlementIds: entitlements.map((e) => e.id).sort(),
    grantIds: grants.map((g) => g.id).sort(),
  };
}

export async function readFacts(path: string): Promise<C1zFacts> {
  const reader = await readC1zFile(path);
  try {
    return factsOf(reader);
  } finally {
    reader.close?.();
  }
}
