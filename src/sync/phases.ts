/**
 * One page of each action (Go's Sync* functions in pkg/sync/syncer.go). Each
 * handler either stores the next page token on the action or finishes it,
 * pushing child actions on the stack. Writes happen before the token moves,
 * so a checkpoint never runs ahead of the data.
 */
import { create, fromBinary } from "@bufbuild/protobuf";
import { anyIs, findAllAnnotations, hasAnnotation, packAny } from "../model/annotations.ts";
import { entitlementId, resourceExternalId } from "../model/ids.ts";
import {
  type Any,
  BatonIDSchema,
  ChildResourceTypeSchema,
  type Entitlement,
  EntitlementExclusionGroupSchema,
  EntitlementSchema,
  type Grant,
  InsertResourceGrantsSchema,
  type Resource,
  type ResourceId,
  ResourceIdSchema,
  type ResourceType,
} from "../model/types.ts";
import type { Page, ResourceTypeDefinition, SyncCallContext } from "../plugins/contract.ts";
import { NotFoundError } from "../upstream/errors.ts";
import { SyncError } from "./errors.ts";
import { GrantExpansion } from "./expand.ts";
import {
  filterFullSyncGrant,
  isExpandable,
  isValidEntitlement,
  isValidGrant,
  isValidResource,
  isValidResourceType,
  missingTrait,
  skips,
} from "./ingest.ts";
import { describe, type SyncRun } from "./run.ts";
import type { Action, NewAction } from "./state.ts";

/**
 * Store pages used to fan out per-resource actions. Small pages keep the
 * checkpoint token bounded: at most this many pending actions per phase.
 */
export const PLAN_PAGE_SIZE = 100;

/** Baton validates page tokens at ≤ 1 MiB. */
export const MAX_PAGE_TOKEN_BYTES = 1024 * 1024;

function byteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}

function callContext(run: SyncRun, pageToken: string): SyncCallContext<unknown> {
  return { ...run.pluginContext(), syncId: run.syncId, pageToken };
}

/** The plugin's next token, after the loop guard and the size limit. */
function checkedNextToken(run: SyncRun, action: Action, page: Page<unknown> | undefined): string {
  if (!page || !Array.isArray(page.items)) {
    throw new SyncError("the plugin returned no page (expected { items: [...] })", run.errorContext(action));
  }
  const next = page.nextPageToken ?? "";
  if (next !== "" && next === action.pageToken) {
    throw new SyncError(
      `next page token unchanged (${JSON.stringify(next.slice(0, 64))}): likely a plugin bug`,
      run.errorContext(action),
    );
  }
  if (byteLength(next) > MAX_PAGE_TOKEN_BYTES) {
    throw new SyncError(`next page token is larger than 1 MiB (${byteLength(next)} bytes)`, run.errorContext(action));
  }
  return next;
}

/** Go's nextPageOrFinishAction: push children, then move the token or finish. */
function advance(run: SyncRun, action: Action, next: string, children: NewAction[] = []): void {
  for (const child of children) run.state.push(child);
  if (next === "") run.state.finish(action.id);
  else run.state.setPageToken(action.id, next);
}

function definitionFor(run: SyncRun, action: Action, resourceTypeId: string): ResourceTypeDefinition {
  const definition = run.definition(resourceTypeId);
  if (!definition) {
    throw new SyncError(`the plugin has no resource type "${resourceTypeId}"`, run.errorContext(action));
  }
  return definition;
}

function resourceTypeOf(run: SyncRun, resourceTypeId: string): ResourceType | undefined {
  return run.resourceType(resourceTypeId);
}

function skipsFor(run: SyncRun, resource: Resource, kind: "entitlements" | "grants"): boolean {
  if (run.state.shouldSkipEntitlementsAndGrants) return true;
  if (kind === "grants" && run.state.shouldSkipGrants) return true;
  if (skips(resource.annotations, kind)) return true;
  const type = resource.id ? resourceTypeOf(run, resource.id.resourceType) : undefined;
  return type ? skips(type.annotations, kind) : false;
}

