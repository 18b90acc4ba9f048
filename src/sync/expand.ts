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
 * Each grant is read about once: a destination's final grants stay in memory until the
 * destinations fed by it are done (then they are dropped), and writes go out in batches.
 *
 * Grants are handled as bytes (../c1z/grant-bytes.ts): a stored grant is read for its
 * principal and sources only, and a new grant is composed from the destination entitlement's
 * bytes, the principal's and a few constant pieces, exactly as protobuf-es would encode it.
 * Only a stored grant that gains a source is decoded, edited and encoded again.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { encodedGrantRow } from "../c1z/expansion.ts";
import {
  type EncodedSource,
  type ExpandedGrantParts,
  encodeExpandedGrant,
  grantFieldViews,
  grantSourcesOf,
  sameBytes,
  utf8Bytes,
} from "../c1z/grant-bytes.ts";
import type { C1zWriter, EncodedGrantRow, GrantFilter, StoredGrantRow } from "../c1z/store.ts";
import { packAny } from "../model/annotations.ts";
import { grantId } from "../model/ids.ts";
import {
  type Entitlement,
  EntitlementSchema,
  type Grant,
  GrantImmutableSchema,
  GrantSchema,
  type GrantSources,
  type GrantSources_GrantSource,
  GrantSources_GrantSourceSchema,
  GrantSourcesSchema,
  type Resource,
  ResourceSchema,
} from "../model/types.ts";
import { toGoBinary } from "../proto/encode.ts";
import { EntitlementGraph } from "./graph.ts";

/** Go's default `BATON_GRAPH_EXPAND_MAX_DEPTH`. */
export const MAX_EXPANSION_DEPTH = 20;
const WRITE_CHUNK = 10_000;
/**
 * Most grants kept for later destinations (two references each: 16 MB at the limit).
 * Topological order is breadth-first, so one depth's destinations can all be waiting at
 * once: past this, they are read again from the store, which gives the same grants.
 */
const CACHED_GRANTS_LIMIT = 1_000_000;
/** Most principals remembered with their encoding (one per distinct principal read). */
const PRINCIPALS_LIMIT = 200_000;

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
  /** Most final grants kept in memory for later destinations (default 1,000,000; tests lower it). */
  cachedGrantsLimit?: number;
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

/** A principal as new grants embed it. */
interface Principal {
  /** Its bytes in the grant it was read from, to know the same bytes again. */
  stored: Uint8Array;
  /** Encoded as protobuf-es writes it through toGoBinary: what a new grant embeds. */
  bytes: Uint8Array;
  resourceType: string;
  resource: string;
  /** `key(resourceType, resource)`. */
  key: string;
  /** UTF-8 of `:<resourceType>:<resource>`, the end of every grant id made for it. */
  idTail: Uint8Array;
}

function principalOf(resource: Resource, stored: Uint8Array): Principal | undefined {
  const id = resource.id;
  if (!id) return undefined;
  const bytes = toGoBinary(ResourceSchema, resource);
  return {
    stored: sameBytes(bytes, stored) ? bytes : stored.slice(),
    bytes,
    resourceType: id.resourceType,
    resource: id.resource,
    key: key(id.resourceType, id.resource),
    idTail: utf8Bytes(`:${id.resourceType}:${id.resource}`),
  };
}

/**
 * Decoded principals by their row's principal columns. A hit needs the same stored bytes, so
 * what a grant embeds is always its own principal, decoded and encoded again as protobuf-es would.
 */
class Principals {
  /** principal_resource_type_id → principal_resource_id → principal. */
  private readonly byColumns = new Map<string, Map<string, Principal>>();
  private size = 0;

  of(row: StoredGrantRow, stored: Uint8Array): Principal | undefined {
    let ofType = this.byColumns.get(row.principalResourceTypeId);
    const known = ofType?.get(row.principalResourceId);
    if (known && sameBytes(known.stored, stored)) return known;
    const principal = principalOf(fromBinary(ResourceSchema, stored), stored);
    if (!principal) return undefined;
    if (this.size >= PRINCIPALS_LIMIT) {
      this.byColumns.clear();
      this.size = 0;
      ofType = undefined;
    }
    if (!ofType) {
      ofType = new Map();
      this.byColumns.set(row.principalResourceTypeId, ofType);
    }
    if (!known) this.size++;
    ofType.set(row.principalResourceId, principal);
    return principal;
  }
}

/** A grant of one entitlement, as expansion needs it. */
interface HeldGrant {
  principal: Principal;
  /** Entitlement id → is_direct; empty for a direct grant. Shared between grants: replaced, never edited. */
  sources: ReadonlyMap<string, boolean>;
  /** Made by this expansion, written from bytes. */
  created: boolean;
  /** A stored grant's `data`, kept while its entitlement is being expanded. */
  data?: Uint8Array;
  /** A stored grant that gained a source: decoded, its sources edited as Go does. */
  grant?: Grant;
}

