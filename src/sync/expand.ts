/**
 * Grant expansion, with Baton's semantics (baton-model.md §2.5):
 *   load   — every pending grant G = (D, P) with GrantExpandable{S…} adds edges S → D;
 *            P must be S's resource, unknown S are dropped and counted;
 *   cycles — strongly connected components collapse into one node, internal edges deleted;
 *   expand — destinations in topological order; each principal holding S (direct holders
 *            only over shallow edges, principal types filtered by resource_type_ids) holds D.
 * New grants are `D:ptype:pid` embedding the stored entitlement D, the source grant's
 * principal, `GrantImmutable{}` and `sources {S}`; existing grants gain S in `sources`.
 * Processing destinations in topological order gives the same result as Go's depth rounds.
 * Each grant is decoded about once: a destination's final grants stay in memory until the
 * destinations fed by it are done (then they are dropped), and writes go out in batches.
 */
import { create } from "@bufbuild/protobuf";
import type { C1zWriter } from "../c1z/store.ts";
import { packAny } from "../model/annotations.ts";
import { grantId } from "../model/ids.ts";
import {
  type Entitlement,
  type Grant,
  GrantImmutableSchema,
  GrantSchema,
  type GrantSources_GrantSource,
  GrantSources_GrantSourceSchema,
  GrantSourcesSchema,
} from "../model/types.ts";
import { EntitlementGraph } from "./graph.ts";

/** Go's default `BATON_GRAPH_EXPAND_MAX_DEPTH`. */
export const MAX_EXPANSION_DEPTH = 20;
const WRITE_CHUNK = 10_000;
/**
 * Most decoded grants kept for later destinations. Topological order is breadth-first, so
 * one depth's destinations can all be waiting at once: past this, they are read again.
 */
const CACHED_GRANTS_LIMIT = 50_000;

export class ExpansionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExpansionError";
  }
}

export interface ExpandOptions {
  syncId?: string;
  maxDepth?: number;
  /**
   * Go before baton-sdk #679 (Feb 2026) wrote every GrantSource as `{}`
   * (is_direct false). Later versions set is_direct from the source grant's
   * directness and mark a grant's own entitlement direct. The Go vectors in
   * this repo predate #679.
   */
  legacyGrantSources?: boolean;
  onProgress?: (done: number, total: number, created: number) => void;
}

export interface ExpandResult {
  edges: number;
  cyclesCollapsed: number;
  depth: number;
  /** Edges whose source entitlement was not in the store. */
  droppedEdges: number;
  created: number;
  updated: number;
}

function key(resourceType: string, resource: string): string {
  return `${resourceType}\u0000${resource}`;
}

function source(isDirect: boolean): GrantSources_GrantSource {
  return create(GrantSources_GrantSourceSchema, { isDirect });
}

/** Loads the graph from the grants awaiting expansion. */
export function loadGraph(store: C1zWriter, syncId: string | undefined): { graph: EntitlementGraph; dropped: number } {
  const graph = new EntitlementGraph();
  const entitlementResource = new Map<string, string | null>();
  let dropped = 0;
  let pageToken = "";
  do {
    const page = store.listGrantsWithExpansion({ syncId, pendingOnly: true, pageToken });
    for (const { grant, expansion } of page.items) {
      if (!expansion) continue;
      const destination = grant.entitlement?.id;
      const principal = grant.principal?.id;
      if (!destination || !principal) continue;
      for (const sourceId of expansion.entitlementIds) {
        if (sourceId.trim() === "") continue;
        let owner = entitlementResource.get(sourceId);
        if (owner === undefined) {
          const stored = store.getEntitlement(sourceId, syncId);
          const id = stored?.resource?.id;
          owner = stored ? (id ? key(id.resourceType, id.resource) : "") : null;
          entitlementResource.set(sourceId, owner);
        }
        if (owner === null) {
          dropped++;
          continue;
        }
        if (owner !== key(principal.resourceType, principal.resource)) {
          throw new ExpansionError(
            `source entitlement resource id did not match grant principal id: grant ${grant.id} has principal ` +
              `${principal.resourceType}:${principal.resource} but source entitlement ${sourceId} belongs to ` +
              `${owner.replace("\u0000", ":") || "no resource"}`,
          );
        }
        graph.addEdge(sourceId, destination, expansion.shallow, expansion.resourceTypeIds);
      }
    }
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return { graph, dropped };
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

export function expandGrants(store: C1zWriter, options: ExpandOptions = {}): ExpandResult {
  const syncId = options.syncId ?? store.currentSyncId;
  const maxDepth = options.maxDepth ?? MAX_EXPANSION_DEPTH;
  const legacy = options.legacyGrantSources === true;
  const { graph, dropped } = loadGraph(store, syncId);
  const edges = graph.edgeCount;
  const cyclesCollapsed = graph.collapseCycles();
  const { order, depth } = graph.topologicalOrder();
  const deepest = Math.max(0, ...depth.values());
  if (deepest > maxDepth) {
    throw new ExpansionError(`grant expansion exceeded the maximum depth (${maxDepth}): a chain of ${deepest} edges`);
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
  // A destination's final grants, kept while destinations it feeds are still to come.
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
    for (let start = 0; start < pending.length; start += WRITE_CHUNK) {
      store.putExpandedGrants(pending.slice(start, start + WRITE_CHUNK));
    }
    pending = [];
  };
  let done = 0;
  for (const node of destinations) {
    const incoming = [...(graph.in.get(node) ?? [])].sort(([a], [b]) => a - b);
    const feedsLater = (consumersLeft.get(node) ?? 0) > 0;
    for (const destinationId of graph.nodes.get(node) ?? []) {
      const destination = store.getEntitlement(destinationId, syncId);
      if (!destination?.resource) {
        // Go drops edges into an entitlement that is not stored.
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
      if (pending.length >= WRITE_CHUNK) flush();
      if (feedsLater && cachedGrants + held.size <= CACHED_GRANTS_LIMIT) {
        finalGrants.set(destinationId, [...held.values()]);
        cachedGrants += held.size;
      } else if (feedsLater) flush(); // read again from the store by the destinations it feeds
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
    done++;
    options.onProgress?.(done, destinations.length, result.created);
  }
  flush();
  return result;
}
