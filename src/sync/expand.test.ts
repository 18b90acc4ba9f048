/**
 * Grant expansion composes grants as bytes. These tests run it next to the implementation it
 * replaced (kept below as `referenceExpand`: protobuf-es objects throughout, encoded by the
 * writer; run without its cache, which kept one grant of a principal held twice where Go
 * reads every row), on random graphs with cycles, shallow edges, type filters, dropped edges, grants that
 * already carry sources and hostile ids, and compare every v1_grants row byte for byte.
 */
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { seededRandom } from "../../test/sync-helpers.ts";
import { createC1z } from "../c1z/open.ts";
import type { SqliteC1zStore } from "../c1z/sqlite-store.ts";
import type { C1zWriter } from "../c1z/store.ts";
import { packAny } from "../model/annotations.ts";
import { entitlement, grant, group, role, user } from "../model/builders.ts";
import { grantId } from "../model/ids.ts";
import {
  type Entitlement,
  type Grant,
  GrantImmutableSchema,
  GrantSchema,
  type GrantSources_GrantSource,
  GrantSources_GrantSourceSchema,
  GrantSourcesSchema,
  type Resource,
  ResourceSchema,
} from "../model/types.ts";
import { nativeEngine } from "../storage/index.ts";
import {
  type ExpandOptions,
  type ExpandResult,
  expandGrants,
  GrantExpansion,
  loadGraph,
  MAX_EXPANSION_DEPTH,
} from "./expand.ts";

const engines = (await nativeEngine()) ? (["sqljs", "native"] as const) : (["sqljs"] as const);

// ---- the previous implementation, unchanged but for its name and the cache limit option ----

function key(resourceType: string, resource: string): string {
  return `${resourceType}\u0000${resource}`;
}

function source(isDirect: boolean): GrantSources_GrantSource {
  return create(GrantSources_GrantSourceSchema, { isDirect });
}