export async function runAction(run: SyncRun, action: Action): Promise<void> {
  switch (action.op) {
    case "init":
      return init(run, action);
    case "list-resource-types":
      return listResourceTypes(run, action);
    case "list-resources":
      return action.resourceTypeId === "" ? planPerType(run, action) : listResources(run, action);
    case "list-static-entitlements":
      return action.resourceTypeId === "" ? planStaticEntitlements(run, action) : listStaticEntitlements(run, action);
    case "list-entitlements":
      return action.resourceId === "" ? planPerResource(run, action, "entitlements") : listEntitlements(run, action);
    case "list-grants":
      return action.resourceId === "" ? planPerResource(run, action, "grants") : listGrants(run, action);
    case "grant-expansion":
      return grantExpansion(run, action);
    case "targeted-resource-sync":
      return targetedResource(run, action);
    case "list-external-resources":
    case "fetch-assets":
      // Go tokens may hold these; we configure no external c1z and Go itself no longer fetches assets.
      run.log.info(`skipping ${action.op}: not supported by this engine`);
      advance(run, action, "");
      return;
    default:
      throw new SyncError(`unsupported action "${action.op}" in the sync token`, run.errorContext(action));
  }
}

/** Go's InitOp: pushes the phases in reverse so they run in Baton's order. */
function init(run: SyncRun, action: Action): void {
  const { state, options } = run;
  state.finish(action.id);
  if (options.resourcesOnly) state.shouldSkipEntitlementsAndGrants = true;
  if (options.skipGrants) state.shouldSkipGrants = true;
  const targets = options.targetResources ?? [];
  if (targets.length > 0) {
    for (const target of targets) {
      state.push({ op: "targeted-resource-sync", resourceTypeId: target.resourceType, resourceId: target.resource });
    }
    state.shouldFetchRelatedResources = true;
    state.push({ op: "list-resource-types" });
    return;
  }
  if (!state.shouldSkipEntitlementsAndGrants) {
    state.push({ op: "grant-expansion" });
    if (!state.shouldSkipGrants) state.push({ op: "list-grants" });
    state.push({ op: "list-entitlements" });
    state.push({ op: "list-static-entitlements" });
  }
  state.push({ op: "list-resources" });
  state.push({ op: "list-resource-types" });
}

function listResourceTypes(run: SyncRun, action: Action): void {
  const enabled = run.plugin.syncedResourceTypes?.(run.client);
  const declared = run.plugin.resourceTypes
    .map((definition) => definition.resourceType)
    .filter((type) => enabled === undefined || enabled.includes(type.id));
  const valid = declared.filter(isValidResourceType);
  run.dropInvalid("resource types", action, declared.length - valid.length);
  const filter = run.options.resourceTypeIds;
  let kept = valid;
  if (filter && filter.length > 0) {
    const known = new Set(valid.map((type) => type.id));
    for (const id of filter) {
      if (!known.has(id)) {
        throw new SyncError(`invalid resource type '${id}' in filter`, run.errorContext(action));
      }
    }
    const wanted = new Set(filter);
    kept = valid.filter((type) => wanted.has(type.id));
  }
  run.store.putResourceTypes(kept);
  run.countWritten("resourceTypes", kept.length);
  run.forgetSyncedTypes();
  advance(run, action, "");
}

/** Root list-resources: one list-resources action per stored resource type, a store page at a time. */
function planPerType(run: SyncRun, action: Action): void {
  const page = run.store.listResourceTypes({
    syncId: run.syncId,
    pageToken: action.pageToken,
    pageSize: PLAN_PAGE_SIZE,
  });
  const children: NewAction[] = page.items.map((type) => ({
    op: "list-resources",
    resourceTypeId: type.id,
    parentResourceTypeId: action.parentResourceTypeId,
    parentResourceId: action.parentResourceId,
  }));
  advance(run, action, page.nextPageToken, children);
}

function parentOf(action: Action): ResourceId | undefined {
  if (action.parentResourceTypeId === "" && action.parentResourceId === "") return undefined;
  return create(ResourceIdSchema, { resourceType: action.parentResourceTypeId, resource: action.parentResourceId });
}

/** Child listings for a resource's ChildResourceType annotations, once per (type, parent). */
function childActions(run: SyncRun, resource: Resource): NewAction[] {
  const filter = run.options.resourceTypeIds;
  const wanted = filter && filter.length > 0 ? new Set(filter) : undefined;
  const children: NewAction[] = [];
  const id = resource.id as ResourceId;
  for (const child of findAllAnnotations(resource.annotations, ChildResourceTypeSchema)) {
    const type = child.resourceTypeId;
    if (type === "" || (wanted && !wanted.has(type))) continue;
    const key = `${type}\u0000${resourceExternalId(id)}`;
    if (run.scheduledChildren.has(key)) continue;
    run.scheduledChildren.add(key);
    children.push({
      op: "list-resources",
      resourceTypeId: type,
      parentResourceTypeId: id.resourceType,
      parentResourceId: id.resource,
    });
  }
  return children;
}

