/**
 * Checks what a plugin returns before it reaches the store, so a connector bug is
 * reported as "plugin X, resource type Y, field Z" instead of a broken c1z.
 * The sync engine calls these on every page.
 */
import type { DescMessage } from "@bufbuild/protobuf";
import * as v from "valibot";
import { anyIs } from "../model/annotations.ts";
import type { Entitlement, Grant, Resource, ResourceType } from "../model/types.ts";
import {
  AppTraitSchema,
  GroupTraitSchema,
  RoleTraitSchema,
  SecretTraitSchema,
  UserTraitSchema,
} from "../proto/gen/c1/connector/v2/annotation_trait_pb.ts";
import { ResourceType_Trait } from "../proto/gen/c1/connector/v2/resource_pb.ts";
import type { Page } from "./contract.ts";
import {
  isAnyList,
  isMessage,
  isNonEmptyString,
  isPage,
  isPlain,
  isString,
  type OutputShape,
} from "./validation-fast-path.ts";

export type OutputKind = "resource" | "entitlement" | "grant" | "page";

export class PluginOutputError extends Error {
  constructor(
    readonly plugin: string,
    readonly resourceType: string,
    /** A dotted path into what the plugin returned, e.g. `items[3].id.resource`. */
    readonly field: string,
    readonly problem: string,
  ) {
    super(`plugin "${plugin}", resource type "${resourceType}": ${field} ${problem}`);
    this.name = "PluginOutputError";
  }
}

const nonEmpty = v.pipe(v.string("must be a string"), v.minLength(1, "must be a non-empty string"));
const message = (typeName: string, builder: string) =>
  v.custom<{ $typeName: string }>(
    (input) => typeof input === "object" && input !== null && (input as { $typeName?: unknown }).$typeName === typeName,
    `must be a ${typeName} message (build it with ${builder})`,
  );
const resourceIdSchema = v.object({ resourceType: nonEmpty, resource: nonEmpty }, "must be set (a ResourceId)");
const annotationsSchema = v.array(
  v.object({ typeUrl: nonEmpty, value: v.instance(Uint8Array, "must be bytes") }, "must be an Any"),
  "must be an array of Any",
);

const resourceSchema = v.intersect([
  message("c1.connector.v2.Resource", "resource(), user(), group()…"),
  v.object({
    id: resourceIdSchema,
    displayName: v.string("must be a string"),
    annotations: annotationsSchema,
    parentResourceId: v.optional(resourceIdSchema),
  }),
]);

const entitlementSchema = v.intersect([
  message("c1.connector.v2.Entitlement", "entitlement()"),
  v.object({
    id: nonEmpty,
    resource: v.object({ id: resourceIdSchema }, "must be set (the entitlement's resource)"),
    slug: v.string("must be a string"),
    annotations: annotationsSchema,
  }),
]);

const staticEntitlementSchema = v.intersect([
  message("c1.connector.v2.Entitlement", "an Entitlement message"),
  v.object({ slug: nonEmpty, annotations: annotationsSchema }),
]);

const grantSchema = v.intersect([
  message("c1.connector.v2.Grant", "grant()"),
  v.object({
    id: nonEmpty,
    entitlement: v.object({ id: nonEmpty, resource: v.object({ id: resourceIdSchema }, "must be set") }, "must be set"),
    principal: v.object({ id: resourceIdSchema }, "must be set (a Resource with an id)"),
    annotations: annotationsSchema,
  }),
]);

const pageSchema = v.object(
  {
    items: v.array(v.unknown(), "must be an array"),
    nextPageToken: v.optional(v.pipe(v.string("must be a string"), v.maxLength(1024 * 1024, "must be at most 1 MiB"))),
    annotations: v.optional(annotationsSchema),
  },
  "must be an object { items, nextPageToken? }",
);

// The same shapes as plain predicates (validation-fast-path.ts): true only where the schema above accepts.
const annotationsOk = (value: unknown) => isAnyList(value, isNonEmptyString);
const resourceIdOk = (value: unknown) =>
  isPlain(value) && isNonEmptyString(value.resourceType) && isNonEmptyString(value.resource);
const resourceOk = (value: unknown) =>
  isMessage(value, "c1.connector.v2.Resource") &&
  resourceIdOk(value.id) &&
  isString(value.displayName) &&
  annotationsOk(value.annotations) &&
  (value.parentResourceId === undefined || resourceIdOk(value.parentResourceId));
const entitlementOk = (value: unknown) =>
  isMessage(value, "c1.connector.v2.Entitlement") &&
  isNonEmptyString(value.id) &&
  isPlain(value.resource) &&
  resourceIdOk(value.resource.id) &&
  isString(value.slug) &&
  annotationsOk(value.annotations);
const staticEntitlementOk = (value: unknown) =>
  isMessage(value, "c1.connector.v2.Entitlement") && isNonEmptyString(value.slug) && annotationsOk(value.annotations);