function allGrants(store: C1zWriter, filter: Parameters<C1zWriter["listGrants"]>[0]): Grant[] {
  const grants: Grant[] = [];
  let pageToken = "";
  do {
    const page = store.listGrants({ ...filter, pageToken });
    grants.push(...page.items);
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return grants;
}

function referenceExpand(store: C1zWriter, options: ExpandOptions = {}): ExpandResult {
  const syncId = options.syncId ?? store.currentSyncId;
  const maxDepth = options.maxDepth ?? MAX_EXPANSION_DEPTH;
  const legacy = options.legacyGrantSources === true;
  const { graph, dropped } = loadGraph(store, syncId);
  const edges = graph.edgeCount;
  const cyclesCollapsed = graph.collapseCycles();
  const { order, depth } = graph.topologicalOrder();
  const deepest = Math.max(0, ...depth.values());
  if (deepest > maxDepth) {
    throw new Error(`grant expansion exceeded the maximum depth (${maxDepth}): a chain of ${deepest} edges`);
  }
  const result: ExpandResult = {
    edges,
    cyclesCollapsed,
    depth: deepest,
    droppedEdges: dropped,
    created: 0,
    updated: 0,
  };
  const sourceEntitlements = new Map<string, Entitlement | undefined>();
  const destinations = order.filter((node) => (graph.in.get(node)?.size ?? 0) > 0);
  const finalGrants = new Map<string, Grant[]>();
  let cachedGrants = 0;
  const consumersLeft = new Map<number, number>();
  for (const node of destinations) {
    for (const parent of graph.in.get(node)?.keys() ?? [])
      consumersLeft.set(parent, (consumersLeft.get(parent) ?? 0) + 1);
  }
  const sourceGrantsOf = (sourceId: string, resourceTypeIds: readonly string[] = []): Grant[] => {
    const cached = finalGrants.get(sourceId);
    if (!cached)
      return allGrants(store, { syncId, entitlementId: sourceId, principalResourceTypeIds: [...resourceTypeIds] });
    if (resourceTypeIds.length === 0) return cached;
    const types = new Set(resourceTypeIds);
    return cached.filter((g) => types.has(g.principal?.id?.resourceType ?? ""));
  };
  let pending: Grant[] = [];
  const flush = () => {
    for (let start = 0; start < pending.length; start += 10_000) {
      store.putExpandedGrants(pending.slice(start, start + 10_000));
    }
    pending = [];
  };
  for (const node of destinations) {
    const incoming = [...(graph.in.get(node) ?? [])].sort(([a], [b]) => a - b);
    const feedsLater = (consumersLeft.get(node) ?? 0) > 0;
    for (const destinationId of graph.nodes.get(node) ?? []) {
      const destination = store.getEntitlement(destinationId, syncId);
      if (!destination?.resource) {
        result.droppedEdges += incoming.length;
        continue;
      }
      const held = new Map<string, Grant>();
      for (const grant of allGrants(store, { syncId, entitlementId: destinationId })) {
        const id = grant.principal?.id;
        if (id) held.set(key(id.resourceType, id.resource), grant);
      }
      const changed = new Map<string, Grant>();
      for (const [parent, spec] of incoming) {
        for (const sourceId of graph.nodes.get(parent) ?? []) {
          if (!sourceEntitlements.has(sourceId))
            sourceEntitlements.set(sourceId, store.getEntitlement(sourceId, syncId));
          if (!sourceEntitlements.get(sourceId)) continue;
          for (const sourceGrant of sourceGrantsOf(sourceId, spec.resourceTypeIds)) {
            const principalId = sourceGrant.principal?.id;
            if (!sourceGrant.principal || !principalId) continue;
            const sourceSources = sourceGrant.sources?.sources ?? {};
            const sourceIsDirect = Object.keys(sourceSources).length === 0 || sourceId in sourceSources;
            if (spec.shallow && !sourceIsDirect) continue;
            const isDirect = legacy ? false : sourceIsDirect;
            const principalKey = key(principalId.resourceType, principalId.resource);
            const existing = held.get(principalKey);
            if (!existing) {
              const created = create(GrantSchema, {
                id: grantId(destinationId, principalId),
                entitlement: destination,
                principal: sourceGrant.principal,
                annotations: [packAny(GrantImmutableSchema, create(GrantImmutableSchema))],
                sources: create(GrantSourcesSchema, { sources: { [sourceId]: source(isDirect) } }),
              });
              held.set(principalKey, created);
              changed.set(principalKey, created);
              result.created++;
              continue;
            }
            const sources = existing.sources?.sources ?? {};
            let updated = false;
            if (Object.keys(sources).length === 0) {
              sources[destinationId] = source(!legacy);
              updated = true;
            }
            const had = sources[sourceId];
            if (!had) {
              sources[sourceId] = source(isDirect);
              updated = true;
            } else if (isDirect && !had.isDirect) {
              sources[sourceId] = source(true);
              updated = true;
            }
            if (updated) {
              existing.sources = create(GrantSourcesSchema, { sources });
              if (!changed.has(principalKey)) result.updated++;
              changed.set(principalKey, existing);
            }
          }
        }
      }
      pending.push(...changed.values());
      if (pending.length >= 10_000) flush();
      if (feedsLater && cachedGrants + held.size <= (options.cachedGrantsLimit ?? 50_000)) {
        finalGrants.set(destinationId, [...held.values()]);
        cachedGrants += held.size;
      } else if (feedsLater) flush();
    }
    for (const [parent] of incoming) {
      const left = (consumersLeft.get(parent) ?? 1) - 1;
      consumersLeft.set(parent, left);
      if (left > 0) continue;
      for (const sourceId of graph.nodes.get(parent) ?? []) {
        cachedGrants -= finalGrants.get(sourceId)?.length ?? 0;
        finalGrants.delete(sourceId);
      }
    }
  }
  flush();
  return result;
}

// ---- random organisations ----

/** Principal ids that break naive code. Entitlement ids avoid Object.prototype names: see below. */
const HOSTILE_IDS = ["10", "9", "__proto__", "constructor", "a:b", "nul\u0000", "grüße", "用户", "😀", "\uffff", ""];

/** A resource as a newer connector writes it: with fields our schema does not know. */
function withUnknownFields(resource: Resource): Resource {
  const copy = create(ResourceSchema, resource);
  copy.$unknown = [{ no: 99, wireType: 2, data: new Uint8Array([3, 0x78, 0x79, 0x7a]) }];
  return copy;
}

/** The grants of one random organisation, the same for a seed every time. */
function organisation(seed: number): { entitlements: Entitlement[]; grants: Grant[] } {
  const rand = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const users = Array.from({ length: 12 + Math.floor(rand() * 20) }, (_, i) => {
    const id = i < HOSTILE_IDS.length ? `${HOSTILE_IDS[i]}` : `u${i}`;
    const made = user({ id: id || "empty", displayName: `User ${i}`, profile: { [`k${i}`]: i, "10": 1, "9": 2 } });
    return rand() < 0.3 ? withUnknownFields(made) : made;
  });
  const owners = Array.from({ length: 4 + Math.floor(rand() * 10) }, (_, i) =>
    i % 4 === 3
      ? role({ id: `r${i}`, displayName: `Role ${i}` })
      : group({ id: i % 2 ? `g${i}` : `grüppe-${i}`, displayName: `Group ${i}` }),
  );
  const entitlements = owners.flatMap((owner) => [entitlement(owner, "member"), entitlement(owner, "mitglied-ü")]);
  const stored = entitlements.filter(() => rand() < 0.92); // some destinations and sources are not stored
  const ownerOf = new Map(entitlements.map((e, i) => [e.id, owners[Math.floor(i / 2)] as Resource]));
  const grants: Grant[] = [];
  for (const ent of entitlements) {
    const owner = ownerOf.get(ent.id) as Resource;
    for (const principal of users) {
      if (rand() > 0.25) continue;
      const direct = grant(owner, ent, rand() < 0.5 ? principal : (principal.id as never));
      if (rand() < 0.15) {
        // Already carries sources, as a grant of an earlier expansion would.
        const sources: Record<string, GrantSources_GrantSource> = {};
        for (let k = 0; k < 1 + Math.floor(rand() * 3); k++) sources[pick(entitlements).id] = source(rand() < 0.5);
        direct.sources = create(GrantSourcesSchema, { sources });
      }
      grants.push(direct);
      if (rand() < 0.05) {
        // The same principal under another grant id, embedded the other way (whole or id only).
        const other = direct.principal?.displayName ? create(ResourceSchema, { id: principal.id }) : principal;
        grants.push({ ...direct, id: `${direct.id}#duplicate`, principal: other });
      }
    }
  }
  for (let e = 0; e < entitlements.length * 0.6; e++) {
    const from = pick(entitlements);
    const to = pick(entitlements);
    if (from === to) continue;
    const child = ownerOf.get(from.id) as Resource;
    const ids = [from.id];
    if (rand() < 0.1) ids.push("group:ghost:member"); // not stored: a dropped edge
    grants.push(
      grant(ownerOf.get(to.id) as Resource, to, child.id as never, {
        expandable: {
          entitlementIds: ids,
          shallow: rand() < 0.3,
          resourceTypeIds: pick([[], [], ["user"], ["group", "role"]]),
        },
      }),
    );
  }
  return { entitlements: stored, grants };
}

const ROWS =
  "select id, resource_type_id, resource_id, entitlement_id, principal_resource_type_id, principal_resource_id, " +
  "external_id, hex(expansion) as expansion, needs_expansion, hex(data) as data, discovered_at from v1_grants order by id";

async function expandWith(
  engine: (typeof engines)[number],
  org: { entitlements: Entitlement[]; grants: Grant[] },
  expand: (store: C1zWriter) => ExpandResult,
): Promise<{ outcome: ExpandResult | string; rows: unknown[] }> {
  const store: SqliteC1zStore = await createC1z({ engine, now: () => Date.UTC(2026, 11, 2, 17, 0, 0) });
  store.startSync("full");
  store.putEntitlements(org.entitlements);
  for (let i = 0; i < org.grants.length; i += 50) store.putGrants(org.grants.slice(i, i + 50));
  let outcome: ExpandResult | string;
  try {
    outcome = expand(store);
  } catch (error) {
    outcome = String(error instanceof Error ? error.message : error);
  }
  const rows = store.db.prepare(ROWS).all();
  store.close();
  return { outcome, rows };
}

describe.each(engines)("grant expansion as bytes (%s)", (engine) => {
  it("writes the rows the protobuf-es implementation wrote, on random organisations", async () => {
    let created = 0;
    let updated = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const org = organisation(seed);
      const legacyGrantSources = seed % 3 === 0;
      // The reference without its cache reads every source from the store, as Go does; a
      // cache (of any size) must not change what comes out.
      const want = await expandWith(engine, org, (store) =>
        referenceExpand(store, { legacyGrantSources, cachedGrantsLimit: 0 }),
      );
      for (const cachedGrantsLimit of [undefined, 5]) {
        const got = await expandWith(engine, org, (store) =>
          expandGrants(store, { legacyGrantSources, cachedGrantsLimit }),
        );
        expect(got.outcome, `seed ${seed}, cache ${cachedGrantsLimit}`).toEqual(want.outcome);
        expect(got.rows, `seed ${seed}, cache ${cachedGrantsLimit}`).toEqual(want.rows);
      }
      // Resumed: every slice (one or two destinations) in a new expansion from the saved
      // position, as the next invocation builds it; with `redo`, every other slice is done
      // twice, as after an invocation that died before saving its position.
      for (const redo of [false, true]) {
        const label = `seed ${seed}, resumed${redo ? " with redone slices" : ""}`;
        const got = await expandWith(engine, org, (store) => {
          // Edges dropped at load are counted by every expansion; those into missing entitlements, by the slice.
          const sum = { created: 0, updated: 0, droppedEdges: 0 };
          let position = 0;
          for (let slice = 0; ; slice++) {
            const expansion = new GrantExpansion(store, { legacyGrantSources, cachedGrantsLimit: 5 });
            expansion.skipTo(position);
            const droppedAtLoad = expansion.result.droppedEdges;
            let destinations = 0;
            const done = expansion.expandSome(() => ++destinations >= 1 + (slice % 2));
            sum.created += expansion.result.created;
            sum.updated += expansion.result.updated;
            sum.droppedEdges += expansion.result.droppedEdges - droppedAtLoad;
            if (done) return { ...expansion.result, ...sum, droppedEdges: droppedAtLoad + sum.droppedEdges };
            if (!(redo && slice % 2 === 1)) position = expansion.position;
          }
        });
        expect(got.rows, label).toEqual(want.rows);
        if (!redo) expect(got.outcome, label).toEqual(want.outcome);
      }
      if (typeof want.outcome !== "string") {
        created += want.outcome.created;
        updated += want.outcome.updated;
      }
    }
    // The organisations exercise both kinds of write.
    expect(created).toBeGreaterThan(1000);
    expect(updated).toBeGreaterThan(100);
  });
});

