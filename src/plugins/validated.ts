/**
 * A plugin wrapper that checks the *shape* of every page before the sync engine
 * sees it, so a plain object, a number where a string belongs or a missing
 * page is reported as "plugin X, resource type Y: items[3].displayName …"
 * instead of a protobuf encoding error. What Baton itself tolerates or rejects
 * (empty ids are dropped with a warning, missing traits fail the sync) is left
 * to the engine, so Go's semantics are unchanged.
 */
import * as v from "valibot";
import type { AnyPlugin, ResourceTypeDefinition } from "./contract.ts";
import { PluginOutputError } from "./validate-output.ts";
import { isAnyList, isMessage, isPage, isString, type OutputShape } from "./validation-fast-path.ts";

const message = (typeName: string, builder: string) =>
  v.custom<unknown>(
    (input) => typeof input === "object" && input !== null && (input as { $typeName?: unknown }).$typeName === typeName,
    `must be a ${typeName} message (build it with ${builder})`,
  );
const optionalMessage = (typeName: string, builder: string, entries: v.ObjectEntries) =>
  v.optional(v.intersect([message(typeName, builder), v.object(entries)]));
const resourceId = optionalMessage("c1.connector.v2.ResourceId", "resourceId()", {
  resourceType: v.string("must be a string"),
  resource: v.string("must be a string"),
});
const anyList = v.array(
  v.object({ typeUrl: v.string("must be a string"), value: v.instance(Uint8Array, "must be bytes") }, "must be an Any"),
  "must be an array of Any (use packAny)",
);

const resourceShape = v.intersect([
  message("c1.connector.v2.Resource", "resource(), user(), group()…"),
  v.object({
    id: resourceId,
    parentResourceId: resourceId,
    displayName: v.string("must be a string"),
    annotations: anyList,
  }),
]);
const entitlementShape = v.intersect([
  message("c1.connector.v2.Entitlement", "entitlement()"),
  v.object({
    id: v.string("must be a string"),
    slug: v.string("must be a string"),
    resource: optionalMessage("c1.connector.v2.Resource", "resource()", { id: resourceId }),
    annotations: anyList,
  }),
]);
const grantShape = v.intersect([
  message("c1.connector.v2.Grant", "grant()"),
  v.object({
    id: v.string("must be a string"),
    entitlement: optionalMessage("c1.connector.v2.Entitlement", "entitlement()", {
      id: v.string("must be a string"),
      resource: optionalMessage("c1.connector.v2.Resource", "resource()", { id: resourceId }),
    }),
    principal: optionalMessage("c1.connector.v2.Resource", "a Resource or resourceId()", { id: resourceId }),
    annotations: anyList,
  }),
]);

function pageShape(item: v.GenericSchema) {
  return v.object(
    {
      items: v.array(v.union([v.null(), v.undefined(), item]), "must be an array"),
      nextPageToken: v.optional(v.string("must be a string")),
      annotations: v.optional(anyList),
    },
    "must be an object { items, nextPageToken? }",
  );
}

// The same shapes as plain predicates (validation-fast-path.ts): true only where the schema above accepts.
const anyListOk = (value: unknown) => isAnyList(value, isString);
const optionalResourceIdOk = (value: unknown) =>
  value === undefined ||
  (isMessage(value, "c1.connector.v2.ResourceId") && isString(value.resourceType) && isString(value.resource));
const optionalResourceWithIdOk = (value: unknown) =>
  value === undefined || (isMessage(value, "c1.connector.v2.Resource") && optionalResourceIdOk(value.id));
const resourceOk = (value: unknown) =>
  isMessage(value, "c1.connector.v2.Resource") &&
  optionalResourceIdOk(value.id) &&
  optionalResourceIdOk(value.parentResourceId) &&
  isString(value.displayName) &&
  anyListOk(value.annotations);
const entitlementOk = (value: unknown) =>
  isMessage(value, "c1.connector.v2.Entitlement") &&
  isString(value.id) &&
  isString(value.slug) &&
  optionalResourceWithIdOk(value.resource) &&
  anyListOk(value.annotations);
