import { describe, expect, it } from "vitest";
import { EntitlementGraph, mergeSpecs } from "./graph.ts";

describe("EntitlementGraph", () => {
  it("merges duplicate edges: deep beats shallow, unfiltered beats filtered, filters union", () => {
    expect(
      mergeSpecs({ shallow: true, resourceTypeIds: ["user"] }, { shallow: false, resourceTypeIds: ["group"] }),
    ).toEqual({
      shallow: false,
      resourceTypeIds: ["group", "user"],
    });
    expect(
      mergeSpecs({ shallow: true, resourceTypeIds: ["user"] }, { shallow: true, resourceTypeIds: undefined }),
    ).toEqual({
      shallow: true,
      resourceTypeIds: undefined,
    });
  });

  it("collapses a cycle into one node, deleting its internal edges and keeping edges in and out", () => {
    const graph = new EntitlementGraph();
    graph.addEdge("a", "b", false, []);
    graph.addEdge("b", "c", false, []);
    graph.addEdge("c", "a", true, []);
    graph.addEdge("x", "a", true, ["user"]);
    graph.addEdge("x", "b", true, ["group"]);
    graph.addEdge("c", "y", false, []);
    graph.addEdge("z", "z", false, []);
    expect(graph.collapseCycles()).toBe(2);
    const cycle = graph.nodeFor("a");
    expect(graph.nodes.get(cycle)).toEqual(["a", "b", "c"]);
    expect(graph.nodeFor("b")).toBe(cycle);
    expect(graph.out.get(cycle)?.has(cycle)).toBeFalsy();
    expect(graph.in.get(cycle)?.get(graph.nodeFor("x"))).toEqual({ shallow: true, resourceTypeIds: ["group", "user"] });
    expect(graph.out.get(cycle)?.get(graph.nodeFor("y"))).toEqual({ shallow: false, resourceTypeIds: undefined });
    expect(graph.out.get(graph.nodeFor("z"))?.size ?? 0).toBe(0);
    expect(graph.cyclicComponents()).toEqual([]);
  });

  it("orders nodes topologically with the longest edge chain as depth", () => {
    const graph = new EntitlementGraph();
    graph.addEdge("a", "b", false, []);
    graph.addEdge("b", "c", false, []);
    graph.addEdge("a", "c", false, []);
    const { order, depth } = graph.topologicalOrder();
    expect(order.map((node) => graph.nodes.get(node)?.[0])).toEqual(["a", "b", "c"]);
    expect(depth.get(graph.nodeFor("c"))).toBe(2);
  });
});
