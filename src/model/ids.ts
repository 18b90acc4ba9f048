import type { ResourceId } from "../proto/gen/c1/connector/v2/resource_pb.ts";

/** `v1_resources.external_id`: `"<resourceType>:<resource>"`. */
export function resourceExternalId(id: Pick<ResourceId, "resourceType" | "resource">): string {
  return `${id.resourceType}:${id.resource}`;
}

/** Baton's entitlement id: `"<resourceType>:<resourceId>:<slug>"`, a raw `:` join. */
export function entitlementId(resource: Pick<ResourceId, "resourceType" | "resource">, slug: string): string {
  return `${resource.resourceType}:${resource.resource}:${slug}`;
}

/** Baton's grant id: `"<entitlementId>:<principalType>:<principalId>"`. */
export function grantId(entitlement: string, principal: Pick<ResourceId, "resourceType" | "resource">): string {
  return `${entitlement}:${principal.resourceType}:${principal.resource}`;
}

/** Baton's `NewResourceType` id rule: lower-cased name with spaces as dashes. */
export function resourceTypeIdFromName(name: string): string {
  return name.toLowerCase().replaceAll(" ", "-");
}