function validateResources(run: SyncRun, action: Action, items: (Resource | null | undefined)[]): Resource[] {
  const valid = items.filter(isValidResource);
  run.dropInvalid("resources", action, items.length - valid.length);
  for (const resource of valid) {
    if (resource.annotations.some((any) => anyIs(any, BatonIDSchema))) {
      throw new SyncError(
        `resource ${resourceExternalId(resource.id as ResourceId)} carries BatonID, which is reserved for imported external resources`,
        run.errorContext(action),
      );
    }
    const type = resourceTypeOf(run, (resource.id as ResourceId).resourceType);
    const missing = type ? missingTrait(type, resource) : undefined;
    if (missing) {
      throw new SyncError(
        `resource was missing expected trait ${missing}: ${resourceExternalId(resource.id as ResourceId)}`,
        run.errorContext(action),
      );
    }
  }
  return valid;
}

async function listResources(run: SyncRun, action: Action): Promise<void> {
  const definition = definitionFor(run, action, action.resourceTypeId);
  const parent = parentOf(action);
  const page = await run.callPlugin(action, () => definition.list(parent, callContext(run, action.pageToken)));
  const next = checkedNextToken(run, action, page);
  const resources = validateResources(run, action, page.items);
  run.store.putResources(resources);
  run.countWritten("resources", resources.length);
  advance(
    run,
    action,
    next,
    resources.flatMap((resource) => childActions(run, resource)),
  );
}

/** Root list-static-entitlements: one action per synced type whose plugin declares templates. */
function planStaticEntitlements(run: SyncRun, action: Action): void {
  const children: NewAction[] = [];
  for (const definition of run.plugin.resourceTypes) {
    const type = definition.resourceType;
    if (!definition.staticEntitlements || !run.synced(type.id)) continue;
    if (run.state.shouldSkipEntitlementsAndGrants || skips(type.annotations, "entitlements")) continue;
    children.push({ op: "list-static-entitlements", resourceTypeId: type.id });
  }
  advance(run, action, "", children);
}

/** An exclusion group scoped to the resource gets `-<resourceId>` appended to its id, as Go does. */
function scopedAnnotations(annotations: Any[], resourceId: string): Any[] {
  return annotations.map((any) => {
    if (!anyIs(any, EntitlementExclusionGroupSchema)) return any;
    const group = fromBinary(EntitlementExclusionGroupSchema, any.value);
    if (!group.scopeToResource) return any;
    return packAny(
      EntitlementExclusionGroupSchema,
      create(EntitlementExclusionGroupSchema, {
        ...group,
        exclusionGroupId: `${group.exclusionGroupId}-${resourceId}`,
      }),
    );
  });
}

/** A template entitlement made concrete for one resource (Go's syncStaticEntitlementsForResourceType). */
function templated(template: Entitlement, resource: Resource): Entitlement {
  const id = resource.id as ResourceId;
  return create(EntitlementSchema, {
    ...template,
    annotations: scopedAnnotations(template.annotations, id.resource),
    id: entitlementId(id, template.slug),
    resource,
    displayName: template.displayName || resource.displayName,
    description: template.description || resource.description,
  });
}

async function listStaticEntitlements(run: SyncRun, action: Action): Promise<void> {
  const definition = definitionFor(run, action, action.resourceTypeId);
  const staticEntitlements = definition.staticEntitlements;
  if (!staticEntitlements) {
    advance(run, action, "");
    return;
  }
  const page = await run.callPlugin(action, () => staticEntitlements(callContext(run, action.pageToken)));
  const next = checkedNextToken(run, action, page);
  const templates = page.items.filter((template): template is Entitlement => !!template && template.slug !== "");
  run.dropInvalid("static entitlements", action, page.items.length - templates.length);
  let storePage = "";
  do {
    const resources = run.store.listResources({
      syncId: run.syncId,
      resourceTypeId: action.resourceTypeId,
      pageToken: storePage,
    });
    const entitlements = resources.items
      .filter((resource) => !skipsFor(run, resource, "entitlements"))
      .flatMap((resource) => templates.map((template) => templated(template, resource)));
    run.store.putEntitlements(entitlements);
    run.countWritten("entitlements", entitlements.length);
    storePage = resources.nextPageToken;
  } while (storePage !== "");
  advance(run, action, next);
}

