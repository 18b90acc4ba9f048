/**
 * What the engine checks and filters before it writes (baton-model.md §2.4, §2.14):
 * invalid objects are dropped and counted, traits must match the type, and
 * full syncs drop what points at resource types that were not synced.
 */
import { create, type DescMessage } from "@bufbuild/protobuf";
import { anyIs, findAnnotation, packAny, withoutAnnotation } from "../model/annotations.ts";
import type { Any } from "../model/types.ts";
import {
  AppTraitSchema,
  type Entitlement,
  ExternalResourceMatchAllSchema,
  ExternalResourceMatchIDSchema,
  ExternalResourceMatchSchema,
  type Grant,
  GrantExpandableSchema,
  GroupTraitSchema,
  type Resource,
  type ResourceType,
  ResourceType_Trait,
  RoleTraitSchema,
  SecretTraitSchema,
  SkipEntitlementsAndGrantsSchema,
  SkipEntitlementsSchema,
  SkipGrantsSchema,
  UserTraitSchema,
} from "../model/types.ts";

export function isValidResourceType(value: ResourceType | null | undefined): value is ResourceType {
  return !!value && typeof value.id === "string" && value.id !== "";
}

export function isValidResource(value: Resource | null | undefined): value is Resource {
  return !!value?.id && value.id.resourceType !== "" && value.id.resource !== "";
}

export function isValidEntitlement(value: Entitlement | null | undefined): value is Entitlement {
  return !!value && value.id !== "" && isValidResource(value.resource);
}

export function isValidGrant(value: Grant | null | undefined): value is Grant {
  return (
    !!value &&
    value.id !== "" &&
    !!value.entitlement &&
    value.entitlement.id !== "" &&
    !!value.principal?.id &&
    value.principal.id.resourceType !== "" &&
    value.principal.id.resource !== ""
  );
}

const TRAIT_ANNOTATIONS: ReadonlyMap<ResourceType_Trait, { name: string; schema: DescMessage }> = new Map([
  [ResourceType_Trait.USER, { name: "UserTrait", schema: UserTraitSchema }],
  [ResourceType_Trait.GROUP, { name: "GroupTrait", schema: GroupTraitSchema }],
  [ResourceType_Trait.ROLE, { name: "RoleTrait", schema: RoleTraitSchema }],
  [ResourceType_Trait.APP, { name: "AppTrait", schema: AppTraitSchema }],
  [ResourceType_Trait.SECRET, { name: "SecretTrait", schema: SecretTraitSchema }],
]);

/** The trait annotation a resource lacks, if its type declares one it must carry. */
export function missingTrait(type: ResourceType, resource: Resource): string | undefined {
  for (const trait of type.traits) {
    const expected = TRAIT_ANNOTATIONS.get(trait);
    if (expected && !resource.annotations.some((any) => anyIs(any, expected.schema))) return expected.name;
  }
  return undefined;
}

export type SkipKind = "entitlements" | "grants";

/** SkipEntitlementsAndGrants skips both; SkipEntitlements / SkipGrants skip one. */
export function skips(annotations: readonly Any[], kind: SkipKind): boolean {
  const specific = kind === "entitlements" ? SkipEntitlementsSchema : SkipGrantsSchema;
  return annotations.some((any) => anyIs(any, SkipEntitlementsAndGrantsSchema) || anyIs(any, specific));
}

function hasExternalResourceMatch(annotations: readonly Any[]): boolean {
  return annotations.some(
    (any) =>
      anyIs(any, ExternalResourceMatchSchema) ||
      anyIs(any, ExternalResourceMatchAllSchema) ||
      anyIs(any, ExternalResourceMatchIDSchema),
  );
}

export interface GrantFilterOutcome {
  grant?: Grant;
  dropped: boolean;
  expansionRewritten: boolean;
}

/**
 * Go's fresh-ingest filter for full syncs: drop the grant when its entitlement's
 * resource type or its principal's type was not synced; narrow
 * GrantExpandable.resource_type_ids to synced types, removing the annotation
 * when none is left (an empty list would mean "all types").
 */
export function filterFullSyncGrant(grant: Grant, synced: (resourceTypeId: string) => boolean): GrantFilterOutcome {
  const entitlementType = grant.entitlement?.resource?.id?.resourceType;
  const principalType = grant.principal?.id?.resourceType;
  if (entitlementType === undefined || principalType === undefined) {
    return { grant, dropped: false, expansionRewritten: false };
  }
  const external = hasExternalResourceMatch(grant.annotations);
  if (!synced(entitlementType) || (!synced(principalType) && !external)) {
    return { dropped: true, expansionRewritten: false };
  }
  if (external) return { grant, dropped: false, expansionRewritten: false };
  const expandable = findAnnotation(grant.annotations, GrantExpandableSchema);
  if (!expandable || expandable.resourceTypeIds.length === 0) {
    return { grant, dropped: false, expansionRewritten: false };
  }
  const kept = expandable.resourceTypeIds.filter(synced);
  if (kept.length === expandable.resourceTypeIds.length) return { grant, dropped: false, expansionRewritten: false };
  const annotations = withoutAnnotation(grant.annotations, GrantExpandableSchema);
  if (kept.length > 0) {
    annotations.push(
      packAny(GrantExpandableSchema, create(GrantExpandableSchema, { ...expandable, resourceTypeIds: kept })),
    );
  }
  return { grant: { ...grant, annotations }, dropped: false, expansionRewritten: true };
}

/** A grant carries a GrantExpandable with at least one non-blank source. */
export function isExpandable(grant: Grant): boolean {
  const expandable = findAnnotation(grant.annotations, GrantExpandableSchema);
  return !!expandable && expandable.entitlementIds.some((id) => id.trim() !== "");
}