/** The sources of every direct grant. */
const NO_SOURCES: ReadonlyMap<string, boolean> = new Map();

function sourcesOf(sources: GrantSources | undefined): ReadonlyMap<string, boolean> {
  const entries = Object.entries(sources?.sources ?? {});
  if (entries.length === 0) return NO_SOURCES;
  return new Map(entries.map(([id, value]) => [id, value.isDirect]));
}

/** A stored row as a held grant; undefined when it has no principal id (expansion skips those). */
function heldOf(row: StoredGrantRow, principals: Principals): HeldGrant | undefined {
  const views = grantFieldViews(row.data);
  if (!views) {
    // Outside the plain shape: protobuf-es decodes it (or reports why it cannot).
    const grant = fromBinary(GrantSchema, row.data);
    if (!grant.principal) return undefined;
    const principal = principalOf(grant.principal, toGoBinary(ResourceSchema, grant.principal));
    if (!principal) return undefined;
    return { principal, sources: sourcesOf(grant.sources), created: false, data: row.data };
  }
  if (!views.principal) return undefined;
  const principal = principals.of(row, views.principal);
  if (!principal) return undefined;
  const sources = views.sources
    ? (grantSourcesOf(views.sources) ?? sourcesOf(fromBinary(GrantSourcesSchema, views.sources)))
    : NO_SOURCES;
  return { principal, sources, created: false, data: row.data };
}

/** An entitlement's grants as a later destination reads them, in row order: principal and sources. */
interface SourceGrants {
  principals: Principal[];
  sources: ReadonlyMap<string, boolean>[];
}

function sourceGrantsFrom(grants: readonly HeldGrant[]): SourceGrants {
  const list: SourceGrants = { principals: [], sources: [] };
  for (const grant of grants) {
    list.principals.push(grant.principal);
    list.sources.push(grant.sources);
  }
  return list;
}

