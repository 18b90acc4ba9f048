/**
 * Builders that mirror baton-sdk's helpers (`NewUserResource`, `NewAssignmentEntitlement`,
 * `NewGrant`, …): the same ids, the same defaults, the same embedded objects.
 */
import { create, type JsonObject } from "@bufbuild/protobuf";
import { type Any, type Timestamp, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { GrantExpandableSchema, GrantMetadataSchema } from "../proto/gen/c1/connector/v2/annotation_grant_pb.ts";
import {
  ChildResourceTypeSchema,
  SkipEntitlementsAndGrantsSchema,
  SkipEntitlementsSchema,
  SkipGrantsSchema,
} from "../proto/gen/c1/connector/v2/annotation_resource_tree_pb.ts";
import {
  AppTrait_AppFlag,
  AppTraitSchema,
  GroupTraitSchema,
  RoleTraitSchema,
  SecretTraitSchema,
  UserTrait_AccountType,
  UserTrait_Status_Status,
  UserTraitSchema,
} from "../proto/gen/c1/connector/v2/annotation_trait_pb.ts";
import {
  type Entitlement,
  Entitlement_PurposeValue,
  EntitlementSchema,
} from "../proto/gen/c1/connector/v2/entitlement_pb.ts";
import { type Grant, GrantSchema } from "../proto/gen/c1/connector/v2/grant_pb.ts";
import {
  type Resource,
  Resource_Status_ResourceStatus,
  type ResourceId,
  ResourceIdSchema,
  ResourceSchema,
  type ResourceType,
  ResourceType_Trait,
  ResourceTypeSchema,
} from "../proto/gen/c1/connector/v2/resource_pb.ts";
import { packAny } from "./annotations.ts";
import { entitlementId, grantId, resourceTypeIdFromName } from "./ids.ts";

export type TraitName = "user" | "group" | "role" | "app" | "secret";
const TRAITS: Record<TraitName, ResourceType_Trait> = {
  user: ResourceType_Trait.USER,
  group: ResourceType_Trait.GROUP,
  role: ResourceType_Trait.ROLE,
  app: ResourceType_Trait.APP,
  secret: ResourceType_Trait.SECRET,
};

export interface ResourceTypeOptions {
  /** Defaults to the display name lower-cased with spaces as dashes, as `NewResourceType` does. */
  id?: string;
  displayName: string;
  traits?: TraitName[];
  description?: string;
  /** Baton's SkipEntitlementsAndGrants / SkipEntitlements / SkipGrants annotations on the type. */
  skip?: "entitlementsAndGrants" | "entitlements" | "grants";
  annotations?: Any[];
}

export function resourceType(options: ResourceTypeOptions): ResourceType {
  return create(ResourceTypeSchema, {
    id: options.id ?? resourceTypeIdFromName(options.displayName),
    displayName: options.displayName,
    traits: (options.traits ?? []).map((trait) => TRAITS[trait]),
    description: options.description ?? "",
    annotations: [...skipAnnotations(options.skip), ...(options.annotations ?? [])],
  });
}

function skipAnnotations(skip: ResourceTypeOptions["skip"]): Any[] {
  switch (skip) {
    case "entitlementsAndGrants":
      return [packAny(SkipEntitlementsAndGrantsSchema, create(SkipEntitlementsAndGrantsSchema))];
    case "entitlements":
      return [packAny(SkipEntitlementsSchema, create(SkipEntitlementsSchema))];
    case "grants":
      return [packAny(SkipGrantsSchema, create(SkipGrantsSchema))];
    default:
      return [];
  }
}

export function resourceId(resourceTypeId: string, id: string | number | bigint): ResourceId {
  return create(ResourceIdSchema, { resourceType: resourceTypeId, resource: String(id) });
}

export type Profile = JsonObject;

export interface ResourceOptions {
  /** The resource type id, e.g. `"user"`. */
  type: string;
  id: string | number | bigint;
  displayName: string;
  description?: string;
  parent?: ResourceId;
  /** Resource types listed under this resource (`ChildResourceType` annotations). */
  childTypes?: string[];
  skip?: ResourceTypeOptions["skip"];
  annotations?: Any[];
}

export function resource(options: ResourceOptions, traitAnnotations: Any[] = []): Resource {
  return create(ResourceSchema, {
    id: resourceId(options.type, options.id),
    parentResourceId: options.parent,
    displayName: options.displayName,
    description: options.description ?? "",
    annotations: [
      ...traitAnnotations,
      ...(options.childTypes ?? []).map((child) =>
        packAny(ChildResourceTypeSchema, create(ChildResourceTypeSchema, { resourceTypeId: child })),
      ),
      ...skipAnnotations(options.skip),
      ...(options.annotations ?? []),
    ],
  });
}

// protobuf-es represents google.protobuf.Struct fields as plain JSON objects.
function profileStruct(profile: Profile): JsonObject {
  return structuredClone(profile);
}

export type UserStatus = "enabled" | "disabled" | "deleted";
const USER_STATUS: Record<UserStatus, UserTrait_Status_Status> = {
  enabled: UserTrait_Status_Status.ENABLED,
  disabled: UserTrait_Status_Status.DISABLED,
  deleted: UserTrait_Status_Status.DELETED,
};
const RESOURCE_STATUS: Record<UserStatus, Resource_Status_ResourceStatus> = {
  enabled: Resource_Status_ResourceStatus.ENABLED,
  disabled: Resource_Status_ResourceStatus.DISABLED,
  deleted: Resource_Status_ResourceStatus.DELETED,
};
export type AccountType = "human" | "service" | "system";
const ACCOUNT_TYPE: Record<AccountType, UserTrait_AccountType> = {
  human: UserTrait_AccountType.HUMAN,
  service: UserTrait_AccountType.SERVICE,
  system: UserTrait_AccountType.SYSTEM,
};

export interface UserOptions extends Omit<ResourceOptions, "type"> {
  type?: string;
  emails?: { address: string; primary?: boolean }[];
  /** Defaults to `enabled`, as `NewUserTrait` does. */
  status?: UserStatus;
  statusDetails?: string;
  /** Defaults to `human`, as `NewUserTrait` does. */
  accountType?: AccountType;
  login?: string;
  loginAliases?: string[];
  employeeIds?: string[];
  profile?: Profile;
  createdAt?: Date;
  lastLogin?: Date;
  mfaEnabled?: boolean;
  ssoEnabled?: boolean;
  name?: { given?: string; family?: string; middle?: string[]; prefix?: string; suffix?: string };
}

function timestamp(date: Date | undefined): Timestamp | undefined {
  return date ? timestampFromDate(date) : undefined;
}

export function user(options: UserOptions): Resource {
  const status = options.status ?? "enabled";
  const profile = options.profile ? profileStruct(options.profile) : undefined;
  const trait = create(UserTraitSchema, {
    emails: (options.emails ?? []).map((email) => ({ address: email.address, isPrimary: email.primary ?? false })),
    status: { status: USER_STATUS[status], details: options.statusDetails ?? "" },
    profile,
    accountType: ACCOUNT_TYPE[options.accountType ?? "human"],
    login: options.login ?? "",
    loginAliases: options.loginAliases ?? [],
    createdAt: timestamp(options.createdAt),
    lastLogin: timestamp(options.lastLogin),
    mfaStatus: options.mfaEnabled === undefined ? undefined : { mfaEnabled: options.mfaEnabled },
    ssoStatus: options.ssoEnabled === undefined ? undefined : { ssoEnabled: options.ssoEnabled },
    structuredName: options.name
      ? {
          givenName: options.name.given ?? "",
          familyName: options.name.family ?? "",
          middleNames: options.name.middle ?? [],
          prefix: options.name.prefix ?? "",
          suffix: options.name.suffix ?? "",
        }
      : undefined,
    employeeIds: options.employeeIds ?? [],
  });
  const built = resource({ ...options, type: options.type ?? "user" }, [packAny(UserTraitSchema, trait)]);
  // Current baton-sdk copies the trait's profile, status and created_at onto the resource as well.
  built.profile = profile;
  built.status = {
    $typeName: "c1.connector.v2.Resource.Status",
    status: RESOURCE_STATUS[status],
    details: options.statusDetails ?? "",
  };
  built.createdAt = timestamp(options.createdAt);
  return built;
}

export interface GroupOptions extends Omit<ResourceOptions, "type"> {
  type?: string;
  profile?: Profile;
  sourceType?: string;
}

export function group(options: GroupOptions): Resource {
  const profile = options.profile ? profileStruct(options.profile) : undefined;
  const trait = create(GroupTraitSchema, { profile, groupSourceType: options.sourceType ?? "" });
  const built = resource({ ...options, type: options.type ?? "group" }, [packAny(GroupTraitSchema, trait)]);
  built.profile = profile;
  return built;
}

export interface RoleOptions extends Omit<ResourceOptions, "type"> {
  type?: string;
  profile?: Profile;
}

export function role(options: RoleOptions): Resource {
  const profile = options.profile ? profileStruct(options.profile) : undefined;
  const trait = create(RoleTraitSchema, { profile });
  const built = resource({ ...options, type: options.type ?? "role" }, [packAny(RoleTraitSchema, trait)]);
  built.profile = profile;
  return built;
}

export type AppFlag = "hidden" | "inactive" | "saml" | "oidc" | "bookmark";
const APP_FLAGS: Record<AppFlag, AppTrait_AppFlag> = {
  hidden: AppTrait_AppFlag.HIDDEN,
  inactive: AppTrait_AppFlag.INACTIVE,
  saml: AppTrait_AppFlag.SAML,
  oidc: AppTrait_AppFlag.OIDC,
  bookmark: AppTrait_AppFlag.BOOKMARK,
};

export interface AppOptions extends Omit<ResourceOptions, "type"> {
  type?: string;
  helpUrl?: string;
  flags?: AppFlag[];
  profile?: Profile;
}

export function app(options: AppOptions): Resource {
  const profile = options.profile ? profileStruct(options.profile) : undefined;
  const trait = create(AppTraitSchema, {
    helpUrl: options.helpUrl ?? "",
    flags: (options.flags ?? []).map((flag) => APP_FLAGS[flag]),
    profile,
  });
  const built = resource({ ...options, type: options.type ?? "app" }, [packAny(AppTraitSchema, trait)]);
  built.profile = profile;
  return built;
}

export interface SecretOptions extends Omit<ResourceOptions, "type"> {
  type?: string;
  createdAt?: Date;
  expiresAt?: Date;
  lastUsedAt?: Date;
  createdBy?: ResourceId;
  identity?: ResourceId;
  profile?: Profile;
}

export function secret(options: SecretOptions): Resource {
  const trait = create(SecretTraitSchema, {
    profile: options.profile ? profileStruct(options.profile) : undefined,
    createdAt: timestamp(options.createdAt),
    expiresAt: timestamp(options.expiresAt),
    lastUsedAt: timestamp(options.lastUsedAt),
    createdById: options.createdBy,
    identityId: options.identity,
  });
  return resource({ ...options, type: options.type ?? "secret" }, [packAny(SecretTraitSchema, trait)]);
}

export type Purpose = "assignment" | "permission" | "ownership";
const PURPOSE: Record<Purpose, Entitlement_PurposeValue> = {
  assignment: Entitlement_PurposeValue.ASSIGNMENT,
  permission: Entitlement_PurposeValue.PERMISSION,
  ownership: Entitlement_PurposeValue.OWNERSHIP,
};

export interface EntitlementOptions {
  /** Defaults to `assignment` (`NewAssignmentEntitlement`). */
  purpose?: Purpose;
  grantableTo?: ResourceType[];
  /** Defaults to the slug, as the Go builders do. */
  displayName?: string;
  description?: string;
  annotations?: Any[];
}

/** An entitlement on `owner` with id `type:id:slug`, embedding the whole resource. */
export function entitlement(owner: Resource, slug: string, options: EntitlementOptions = {}): Entitlement {
  if (!owner.id) throw new TypeError("entitlement(): the resource has no id");
  return create(EntitlementSchema, {
    resource: owner,
    id: entitlementId(owner.id, slug),
    displayName: options.displayName ?? slug,
    description: options.description ?? "",
    grantableTo: options.grantableTo ?? [],
    annotations: options.annotations ?? [],
    purpose: PURPOSE[options.purpose ?? "assignment"],
    slug,
  });
}

export interface GrantOptions {
  /** `GrantExpandable`: holders of these entitlements also hold this grant's entitlement. */
  expandable?: { entitlementIds: string[]; shallow?: boolean; resourceTypeIds?: string[] };
  metadata?: Profile;
  annotations?: Any[];
}

/**
 * A grant of `owner`'s entitlement `slug` (or of a given entitlement) to `principal`.
 * Like `NewGrant`, the embedded entitlement is a stub `{id, resource}` and the
 * grant id is `entitlementId:principalType:principalId`.
 */
export function grant(
  owner: Resource,
  slugOrEntitlement: string | Entitlement,
  principal: ResourceId | Resource,
  options: GrantOptions = {},
): Grant {
  if (!owner.id) throw new TypeError("grant(): the resource has no id");
  const principalResource: Resource =
    principal.$typeName === "c1.connector.v2.ResourceId" ? create(ResourceSchema, { id: principal }) : principal;
  if (!principalResource.id?.resourceType || !principalResource.id.resource) {
    throw new TypeError("grant(): the principal has no id");
  }
  const entId =
    typeof slugOrEntitlement === "string" ? entitlementId(owner.id, slugOrEntitlement) : slugOrEntitlement.id;
  const annotations = [...(options.annotations ?? [])];
  if (options.metadata) {
    annotations.push(
      packAny(GrantMetadataSchema, create(GrantMetadataSchema, { metadata: profileStruct(options.metadata) })),
    );
  }
  if (options.expandable) {
    annotations.push(
      packAny(
        GrantExpandableSchema,
        create(GrantExpandableSchema, {
          entitlementIds: options.expandable.entitlementIds,
          shallow: options.expandable.shallow ?? false,
          resourceTypeIds: options.expandable.resourceTypeIds ?? [],
        }),
      ),
    );
  }
  return create(GrantSchema, {
    entitlement: create(EntitlementSchema, { id: entId, resource: owner }),
    principal: principalResource,
    id: grantId(entId, principalResource.id),
    annotations,
  });
}