/** Root entitlements/grants: one action per stored resource not skipped, a store page at a time. */
function planPerResource(run: SyncRun, action: Action, kind: "entitlements" | "grants"): void {
  if (action.pageToken === "") run.startEstimate(run.store.stats(run.syncId).resources ?? 0);
  const page = run.store.listResources({ syncId: run.syncId, pageToken: action.pageToken, pageSize: PLAN_PAGE_SIZE });
  const children: NewAction[] = [];
  for (const resource of page.items) {
    if (!resource.id || skipsFor(run, resource, kind)) continue;
    children.push({ op: action.op, resourceTypeId: resource.id.resourceType, resourceId: resource.id.resource });
  }
  run.advanceEstimate(page.items.length - children.length);
  advance(run, action, page.nextPageToken, children);
}

function storedResource(run: SyncRun, action: Action): Resource | undefined {
  return run.store.getResource(
    create(ResourceIdSchema, { resourceType: action.resourceTypeId, resource: action.resourceId }),
    run.syncId,
  );
}

async function listEntitlements(run: SyncRun, action: Action): Promise<void> {
  const resource = storedResource(run, action);
  if (!resource) throw new NotFoundError(`resource ${action.resourceTypeId}:${action.resourceId} is not in the store`);
  const definition = definitionFor(run, action, action.resourceTypeId);
  const page = await run.callPlugin(action, () =>
    definition.entitlements(resource, callContext(run, action.pageToken)),
  );
  const next = checkedNextToken(run, action, page);
  let entitlements = page.items.filter(isValidEntitlement);
  run.dropInvalid("entitlements", action, page.items.length - entitlements.length);
  if (run.syncType === "full") {
    entitlements = entitlements.filter((entitlement) => run.synced(entitlement.resource?.id?.resourceType ?? ""));
  }
  run.store.putEntitlements(entitlements);
  run.countWritten("entitlements", entitlements.length);
  advance(run, action, next);
  if (next === "") run.advanceEstimate(1);
}

/** Partial syncs store a grant's entitlement resource when the store lacks it (Go: should_fetch_related_resources). */
async function fetchRelatedResources(run: SyncRun, action: Action, grants: Grant[]): Promise<void> {
  const seen = new Set<string>();
  for (const grant of grants) {
    const id = grant.entitlement?.resource?.id;
    if (!id || seen.has(resourceExternalId(id))) continue;
    seen.add(resourceExternalId(id));
    if (run.store.getResource(id, run.syncId)) continue;
    const getter = run.definition(id.resourceType)?.get;
    if (!getter) continue;
    const fetched = await run.callPlugin(action, () => getter(id, undefined, run.pluginContext()));
    if (fetched && isValidResource(fetched)) run.store.putResources(validateResources(run, action, [fetched]));
  }
}

/**
 * A grants page annotated `InsertResourceGrants` also stores each grant's entitlement
 * resource (upsert, latest wins), for connectors whose grants name resources no
 * listing returns (Go's syncGrantsForResource).
 */
function insertEntitlementResources(run: SyncRun, grants: Grant[]): void {
  const byId = new Map<string, Resource>();
  for (const grant of grants) {
    const owner = grant.entitlement?.resource;
    if (owner && isValidResource(owner)) byId.set(resourceExternalId(owner.id!), owner);
  }
  if (byId.size === 0) return;
  run.store.putResources([...byId.values()]);
  run.countWritten("resources", byId.size);
}

async function listGrants(run: SyncRun, action: Action): Promise<void> {
  const resource = storedResource(run, action);
  if (!resource) throw new NotFoundError(`resource ${action.resourceTypeId}:${action.resourceId} is not in the store`);
  const definition = definitionFor(run, action, action.resourceTypeId);
  const page = await run.callPlugin(action, () => definition.grants(resource, callContext(run, action.pageToken)));
  const next = checkedNextToken(run, action, page);
  let grants = page.items.filter(isValidGrant);
  run.dropInvalid("grants", action, page.items.length - grants.length);
  if (hasAnnotation(page.annotations ?? [], InsertResourceGrantsSchema)) insertEntitlementResources(run, grants);
  if (run.syncType === "full") {
    const kept: Grant[] = [];
    for (const grant of grants) {
      const outcome = filterFullSyncGrant(grant, (type) => run.synced(type));
      if (outcome.grant) kept.push(outcome.grant);
    }
    grants = kept;
  }
  if (run.state.shouldFetchRelatedResources) await fetchRelatedResources(run, action, grants);
  if (grants.some(isExpandable)) run.state.needsExpansion = true;
  run.store.putGrants(grants);
  run.countWritten("grants", grants.length);
  advance(run, action, next);
  if (next === "") run.advanceEstimate(1);
}

