import { fromBinary } from "@bufbuild/protobuf";
import { anyIs } from "../model/annotations.ts";
import { type Grant, type GrantExpandable, GrantExpandableSchema, GrantSchema } from "../model/types.ts";
import { toGoBinaryRow } from "../proto/fast-encode.ts";
import type { EncodedGrantRow } from "./store.ts";

export interface SplitGrant {
  /** The grant without GrantExpandable annotations, encoded like Go (`data`; may be a view into a shared slab). */
  data: Uint8Array;
  /** Bare GrantExpandable bytes (`expansion`), or null when it has no non-blank entitlement id. */
  expansion: Uint8Array | null;
  /** Whether a GrantExpandable annotation was removed. */
  stripped: boolean;
}

/** Go's `extractAndStripExpansion`: the annotation leaves `data`, its bytes go to the `expansion` column. */
export function splitGrantExpansion(grant: Grant): SplitGrant {
  const index = grant.annotations.findIndex((any) => anyIs(any, GrantExpandableSchema));
  if (index < 0) return { data: toGoBinaryRow(GrantSchema, grant), expansion: null, stripped: false };
  const found = grant.annotations[index];
  // A shallow copy keeps $typeName and $unknown (unknown fields survive).
  const stripped: Grant = {
    ...grant,
    annotations: grant.annotations.filter((any) => !anyIs(any, GrantExpandableSchema)),
  };
  const expandable = fromBinary(GrantExpandableSchema, found.value);
  const usable = expandable.entitlementIds.some((id) => id.trim() !== "");
  return { data: toGoBinaryRow(GrantSchema, stripped), expansion: usable ? found.value : null, stripped: true };
}

export function decodeExpansion(bytes: Uint8Array | null | undefined): GrantExpandable | undefined {
  if (!bytes || bytes.length === 0) return undefined;
  return fromBinary(GrantExpandableSchema, bytes);
}

/** A grant as its v1_grants row, checked: Go's baton CLI dereferences these ids without nil checks. */
export function encodedGrantRow(grant: Grant): EncodedGrantRow {
  if (!grant.id) throw new Error("grant without an id");
  const resource = grant.entitlement?.resource?.id;
  const principal = grant.principal?.id;
  if (!grant.entitlement?.id || !resource) {
    throw new Error(`grant ${grant.id} does not embed its entitlement (id and resource id)`);
  }
  if (!principal) throw new Error(`grant ${grant.id} does not embed its principal id`);
  const split = splitGrantExpansion(grant);
  return {
    resourceTypeId: resource.resourceType,
    resourceId: resource.resource,
    entitlementId: grant.entitlement.id,
    principalResourceTypeId: principal.resourceType,
    principalResourceId: principal.resource,
    externalId: grant.id,
    data: split.data,
    expansion: split.expansion,
  };
}