const grantOk = (value: unknown) =>
  isMessage(value, "c1.connector.v2.Grant") &&
  isNonEmptyString(value.id) &&
  isPlain(value.entitlement) &&
  isNonEmptyString(value.entitlement.id) &&
  isPlain(value.entitlement.resource) &&
  resourceIdOk(value.entitlement.resource.id) &&
  isPlain(value.principal) &&
  resourceIdOk(value.principal.id) &&
  annotationsOk(value.annotations);
const pageOk = (value: unknown) =>
  isPage(
    value,
    () => true,
    (token) => token.length <= 1024 * 1024,
    annotationsOk,
  );

const resourceShape: OutputShape = { schema: resourceSchema, accepts: resourceOk };
const entitlementShape: OutputShape = { schema: entitlementSchema, accepts: entitlementOk };
const staticEntitlementShape: OutputShape = { schema: staticEntitlementSchema, accepts: staticEntitlementOk };
const grantShape: OutputShape = { schema: grantSchema, accepts: grantOk };
const pageShape: OutputShape = { schema: pageSchema, accepts: pageOk };

/** For tests: each shape's schema next to its fast path. */
export const OUTPUT_SHAPES = {
  resource: resourceShape,
  entitlement: entitlementShape,
  staticEntitlement: staticEntitlementShape,
  grant: grantShape,
  page: pageShape,
} as const;

function check<T>(shape: OutputShape, value: unknown, plugin: string, resourceType: string, prefix: string): T {
  if (shape.accepts(value)) return value as T;
  const result = v.safeParse(shape.schema, value);
  if (!result.success) {
    const issue = result.issues[0];
    const path = v.getDotPath(issue);
    throw new PluginOutputError(plugin, resourceType, path ? `${prefix}.${path}` : prefix, issue.message);
  }
  return value as T;
}

const TRAIT_SCHEMAS = new Map<ResourceType_Trait, DescMessage>([
  [ResourceType_Trait.USER, UserTraitSchema],
  [ResourceType_Trait.GROUP, GroupTraitSchema],
  [ResourceType_Trait.ROLE, RoleTraitSchema],
  [ResourceType_Trait.APP, AppTraitSchema],
  [ResourceType_Trait.SECRET, SecretTraitSchema],
]);

export function validatePage<T>(plugin: string, resourceType: string, page: unknown, what: string): Page<T> {
  return check<Page<T>>(pageShape, page, plugin, resourceType, what);
}

/** A listed resource: well formed, of the listed type, carrying each trait its type declares (as Go's `validateResourceTraits`). */
export function validateResource(plugin: string, type: ResourceType, value: unknown, at = "resource"): Resource {
  const resource = check<Resource>(resourceShape, value, plugin, type.id, at);
  if (resource.id!.resourceType !== type.id) {
    throw new PluginOutputError(
      plugin,
      type.id,
      `${at}.id.resourceType`,
      `is "${resource.id!.resourceType}", expected "${type.id}"`,
    );
  }
  for (const trait of type.traits) {
    const schema = TRAIT_SCHEMAS.get(trait);
    if (schema && !resource.annotations.some((any) => anyIs(any, schema))) {
      throw new PluginOutputError(
        plugin,
        type.id,
        `${at}.annotations`,
        `is missing the ${schema.typeName} the resource type declares`,
      );
    }
  }
  if (resource.annotations.some((any) => any.typeUrl.endsWith("/c1.connector.v2.BatonID"))) {
    throw new PluginOutputError(plugin, type.id, `${at}.annotations`, "must not carry BatonID (reserved for the SDK)");
  }
  return resource;
}

export function validateEntitlement(
  plugin: string,
  resourceType: string,
  value: unknown,
  at = "entitlement",
): Entitlement {
  return check<Entitlement>(entitlementShape, value, plugin, resourceType, at);
}

/** A static entitlement template: a slug, no resource (the engine stamps one per resource). */
export function validateStaticEntitlement(
  plugin: string,
  resourceType: string,
  value: unknown,
  at = "staticEntitlement",
): Entitlement {
  return check<Entitlement>(staticEntitlementShape, value, plugin, resourceType, at);
}

export function validateGrant(plugin: string, resourceType: string, value: unknown, at = "grant"): Grant {
  return check<Grant>(grantShape, value, plugin, resourceType, at);
}

/** Validates a whole page of one kind; item paths read `items[i].field`. */
export function validateResourcePage(plugin: string, type: ResourceType, page: unknown): Page<Resource> {
  const checked = validatePage<unknown>(plugin, type.id, page, "page");
  for (const [i, item] of checked.items.entries()) validateResource(plugin, type, item, `items[${i}]`);
  return checked as Page<Resource>;
}

export function validateEntitlementPage(plugin: string, resourceType: string, page: unknown): Page<Entitlement> {
  const checked = validatePage<unknown>(plugin, resourceType, page, "page");
  for (const [i, item] of checked.items.entries()) validateEntitlement(plugin, resourceType, item, `items[${i}]`);
  return checked as Page<Entitlement>;
}

export function validateGrantPage(plugin: string, resourceType: string, page: unknown): Page<Grant> {
  const checked = validatePage<unknown>(plugin, resourceType, page, "page");
  for (const [i, item] of checked.items.entries()) validateGrant(plugin, resourceType, item, `items[${i}]`);
  return checked as Page<Grant>;
}