const grantEntitlementOk = (value: unknown) =>
  value === undefined ||
  (isMessage(value, "c1.connector.v2.Entitlement") && isString(value.id) && optionalResourceWithIdOk(value.resource));
const grantOk = (value: unknown) =>
  isMessage(value, "c1.connector.v2.Grant") &&
  isString(value.id) &&
  grantEntitlementOk(value.entitlement) &&
  optionalResourceWithIdOk(value.principal) &&
  anyListOk(value.annotations);
const pageOk = (item: (value: unknown) => boolean) => (value: unknown) =>
  isPage(
    value,
    (entry) => entry === null || entry === undefined || item(entry),
    () => true,
    anyListOk,
  );

const resourceGet: OutputShape = { schema: resourceShape, accepts: resourceOk };
const resourcePage: OutputShape = { schema: pageShape(resourceShape), accepts: pageOk(resourceOk) };
const entitlementPage: OutputShape = { schema: pageShape(entitlementShape), accepts: pageOk(entitlementOk) };
const grantPage: OutputShape = { schema: pageShape(grantShape), accepts: pageOk(grantOk) };

/** For tests: each shape's schema next to its fast path. */
export const OUTPUT_SHAPES = { resourceGet, resourcePage, entitlementPage, grantPage } as const;

function check<T>(shape: OutputShape, value: T, plugin: string, resourceType: string, what: string): T {
  if (shape.accepts(value)) return value;
  const result = v.safeParse(shape.schema, value);
  if (!result.success) {
    let issue = result.issues[0];
    // Inside `null | undefined | message`, skip the null/undefined alternatives; report the message's first problem.
    for (;;) {
      const next = issue.issues?.find((sub) => sub.type !== "null" && sub.type !== "undefined");
      if (!next) break;
      issue = next;
    }
    // Issues inside a union carry paths relative to the union's input; join them to the outer path.
    const outer = v.getDotPath(result.issues[0]);
    const inner = issue === result.issues[0] ? null : v.getDotPath(issue);
    const where = outer && inner && !inner.startsWith(outer) ? `${outer}.${inner}` : (inner ?? outer);
    throw new PluginOutputError(plugin, resourceType, where ? `${what}.${where}` : what, issue.message);
  }
  return value;
}

function wrapType(plugin: string, definition: ResourceTypeDefinition<unknown>): ResourceTypeDefinition<unknown> {
  const rt = definition.resourceType.id;
  const wrapped: ResourceTypeDefinition<unknown> = {
    ...definition,
    list: async (parent, ctx) => check(resourcePage, await definition.list(parent, ctx), plugin, rt, "list()"),
    entitlements: async (resource, ctx) =>
      check(entitlementPage, await definition.entitlements(resource, ctx), plugin, rt, "entitlements()"),
    grants: async (resource, ctx) => check(grantPage, await definition.grants(resource, ctx), plugin, rt, "grants()"),
  };
  if (definition.staticEntitlements) {
    const staticEntitlements = definition.staticEntitlements.bind(definition);
    wrapped.staticEntitlements = async (ctx) =>
      check(entitlementPage, await staticEntitlements(ctx), plugin, rt, "staticEntitlements()");
  }
  if (definition.get) {
    const get = definition.get.bind(definition);
    wrapped.get = async (id, parent, ctx) => {
      const found = await get(id, parent, ctx);
      return found === undefined ? undefined : check(resourceGet, found, plugin, rt, "get()");
    };
  }
  return wrapped;
}

const validated = new WeakSet<AnyPlugin>();

/**
 * The same plugin with every listing's output shape-checked. `runSync` applies
 * it, so every trigger (CLI, HTTP, cron) gets it; wrapping twice is a no-op.
 */
export function withOutputValidation(plugin: AnyPlugin): AnyPlugin {
  if (validated.has(plugin)) return plugin;
  const wrapped = {
    ...plugin,
    resourceTypes: plugin.resourceTypes.map((definition) => wrapType(plugin.name, definition)),
  };
  validated.add(wrapped);
  return wrapped;
}