/**
 * A slice of grant expansion ends after this many grants made or changed, or this long:
 * between slices the engine checkpoints (the slice's writes, then its position in the
 * token) and checks its run duration, so a long expansion spans invocations.
 */
const EXPANSION_SLICE_GRANTS = 50_000;
const EXPANSION_SLICE_MS = 1_000;

function grantExpansion(run: SyncRun, action: Action): void {
  // As Go: the sync is marked when its expansion action starts, whether or not there is
  // anything to expand, but not when it carries on with an expansion already under way.
  if (!run.expansion && action.pageToken === "" && !run.state.resumesGoExpansion) run.store.markSupportsDiff();
  if (run.options.skipExpansion || !run.state.needsExpansion) {
    advance(run, action, "");
    return;
  }
  try {
    let expansion = run.expansion;
    if (!expansion) {
      // An old writer's grants may hold their edges in data: moved out once, before the first
      // slice, in a sync begun by an earlier process (this one's grants never hold them; a
      // resumed expansion's were moved by then). It reads every grant of the sync.
      if (run.resumed && action.pageToken === "") run.store.backfillGrantExpansion();
      expansion = new GrantExpansion(run.store, {
        syncId: run.syncId,
        legacyGrantSources: run.options.legacyGrantSources,
        onProgress: (done, total) => {
          run.setEstimate(done, total);
          run.pageDone();
        },
      });
      // A resumed run: the destinations before the saved position are written.
      if (action.pageToken !== "") expansion.skipTo(Number(action.pageToken));
      run.expansion = expansion;
    }
    const createdBefore = expansion.result.created;
    const sliceStart = run.clock.now();
    const finished = expansion.expandSome(
      (touched) => touched >= EXPANSION_SLICE_GRANTS || run.clock.now() - sliceStart >= EXPANSION_SLICE_MS,
    );
    const created = expansion.result.created - createdBefore;
    run.expandedGrants += created;
    run.countWritten("grants", created);
    if (!finished) {
      advance(run, action, String(expansion.position));
      return;
    }
    run.expansion = undefined;
    if (expansion.result.droppedEdges > 0) {
      run.log.info("grant expansion dropped edges whose entitlement is not stored", {
        edges: expansion.result.droppedEdges,
      });
    }
  } catch (error) {
    run.expansion = undefined;
    if (error instanceof SyncError) throw error;
    throw new SyncError(error instanceof Error ? error.message : String(error), run.errorContext(action), {
      cause: error,
    });
  }
  advance(run, action, "");
}

/** Go's SyncTargetedResource: get it, store it, then its entitlements, grants and children. */
async function targetedResource(run: SyncRun, action: Action): Promise<void> {
  const definition = definitionFor(run, action, action.resourceTypeId);
  const getter = definition.get;
  if (!getter) {
    run.warn(`the plugin cannot get single resources; skipped (${describe(run, action)})`);
    advance(run, action, "");
    return;
  }
  const id = create(ResourceIdSchema, { resourceType: action.resourceTypeId, resource: action.resourceId });
  let resource: Resource | undefined;
  try {
    resource = await run.callPlugin(action, () => getter(id, parentOf(action), run.pluginContext()));
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
  if (!resource || !isValidResource(resource)) {
    run.notFoundWarnings++;
    run.warn(`targeted resource not found; skipped (${describe(run, action)})`);
    advance(run, action, "");
    return;
  }
  const [stored] = validateResources(run, action, [resource]);
  run.store.putResources([stored as Resource]);
  run.countWritten("resources", 1);
  const children: NewAction[] = [];
  const target = { resourceTypeId: action.resourceTypeId, resourceId: action.resourceId };
  if (!skipsFor(run, stored as Resource, "grants")) children.push({ op: "list-grants", ...target });
  if (!skipsFor(run, stored as Resource, "entitlements")) children.push({ op: "list-entitlements", ...target });
  children.push(...childActions(run, stored as Resource));
  advance(run, action, "", children);
}
