/** baton-edge's reader, listed in the same shape as the Go program's `list` output. */
import type { Any } from "@bufbuild/protobuf/wkt";
import type { C1zReader, PageOf, PageRequest } from "../../src/c1z/store.ts";
import type { ResourceId } from "../../src/model/types.ts";
import type { Listing } from "./tools.ts";

function all<T>(list: (request: PageRequest) => PageOf<T>): T[] {
  const out: T[] = [];
  let pageToken = "";
  for (;;) {
    const page = list({ pageToken });
    out.push(...page.items);
    if (!page.nextPageToken) return out;
    pageToken = page.nextPageToken;
  }
}

const anyNames = (annotations: readonly Any[]) =>
  annotations.map((any) => any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1)).sort();

/** Go's `Stats(SyncTypeAny, "")` shape: counts of the latest finished sync of any type. */
function goStats(store: C1zReader, resourceTypeIds: string[]): Record<string, number> | null {
  const sync = store.latestFinishedSync();
  if (!sync) return null;
  const stats = store.stats(sync.syncId);
  const out: Record<string, number> = { resource_types: stats.resource_types ?? 0 };
  for (const id of resourceTypeIds) out[id] = stats.resources_by_resource_type?.[id] ?? 0;
  if (sync.syncType !== "resources_only") {
    out.entitlements = stats.entitlements ?? 0;
    out.grants = stats.grants ?? 0;
  }
  return out;
}

/** The gets the baton CLI makes while printing, done with our reader, in the Go program's order. */
function lookups(store: C1zReader): string[] {
  const missing: string[] = [];
  const type = (id: string) => {
    if (!store.getResourceType(id)) missing.push(`resource type ${id}`);
  };
  const resource = (id: ResourceId | undefined) => {
    if (!id) missing.push("resource <nil id>");
    else if (!store.getResource(id)) missing.push(`resource ${id.resourceType}:${id.resource}`);
  };
  for (const r of all((p) => store.listResources(p))) {
    type(r.id?.resourceType ?? "");
    if (r.parentResourceId) resource(r.parentResourceId);
  }
  for (const e of all((p) => store.listEntitlements(p))) {
    if (e.resource?.id) {
      type(e.resource.id.resourceType);
      resource(e.resource.id);
    }
  }
  for (const g of all((p) => store.listGrants(p))) {
    if (!store.getEntitlement(g.entitlement?.id ?? "")) missing.push(`entitlement ${g.entitlement?.id ?? ""}`);
    resource(g.principal?.id);
    type(g.principal?.id?.resourceType ?? "");
    resource(g.entitlement?.resource?.id);
  }
  return missing;
}

export function ourListing(store: C1zReader): Listing {
  const syncs = store.listSyncs();
  const expansionSync = store.latestFinishedSync("full")?.syncId ?? syncs.at(-1)?.syncId;
  const resourceTypes = all((r) => store.listResourceTypes(r));
  return {
    syncs: syncs.map((sync) => ({ id: sync.syncId, type: sync.syncType, finished: sync.endedAt !== null })),
    resourceTypes: resourceTypes.map((rt) => ({
      id: rt.id,
      displayName: rt.displayName,
      traits: [...rt.traits],
      annotations: anyNames(rt.annotations),
    })),
    resources: all((r) => store.listResources(r)).map((resource) => ({
      resourceType: resource.id?.resourceType ?? "",
      resource: resource.id?.resource ?? "",
      parentResourceType: resource.parentResourceId ? resource.parentResourceId.resourceType : null,
      parentResource: resource.parentResourceId ? resource.parentResourceId.resource : null,
      displayName: resource.displayName,
      annotations: anyNames(resource.annotations),
    })),
    entitlements: all((r) => store.listEntitlements(r)).map((e) => ({
      id: e.id,
      resourceType: e.resource?.id ? e.resource.id.resourceType : null,
      resource: e.resource?.id ? e.resource.id.resource : null,
      slug: e.slug,
      displayName: e.displayName,
      purpose: e.purpose,
    })),
    grants: all((r) => store.listGrants(r)).map((g) => ({
      id: g.id,
      entitlementId: g.entitlement ? g.entitlement.id : null,
      entitlementResourceType: g.entitlement?.resource?.id ? g.entitlement.resource.id.resourceType : null,
      entitlementResource: g.entitlement?.resource?.id ? g.entitlement.resource.id.resource : null,
      principalType: g.principal?.id ? g.principal.id.resourceType : null,
      principal: g.principal?.id ? g.principal.id.resource : null,
      annotations: anyNames(g.annotations),
      sources: Object.fromEntries(
        Object.entries(g.sources?.sources ?? {}).map(([key, source]) => [key, source.isDirect]),
      ),
    })),
    expandable: expansionSync
      ? all((r) => store.listGrantsWithExpansion({ ...r, syncId: expansionSync }))
          .filter((row) => row.expansion !== undefined)
          .map((row) => ({
            grantId: row.grant.id,
            sourceEntitlementIds: [...(row.expansion?.entitlementIds ?? [])],
            shallow: row.expansion?.shallow ?? false,
            resourceTypeIds: [...(row.expansion?.resourceTypeIds ?? [])],
          }))
      : [],
    missing: lookups(store),
    stats: goStats(
      store,
      resourceTypes.map((rt) => rt.id),
    ),
  };
}
