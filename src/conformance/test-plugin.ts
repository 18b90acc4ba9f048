/**
 * The conformance harness for plugin authors: `await testPlugin(plugin, { config })`
 * calls the plugin the way the sync engine and provisioning do and checks what
 * Baton relies on — ids, paging, traits, parent links, targeted get, a full
 * sync through the real engine, and idempotent grant/revoke. Framework-agnostic: it throws `ConformanceError`
 * listing every failed check.
 */
import { create } from "@bufbuild/protobuf";
import * as v from "valibot";
import { createC1z, openC1z } from "../c1z/index.ts";
import { findAllAnnotations } from "../model/annotations.ts";
import { entitlementId, grantId, resourceExternalId } from "../model/ids.ts";
import {
  ChildResourceTypeSchema,
  type Entitlement,
  type Grant,
  GrantSchema,
  type Resource,
  ResourceIdSchema,
} from "../model/types.ts";
import { connectPlugin, memoryStateStore } from "../plugins/connect.ts";
import type {
  AnyPlugin,
  Page,
  PluginStateStore,
  ResourceTypeDefinition,
  SyncCallContext,
} from "../plugins/contract.ts";
import { validatePluginDefinition } from "../plugins/define.ts";
import {
  validateEntitlement,
  validateGrant,
  validatePage,
  validateResource,
  validateStaticEntitlement,
} from "../plugins/validate-output.ts";
import { runSync } from "../sync/index.ts";
import { retryingFetch } from "../upstream/fetch.ts";

export interface TestPluginOptions {
  /** The plugin's config, before defaults (validated with its schema). */
  config?: Record<string, unknown>;
  /** Defaults to a fresh in-memory store, so provisioning checks never touch real state. */
  state?: PluginStateStore;
  /** Pages per listing before the harness calls it a loop (default 1000). */
  maxPages?: number;
  /** Resources per type whose entitlements and grants are listed (default 25). */
  maxResourcesPerType?: number;
  /** Set false to skip grant/revoke checks (e.g. against a live system). Default true. */
  provisioning?: boolean;
  /** Set false to skip the full sync through the real engine into an in-memory c1z. Default true. */
  sync?: boolean;
  /** The fetch the plugin's calls go through (wrapped as hosts wrap it), e.g. one trusting a test CA. */
  fetch?: typeof fetch;
}

export interface ConformanceCheck {
  name: string;
  ok: boolean;
  detail?: string;
}

export interface ConformanceReport {
  plugin: string;
  checks: ConformanceCheck[];
  counts: { resources: number; entitlements: number; grants: number; pages: number };
}

