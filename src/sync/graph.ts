/**
 * The entitlement graph of grant expansion (Go: pkg/sync/expand/graph.go,
 * cycle.go). An edge S → D means "every principal holding S also holds D".
 * Duplicate edges merge (deep beats shallow, unfiltered beats filtered);
 * cycles collapse into one node whose internal edges are deleted.
 */

export interface EdgeSpec {
  shallow: boolean;
  /** Principal resource types the edge is limited to; undefined means all. */
  resourceTypeIds: string[] | undefined;
}

function normaliseFilter(ids: readonly string[]): string[] | undefined {
  return ids.length === 0 ? undefined : [...new Set(ids)].sort();
}

/** Go's AddEdge merge of a duplicate edge: deep wins, unfiltered wins, filters union. */
export function mergeSpecs(existing: EdgeSpec, added: EdgeSpec): EdgeSpec {
  const resourceTypeIds =
    existing.resourceTypeIds === undefined || added.resourceTypeIds === undefined
      ? undefined
      : normaliseFilter([...existing.resourceTypeIds, ...added.resourceTypeIds]);
  return { shallow: existing.shallow && added.shallow, resourceTypeIds };
}

export class EntitlementGraph {
  /** Node id → the entitlements it stands for (more than one after a cycle collapsed). */
  readonly nodes = new Map<number, string[]>();
  private readonly nodeOf = new Map<string, number>();
  /** source node → destination node → spec */
  readonly out = new Map<number, Map<number, EdgeSpec>>();
  readonly in = new Map<number, Map<number, EdgeSpec>>();
  private nextNode = 0;

  nodeFor(entitlementId: string): number {
    let node = this.nodeOf.get(entitlementId);
    if (node === undefined) {
      node = ++this.nextNode;
      this.nodes.set(node, [entitlementId]);
      this.nodeOf.set(entitlementId, node);
    }
    return node;
  }

  get edgeCount(): number {
    let count = 0;
    for (const targets of this.out.values()) count += targets.size;
    return count;
  }

  addEdge(source: string, destination: string, shallow: boolean, resourceTypeIds: readonly string[]): void {
    const from = this.nodeFor(source);
    const to = this.nodeFor(destination);
    const spec: EdgeSpec = { shallow, resourceTypeIds: normaliseFilter(resourceTypeIds) };
    const existing = this.out.get(from)?.get(to);
    this.setEdge(from, to, existing ? mergeSpecs(existing, spec) : spec);
  }

  private setEdge(from: number, to: number, spec: EdgeSpec): void {
    const targets = this.out.get(from) ?? new Map<number, EdgeSpec>();
    this.out.set(from, targets);
    targets.set(to, spec);
    const sources = this.in.get(to) ?? new Map<number, EdgeSpec>();
    this.in.set(to, sources);
    sources.set(from, spec);
  }

  private removeNode(node: number): void {
    for (const to of this.out.get(node)?.keys() ?? []) this.in.get(to)?.delete(node);
    for (const from of this.in.get(node)?.keys() ?? []) this.out.get(from)?.delete(node);
    this.out.delete(node);
    this.in.delete(node);
    this.nodes.delete(node);
  }

  /** Strongly connected components with more than one node, or one node with a self-loop (Tarjan, iterative). */
  cyclicComponents(): number[][] {
    const index = new Map<number, number>();
    const low = new Map<number, number>();
    const onStack = new Set<number>();
    const stack: number[] = [];
    const components: number[][] = [];
    let counter = 0;
    const sortedNodes = [...this.nodes.keys()].sort((a, b) => a - b);
    for (const root of sortedNodes) {
      if (index.has(root)) continue;
      const work: { node: number; targets: number[]; next: number }[] = [];
      const enter = (node: number) => {
        index.set(node, counter);
        low.set(node, counter);
        counter++;
        stack.push(node);
        onStack.add(node);
        work.push({ node, targets: [...(this.out.get(node)?.keys() ?? [])], next: 0 });
      };
      enter(root);
      while (work.length > 0) {
        const frame = work[work.length - 1] as (typeof work)[number];
        if (frame.next < frame.targets.length) {
          const target = frame.targets[frame.next++] as number;
          if (!index.has(target)) enter(target);
          else if (onStack.has(target)) {
            low.set(frame.node, Math.min(low.get(frame.node) as number, index.get(target) as number));
          }
          continue;
        }
        work.pop();
        const parent = work[work.length - 1];
        if (parent) low.set(parent.node, Math.min(low.get(parent.node) as number, low.get(frame.node) as number));
        if (low.get(frame.node) === index.get(frame.node)) {
          const component: number[] = [];
          let member: number;
          do {
            member = stack.pop() as number;
            onStack.delete(member);
            component.push(member);
          } while (member !== frame.node);
          if (component.length > 1 || this.out.get(frame.node)?.has(frame.node)) {
            components.push(component.sort((a, b) => a - b));
          }
        }
      }
    }
    return components;
  }

  /**
   * Collapses each cycle into one node holding all its entitlements (Go's fixCycle):
   * edges inside the cycle are deleted; edges in and out are merged per neighbour,
   * shallow only if every merged edge was shallow, unfiltered if any was.
   */
  collapseCycles(): number {
    const components = this.cyclicComponents();
    for (const component of components) {
      const members = new Set(component);
      const entitlements = component.flatMap((node) => this.nodes.get(node) ?? []).sort();
      const outgoing = new Map<number, EdgeSpec>();
      const incoming = new Map<number, EdgeSpec>();
      for (const node of component) {
        for (const [to, spec] of this.out.get(node) ?? []) {
          if (members.has(to)) continue;
          const merged = outgoing.get(to);
          outgoing.set(to, merged ? mergeSpecs(merged, spec) : spec);
        }
        for (const [from, spec] of this.in.get(node) ?? []) {
          if (members.has(from)) continue;
          const merged = incoming.get(from);
          incoming.set(from, merged ? mergeSpecs(merged, spec) : spec);
        }
      }
      for (const node of component) this.removeNode(node);
      const collapsed = ++this.nextNode;
      this.nodes.set(collapsed, entitlements);
      for (const entitlement of entitlements) this.nodeOf.set(entitlement, collapsed);
      for (const [to, spec] of outgoing) this.setEdge(collapsed, to, spec);
      for (const [from, spec] of incoming) this.setEdge(from, collapsed, spec);
    }
    return components.length;
  }

  /**
   * Nodes in topological order with their depth: the longest chain of edges that
   * ends at them. Requires an acyclic graph (call collapseCycles first).
   */
  topologicalOrder(): { order: number[]; depth: Map<number, number> } {
    const remaining = new Map<number, number>();
    for (const node of this.nodes.keys()) remaining.set(node, this.in.get(node)?.size ?? 0);
    const depth = new Map<number, number>();
    let layer = [...remaining].filter(([, count]) => count === 0).map(([node]) => node);
    const order: number[] = [];
    while (layer.length > 0) {
      layer.sort((a, b) => a - b);
      const next: number[] = [];
      for (const node of layer) {
        order.push(node);
        const own = depth.get(node) ?? 0;
        for (const to of this.out.get(node)?.keys() ?? []) {
          depth.set(to, Math.max(depth.get(to) ?? 0, own + 1));
          const left = (remaining.get(to) as number) - 1;
          remaining.set(to, left);
          if (left === 0) next.push(to);
        }
      }
      layer = next;
    }
    if (order.length !== this.nodes.size) throw new Error("entitlement graph still has a cycle");
    return { order, depth };
  }
}