describe("a resumed grant expansion", () => {
  it("refuses a position it cannot take up", async () => {
    const store = await createC1z({ engine: "sqljs" });
    store.startSync("full");
    const org = organisation(7);
    store.putEntitlements(org.entitlements);
    store.putGrants(org.grants);
    const expansion = new GrantExpansion(store);
    expect(expansion.total).toBeGreaterThan(1);
    for (const position of [-1, 1.5, Number.NaN, expansion.total + 1]) {
      expect(() => expansion.skipTo(position)).toThrow(/cannot resume at destination/);
    }
    expansion.skipTo(expansion.total);
    expect(expansion.expandSome()).toBe(true);
    expect(expansion.result.created).toBe(0);
    store.close();
  });
});

describe("entitlement ids that are Object.prototype names", () => {
  // The previous implementation looked sources up with `in` on a plain object, where
  // "constructor" is always found. Go looks in a map: only keys that were set are there.
  it("are sources like any other id: found only when a grant's sources hold them", async () => {
    const store = await createC1z({ engine: "sqljs" });
    store.startSync("full");
    const child = group({ id: "child", displayName: "Child" });
    const parent = group({ id: "parent", displayName: "Parent" });
    const from = { ...entitlement(child, "member"), id: "constructor" };
    const to = { ...entitlement(parent, "member"), id: "toString" };
    store.putEntitlements([from, to]);
    const alice = user({ id: "alice", displayName: "Alice" });
    const held = grant(child, from, alice);
    // Alice holds "constructor" through another entitlement: not directly.
    held.sources = create(GrantSourcesSchema, { sources: { other: source(true) } });
    store.putGrants([held]);
    store.putGrants([
      grant(parent, to, child.id as never, { expandable: { entitlementIds: [from.id], shallow: true } }),
    ]);
    // Shallow edges pass direct holders only: nothing to create.
    expect(expandGrants(store).created).toBe(0);
    store.putGrants([grant(parent, to, child.id as never, { expandable: { entitlementIds: [from.id] } })]);
    expect(expandGrants(store).created).toBe(1);
    const made = store.getGrant(`toString:user:alice`);
    expect(made?.sources?.sources.constructor).toEqual(source(false));
    expect(Object.keys(made?.sources?.sources ?? {})).toEqual(["constructor"]);
    store.close();
  });
});