export class ConformanceError extends Error {
  constructor(readonly report: ConformanceReport) {
    const failed = report.checks.filter((check) => !check.ok);
    super(
      `plugin "${report.plugin}" failed ${failed.length} conformance check(s):\n${failed
        .map((check) => `  - ${check.name}: ${check.detail ?? "failed"}`)
        .join("\n")}`,
    );
    this.name = "ConformanceError";
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function testPlugin(plugin: AnyPlugin, options: TestPluginOptions = {}): Promise<ConformanceReport> {
  const report: ConformanceReport = {
    plugin: String((plugin as { name?: unknown })?.name ?? "(unnamed)"),
    checks: [],
    counts: { resources: 0, entitlements: 0, grants: 0, pages: 0 },
  };
  const pass = (name: string) => report.checks.push({ name, ok: true });
  const fail = (name: string, detail: string) => report.checks.push({ name, ok: false, detail });
  const attempt = async (name: string, fn: () => Promise<void> | void) => {
    try {
      await fn();
      pass(name);
    } catch (error) {
      fail(name, message(error));
    }
  };
  const finish = () => {
    if (report.checks.some((check) => !check.ok)) throw new ConformanceError(report);
    return report;
  };

  try {
    validatePluginDefinition(plugin);
    pass("definition");
  } catch (error) {
    fail("definition", message(error));
    return finish();
  }
  const parsed = v.safeParse(plugin.config, options.config ?? {});
  if (!parsed.success) {
    fail("config", `the given config does not satisfy the schema: ${parsed.issues[0].message}`);
    return finish();
  }
  pass("config");
  const connected = await connectPlugin(plugin, parsed.output as Record<string, unknown>, {
    state: options.state ?? memoryStateStore(),
    fetch: options.fetch ? retryingFetch({ fetch: options.fetch }) : undefined,
  });
  const maxPages = options.maxPages ?? 1000;
  const maxPerType = options.maxResourcesPerType ?? 25;
  const callCtx = (pageToken: string): SyncCallContext<unknown> => ({
    ...connected.ctx,
    syncId: "conformance",
    pageToken,
  });
  // Only the types this config syncs, as the engine does (syncedResourceTypes).
  const synced = plugin.syncedResourceTypes?.(connected.client);
  const scoped: AnyPlugin = synced
    ? { ...plugin, resourceTypes: plugin.resourceTypes.filter((rt) => synced.includes(rt.resourceType.id)) }
    : plugin;
  const typeIds = new Set(scoped.resourceTypes.map((rt) => rt.resourceType.id));

  /** Pages a listing to the end, checking the page shape, the token loop guard and duplicate ids. */
  async function pageAll<T>(
    label: string,
    rt: string,
    call: (ctx: SyncCallContext<unknown>) => Promise<Page<T>>,
    id: (item: T) => string,
  ): Promise<T[]> {
    const items: T[] = [];
    const seen = new Set<string>();
    let token = "";
    for (let pages = 1; ; pages++) {
      if (pages > maxPages) throw new Error(`${label}: more than ${maxPages} pages; is the page token advancing?`);
      const page = validatePage<T>(plugin.name, rt, await call(callCtx(token)), label);
      report.counts.pages++;
      for (const item of page.items) {
        const key = id(item);
        if (seen.has(key)) throw new Error(`${label}: "${key}" is returned twice (paging overlaps?)`);
        seen.add(key);
        items.push(item);
      }
      const next = page.nextPageToken ?? "";
      if (next !== "" && next === token) {
        throw new Error(`${label}: next page token unchanged ("${next}"), which Baton rejects as a connector bug`);
      }
      if (next === "") return items;
      token = next;
    }
  }

  const resourcesByType = new Map<string, Resource[]>();
  const grantsSeen: Grant[] = [];
  const entitlementsSeen: Entitlement[] = [];
  try {
    // Resources: top level for every type, then under every parent that announces children.
    for (const definition of scoped.resourceTypes) {
      const rt = definition.resourceType;
      await attempt(`list ${rt.id}`, async () => {
        const resources = await pageAll(
          `${rt.id}.list`,
          rt.id,
          (ctx) => definition.list(undefined, ctx),
          (r: Resource) => resourceExternalId(r.id!),
        );
        for (const [i, resource] of resources.entries()) validateResource(plugin.name, rt, resource, `items[${i}]`);
        resourcesByType.set(rt.id, resources);
      });
    }
    // Breadth-first through ChildResourceType, grandchildren included; each (child type, parent) once, as Go schedules it.
    const parents = [...resourcesByType.values()].flat();
    const scheduled = new Set<string>();
    for (let next = 0; next < parents.length; next++) {
      const parent = parents[next];
      for (const child of findAllAnnotations(parent.annotations, ChildResourceTypeSchema)) {
        const childId = child.resourceTypeId;
        const once = `${childId}|${resourceExternalId(parent.id!)}`;
        if (scheduled.has(once)) continue;
        scheduled.add(once);
        const definition = scoped.resourceTypes.find((rt) => rt.resourceType.id === childId);
        const label = `list ${childId} under ${resourceExternalId(parent.id!)}`;
        if (!definition) {
          fail(label, `ChildResourceType names undeclared resource type "${childId}"`);
          continue;
        }
        await attempt(label, async () => {
          const children = await pageAll(
            `${childId}.list(parent)`,
            childId,
            (ctx) => definition.list(parent.id, ctx),
            (r: Resource) => resourceExternalId(r.id!),
          );
          children.forEach((resource, i) => {
            validateResource(plugin.name, definition.resourceType, resource, `items[${i}]`);
            const link = resource.parentResourceId;
            if (!link || resourceExternalId(link) !== resourceExternalId(parent.id!)) {
              throw new Error(`items[${i}].parentResourceId must be ${resourceExternalId(parent.id!)}`);
            }
          });
          const known = resourcesByType.get(childId) ?? [];
          const ids = new Set(known.map((r) => resourceExternalId(r.id!)));
          const fresh = children.filter((r) => !ids.has(resourceExternalId(r.id!)));
          resourcesByType.set(childId, [...known, ...fresh]);
          parents.push(...fresh);
        });
      }
    }
    report.counts.resources = [...resourcesByType.values()].reduce((n, list) => n + list.length, 0);

    for (const definition of scoped.resourceTypes) {
      const rt = definition.resourceType.id;
      const resources = (resourcesByType.get(rt) ?? []).slice(0, maxPerType);
      if (definition.staticEntitlements) {
        const listStatic = definition.staticEntitlements.bind(definition);
        await attempt(`static entitlements ${rt}`, async () => {
          const templates = await pageAll(`${rt}.staticEntitlements`, rt, listStatic, (e: Entitlement) => e.slug);
          for (const [i, e] of templates.entries()) validateStaticEntitlement(plugin.name, rt, e, `items[${i}]`);
          for (const resource of resources) {
            for (const template of templates) {
              entitlementsSeen.push({ ...template, id: entitlementId(resource.id!, template.slug), resource });
            }
          }
        });
      }
      await attempt(`entitlements and grants ${rt}`, async () => {
        for (const resource of resources) {
          const ref = resourceExternalId(resource.id!);
          const entitlements = await pageAll(
            `${ref}.entitlements`,
            rt,
            (ctx) => definition.entitlements(resource, ctx),
            (e: Entitlement) => e.id,
          );
          entitlements.forEach((e, i) => {
            validateEntitlement(plugin.name, rt, e, `items[${i}]`);
            if (resourceExternalId(e.resource!.id!) !== ref) {
              throw new Error(`${ref}.entitlements items[${i}].resource must be ${ref}`);
            }
            if (e.slug && e.id !== entitlementId(resource.id!, e.slug)) {
              throw new Error(`${ref}.entitlements items[${i}].id "${e.id}" is not Baton's "${ref}:${e.slug}"`);
            }
          });
          entitlementsSeen.push(...entitlements);
          const grants = await pageAll(
            `${ref}.grants`,
            rt,
            (ctx) => definition.grants(resource, ctx),
            (g: Grant) => g.id,
          );
          grants.forEach((g, i) => {
            validateGrant(plugin.name, rt, g, `items[${i}]`);
            if (resourceExternalId(g.entitlement!.resource!.id!) !== ref) {
              throw new Error(`${ref}.grants items[${i}].entitlement.resource must be ${ref}`);
            }
            const expected = grantId(g.entitlement!.id, g.principal!.id!);
            if (g.id !== expected)
              throw new Error(`${ref}.grants items[${i}].id "${g.id}" is not Baton's "${expected}"`);
            if (!typeIds.has(g.principal!.id!.resourceType)) {
              throw new Error(
                `${ref}.grants items[${i}].principal has undeclared type "${g.principal!.id!.resourceType}"`,
              );
            }
          });
          grantsSeen.push(...grants);
        }
      });
    }
    report.counts.entitlements = entitlementsSeen.length;
    report.counts.grants = grantsSeen.length;

    for (const definition of scoped.resourceTypes) {
      if (!definition.get) continue;
      const get = definition.get.bind(definition);
      const rt = definition.resourceType;
      const sample = resourcesByType.get(rt.id)?.[0];
      await attempt(`targeted get ${rt.id}`, async () => {
        if (sample) {
          const got = await get(sample.id!, sample.parentResourceId, connected.ctx);
          if (!got) throw new Error(`get(${resourceExternalId(sample.id!)}) returned nothing for a listed resource`);
          validateResource(plugin.name, rt, got, "get()");
          if (resourceExternalId(got.id!) !== resourceExternalId(sample.id!))
            throw new Error("get() returned another resource");
        }
        const missing = create(ResourceIdSchema, { resourceType: rt.id, resource: "conformance-missing-\u2603" });
        if ((await get(missing, undefined, connected.ctx)) !== undefined) {
          throw new Error("get() of a resource that does not exist must return undefined");
        }
      });
    }

    if (options.sync !== false) {
      await attempt("full sync into a c1z", async () => {
        const store = await createC1z();
        try {
          const result = await runSync({ plugin, client: connected.client, store });
          const written = store.stats(result.syncId);
          if (written.resources !== report.counts.resources) {
            throw new Error(
              `the sync wrote ${written.resources} resources, the listings returned ${report.counts.resources}`,
            );
          }
          if (result.warnings.length > 0) throw new Error(`the sync warned: ${result.warnings.join("; ")}`);
          // The file must survive its own envelope: encode and decode again.
          const reopened = await openC1z(store.toBytes());
          reopened.close();
        } finally {
          store.close();
        }
      });
    }

    if (options.provisioning !== false) {
      await checkProvisioning(scoped, connected.ctx, resourcesByType, entitlementsSeen, grantsSeen, attempt, fail);
    }
  } finally {
    await connected.close();
  }
  return finish();
}

type Attempt = (name: string, fn: () => Promise<void> | void) => Promise<void>;

/** grant → grant again (already exists) → revoke → revoke again (already revoked), checking listings in between. */
async function checkProvisioning(
  plugin: AnyPlugin,
  ctx: Parameters<NonNullable<ResourceTypeDefinition["grant"]>>[2],
  resourcesByType: Map<string, Resource[]>,
  entitlements: Entitlement[],
  grants: Grant[],
  attempt: Attempt,
  fail: (name: string, detail: string) => void,
): Promise<void> {
  const held = new Set(grants.map((g) => g.id));
  for (const definition of plugin.resourceTypes) {
    if (!definition.grant || !definition.revoke) continue;
    const grantFn = definition.grant.bind(definition);
    const revokeFn = definition.revoke.bind(definition);
    const rt = definition.resourceType.id;
    const name = `grant/revoke ${rt}`;
    let pair: { entitlement: Entitlement; principal: Resource } | undefined;
    for (const entitlement of entitlements.filter((e) => e.resource?.id?.resourceType === rt)) {
      const grantable = entitlement.grantableTo.length
        ? entitlement.grantableTo.map((t) => t.id)
        : [...resourcesByType.keys()];
      for (const type of grantable) {
        const principal = (resourcesByType.get(type) ?? []).find(
          (p) =>
            !held.has(grantId(entitlement.id, p.id!)) &&
            resourceExternalId(p.id!) !== resourceExternalId(entitlement.resource!.id!),
        );
        if (principal) {
          pair = { entitlement, principal };
          break;
        }
      }
      if (pair) break;
    }
    if (!pair) {
      fail(name, "no (entitlement, principal) pair without a grant was found to test with");
      continue;
    }
    const { entitlement, principal } = pair;
    const id = grantId(entitlement.id, principal.id!);
    const listed = async () => {
      const owner = entitlement.resource!;
      const found: string[] = [];
      let token = "";
      do {
        const page = await definition.grants(owner, { ...ctx, syncId: "conformance", pageToken: token });
        found.push(...page.items.map((g) => g.id));
        token = page.nextPageToken ?? "";
      } while (token !== "");
      return found.includes(id);
    };
    await attempt(name, async () => {
      const first = await grantFn(principal, entitlement, ctx);
      if (first.alreadyExists) throw new Error(`grant of ${id} reported alreadyExists on the first call`);
      if (!(await listed())) throw new Error(`after grant, ${id} is not listed by grants()`);
      const second = await grantFn(principal, entitlement, ctx);
      if (!second.alreadyExists) throw new Error(`granting ${id} twice must report alreadyExists (GrantAlreadyExists)`);
      const grant = (first.grants ?? []).find((g) => g.id === id) ?? syntheticGrant(id, entitlement, principal);
      const revoked = await revokeFn(grant, ctx);
      if (revoked.alreadyRevoked) throw new Error(`revoke of ${id} reported alreadyRevoked on the first call`);
      if (await listed()) throw new Error(`after revoke, ${id} is still listed by grants()`);
      const again = await revokeFn(grant, ctx);
      if (!again.alreadyRevoked)
        throw new Error(`revoking ${id} twice must report alreadyRevoked (GrantAlreadyRevoked)`);
    });
  }
}

function syntheticGrant(id: string, entitlement: Entitlement, principal: Resource): Grant {
  return create(GrantSchema, { id, entitlement, principal });
}