function heldGrants(store: C1zWriter, filter: GrantFilter, principals: Principals): HeldGrant[] {
  const grants: HeldGrant[] = [];
  let pageToken = "";
  do {
    const page = store.listGrantRows({ ...filter, pageToken });
    for (const row of page.items) {
      const held = heldOf(row, principals);
      if (held) grants.push(held);
    }
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return grants;
}

/** Sets one source of a held grant; a stored grant is decoded and edited as Go edits it. */
function setSource(held: HeldGrant, entitlementId: string, isDirect: boolean): void {
  held.sources = new Map(held.sources).set(entitlementId, isDirect);
  if (held.created) return;
  if (!held.grant) held.grant = fromBinary(GrantSchema, held.data as Uint8Array);
  const sources = held.grant.sources?.sources ?? {};
  sources[entitlementId] = source(isDirect);
  held.grant.sources = create(GrantSourcesSchema, { sources });
}

/** The Go encoding of the GrantImmutable annotation every new grant carries. */
const IMMUTABLE_ANNOTATION = toBinary(AnySchema, packAny(GrantImmutableSchema, create(GrantImmutableSchema)));

/** What the new grants of one destination entitlement share. */
class Destination {
  private readonly parts: ExpandedGrantParts;
  /** Reused for every grant: most have one source. */
  private readonly sources: EncodedSource[] = [];

  constructor(
    readonly id: string,
    private readonly entitlement: Entitlement,
    private readonly sourceKeys: Map<string, Uint8Array>,
  ) {
    this.parts = {
      entitlement: toGoBinary(EntitlementSchema, entitlement),
      principal: new Uint8Array(0),
      idHead: utf8Bytes(id),
      idTail: new Uint8Array(0),
      annotation: IMMUTABLE_ANNOTATION,
    };
  }

  /** The row of a grant this expansion made. */
  createdRow(held: HeldGrant): EncodedGrantRow {
    const principal = held.principal;
    const externalId = grantId(this.id, principal);
    const resourceId = this.entitlement.resource?.id;
    // As the writer checks grants: Go's baton CLI dereferences these without nil checks.
    if (!this.entitlement.id || !resourceId) {
      throw new Error(`grant ${externalId} does not embed its entitlement (id and resource id)`);
    }
    const sources = this.sources;
    sources.length = 0;
    for (const [id, isDirect] of held.sources) {
      let encoded = this.sourceKeys.get(id);
      if (!encoded) {
        encoded = utf8Bytes(id);
        this.sourceKeys.set(id, encoded);
      }
      sources.push({ key: encoded, isDirect });
    }
    this.parts.principal = principal.bytes;
    this.parts.idTail = principal.idTail;
    return {
      resourceTypeId: resourceId.resourceType,
      resourceId: resourceId.resource,
      entitlementId: this.entitlement.id,
      principalResourceTypeId: principal.resourceType,
      principalResourceId: principal.resource,
      externalId,
      data: encodeExpandedGrant(this.parts, sources),
      expansion: null,
    };
  }
}

/**
 * One grant expansion, run in slices: `expandSome` expands destinations until a slice is
 * full, writes what it made and stops, so a caller can checkpoint, yield or end its
 * invocation between slices. `position` is how many destinations (in topological order)
 * are expanded and written; a later run that rebuilds the expansion from the same store
 * calls `skipTo(position)`. Skipped destinations are not cached: destinations fed by them
 * read their grants from the store, which gives the same grants. Expanding a destination
 * again is harmless too (its grants already hold their sources), so a slice whose
 * position was never saved is simply done again.
 */
export class GrantExpansion {
  readonly result: ExpandResult;
  /** Destination nodes in topological order. */
  private readonly destinations: number[];
  private next = 0;
  private readonly graph: EntitlementGraph;
  private readonly syncId: string | undefined;
  private readonly legacy: boolean;
  private readonly cacheLimit: number;
  private readonly principals = new Principals();
  private readonly sourceKeys = new Map<string, Uint8Array>();
  private readonly sourceEntitlements = new Map<string, Entitlement | undefined>();
  /** A destination's final grants, kept while destinations it feeds are still to come. */
  private readonly finalGrants = new Map<string, SourceGrants>();
  private cachedGrants = 0;
  private readonly consumersLeft = new Map<number, number>();
  private pending: EncodedGrantRow[] = [];

  constructor(
    private readonly store: C1zWriter,
    private readonly options: ExpandOptions = {},
  ) {
    this.syncId = options.syncId ?? store.currentSyncId;
    const maxDepth = options.maxDepth ?? MAX_EXPANSION_DEPTH;
    this.legacy = options.legacyGrantSources === true;
    this.cacheLimit = options.cachedGrantsLimit ?? CACHED_GRANTS_LIMIT;
    const { graph, dropped } = loadGraph(store, this.syncId);
    this.graph = graph;
    const edges = graph.edgeCount;
    const cyclesCollapsed = graph.collapseCycles();
    const { order, depth } = graph.topologicalOrder();
    const deepest = Math.max(0, ...depth.values());
    if (deepest > maxDepth) {
      throw new ExpansionError(`grant expansion exceeded the maximum depth (${maxDepth}): a chain of ${deepest} edges`);
    }
    this.result = { edges, cyclesCollapsed, depth: deepest, droppedEdges: dropped, created: 0, updated: 0 };
    this.destinations = order.filter((node) => (graph.in.get(node)?.size ?? 0) > 0);
    for (const node of this.destinations) {
      for (const parent of graph.in.get(node)?.keys() ?? [])
        this.consumersLeft.set(parent, (this.consumersLeft.get(parent) ?? 0) + 1);
    }
  }

  /** Destinations expanded and written so far. */
  get position(): number {
    return this.next;
  }

  get total(): number {
    return this.destinations.length;
  }

  get done(): boolean {
    return this.next >= this.destinations.length;
  }

  /** Takes up after `position` destinations a previous run expanded and wrote. */
  skipTo(position: number): void {
    if (!Number.isInteger(position) || position < this.next || position > this.destinations.length) {
      throw new ExpansionError(
        `grant expansion cannot resume at destination ${position} of ${this.destinations.length} (now at ${this.next})`,
      );
    }
    for (; this.next < position; this.next++) this.release(this.incoming(this.destinations[this.next] as number));
  }

  /**
   * Expands destinations until all are done or `sliceFull(grants touched in this slice)`
   * says so after one, then writes what is pending. Returns whether all are done.
   */
  expandSome(sliceFull: (touched: number) => boolean = () => false): boolean {
    let touched = 0;
    while (!this.done) {
      touched += this.expandNode(this.destinations[this.next] as number);
      this.next++;
      this.options.onProgress?.(this.next, this.destinations.length, this.result.created);
      if (sliceFull(touched)) break;
    }
    this.flush();
    return this.done;
  }

  private incoming(node: number) {
    return [...(this.graph.in.get(node) ?? [])].sort(([a], [b]) => a - b);
  }

  private flush(): void {
    for (let start = 0; start < this.pending.length; start += WRITE_CHUNK) {
      this.store.putExpandedGrantRows(this.pending.slice(start, start + WRITE_CHUNK));
    }
    this.pending = [];
  }

  private sourceGrantsOf(sourceId: string, resourceTypeIds: readonly string[] = []): SourceGrants {
    const cached = this.finalGrants.get(sourceId);
    if (!cached) {
      const filter = { syncId: this.syncId, entitlementId: sourceId, principalResourceTypeIds: [...resourceTypeIds] };
      return sourceGrantsFrom(heldGrants(this.store, filter, this.principals));
    }
    if (resourceTypeIds.length === 0) return cached;
    const types = new Set(resourceTypeIds);
    const kept: SourceGrants = { principals: [], sources: [] };
    for (let i = 0; i < cached.principals.length; i++) {
      if (!types.has(cached.principals[i].resourceType)) continue;
      kept.principals.push(cached.principals[i]);
      kept.sources.push(cached.sources[i]);
    }
    return kept;
  }

  /** Drops the cached grants of sources no destination still to come reads. */
  private release(incoming: ReturnType<GrantExpansion["incoming"]>): void {
    for (const [parent] of incoming) {
      const left = (this.consumersLeft.get(parent) ?? 1) - 1;
      this.consumersLeft.set(parent, left);
      if (left > 0) continue;
      for (const sourceId of this.graph.nodes.get(parent) ?? []) {
        this.cachedGrants -= this.finalGrants.get(sourceId)?.principals.length ?? 0;
        this.finalGrants.delete(sourceId);
      }
    }
  }

  /** Expands one destination node; returns how many grants it created or changed. */
  private expandNode(node: number): number {
    const { result, syncId, store, legacy } = this;
    const incoming = this.incoming(node);
    const feedsLater = (this.consumersLeft.get(node) ?? 0) > 0;
    let touched = 0;
    for (const destinationId of this.graph.nodes.get(node) ?? []) {
      const entitlement = store.getEntitlement(destinationId, syncId);
      if (!entitlement?.resource) {
        // Go drops edges into an entitlement that is not stored.
        result.droppedEdges += incoming.length;
        continue;
      }
      const destination = new Destination(destinationId, entitlement, this.sourceKeys);
      const stored = heldGrants(store, { syncId, entitlementId: destinationId }, this.principals);
      // A principal held twice (two grant ids): the last row is the one that gains sources.
      const held = new Map<string, HeldGrant>();
      for (const grant of stored) held.set(grant.principal.key, grant);
      const changed = new Map<string, HeldGrant>();
      const createdBefore = result.created;
      for (const [parent, spec] of incoming) {
        for (const sourceId of this.graph.nodes.get(parent) ?? []) {
          if (!this.sourceEntitlements.has(sourceId))
            this.sourceEntitlements.set(sourceId, store.getEntitlement(sourceId, syncId));
          if (!this.sourceEntitlements.get(sourceId)) continue;
          // The sources of a grant made from this source: one of two, shared by all of them.
          const onlyThis = [new Map([[sourceId, false]]), new Map([[sourceId, true]])];
          const grants = this.sourceGrantsOf(sourceId, spec.resourceTypeIds);
          for (let i = 0; i < grants.principals.length; i++) {
            const principal = grants.principals[i];
            const sourceSources = grants.sources[i];
            const sourceIsDirect = sourceSources.size === 0 || sourceSources.has(sourceId);
            if (spec.shallow && !sourceIsDirect) continue;
            const isDirect = legacy ? false : sourceIsDirect;
            const principalKey = principal.key;
            const existing = held.get(principalKey);
            if (!existing) {
              const created: HeldGrant = { principal, sources: onlyThis[isDirect ? 1 : 0], created: true };
              held.set(principalKey, created);
              changed.set(principalKey, created);
              result.created++;
              continue;
            }
            let updated = false;
            if (existing.sources.size === 0) {
              setSource(existing, destinationId, !legacy);
              updated = true;
            }
            const had = existing.sources.get(sourceId);
            if (had === undefined || (isDirect && !had)) {
              setSource(existing, sourceId, isDirect);
              updated = true;
            }
            if (updated) {
              if (!changed.has(principalKey)) result.updated++;
              changed.set(principalKey, existing);
            }
          }
        }
      }
      for (const grant of changed.values()) {
        this.pending.push(grant.created ? destination.createdRow(grant) : encodedGrantRow(grant.grant as Grant));
      }
      touched += changed.size;
      if (this.pending.length >= WRITE_CHUNK) this.flush();
      if (feedsLater && this.cachedGrants + stored.length + result.created - createdBefore <= this.cacheLimit) {
        // What reading the rows again would give: stored rows in order, then the new ones.
        const kept = sourceGrantsFrom(stored);
        for (const grant of changed.values()) {
          if (!grant.created) continue;
          kept.principals.push(grant.principal);
          kept.sources.push(grant.sources);
        }
        this.finalGrants.set(destinationId, kept);
        this.cachedGrants += kept.principals.length;
      } else if (feedsLater) this.flush(); // read again from the store by the destinations it feeds
    }
    this.release(incoming);
    return touched;
  }
}

/** The whole expansion in one call. */
export function expandGrants(store: C1zWriter, options: ExpandOptions = {}): ExpandResult {
  const expansion = new GrantExpansion(store, options);
  expansion.expandSome();
  return expansion.result;
}
