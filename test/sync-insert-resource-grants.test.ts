/**
 * InsertResourceGrants (baton-model.md §1.13, §2.4 step 5): a grants page carrying
 * the annotation also stores each grant's entitlement resource (upsert). Expected
 * resource sets are written by hand from that rule.
 */
import { create } from "@bufbuild/protobuf";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { createC1z } from "../src/c1z/index.ts";
import { packAny } from "../src/model/annotations.ts";
import { grant, group, resource, resourceId, resourceType, user } from "../src/model/builders.ts";
import { type Any, InsertResourceGrantsSchema, type Resource } from "../src/model/types.ts";
import type { AnyPlugin, Page, ResourceTypeDefinition } from "../src/plugins/contract.ts";
import { runSync } from "../src/sync/index.ts";
import { FakeClock } from "./sync-helpers.ts";

const insert: Any = packAny(InsertResourceGrantsSchema, create(InsertResourceGrantsSchema, {}));
const none = async (): Promise<Page<never>> => ({ items: [] });
const project = (id: string, displayName: string) => resource({ type: "project", id, displayName });
const alice = resourceId("user", "alice");
const bob = resourceId("user", "bob");

interface Case {
  name: string;
  /** Projects the project listing returns. */
  listed: Resource[];
  /** The grants page the team returns (its grants name projects' entitlements). */
  grants: () => ReturnType<typeof grant>[];
  annotations: Any[];
  /** project id → display name in the finished sync. */
  projects: Record<string, string>;
  grantCount: number;
}

const cases: Case[] = [
  {
    name: "annotated: each grant's entitlement resource is stored, once per resource",
    listed: [],
    grants: () => [
      grant(project("p1", "Apollo"), "admin", alice),
      grant(project("p1", "Apollo"), "admin", bob),
      grant(project("p2", "Gemini"), "viewer", alice),
    ],
    annotations: [insert],
    projects: { p1: "Apollo", p2: "Gemini" },
    grantCount: 3,
  },
  {
    name: "not annotated: grants are stored, their entitlement resources are not",
    listed: [],
    grants: () => [grant(project("p1", "Apollo"), "admin", alice)],
    annotations: [],
    projects: {},
    grantCount: 1,
  },
  {
    name: "annotated: a listed resource is upserted with the grant's copy (latest observation wins)",
    listed: [project("p1", "Old name"), project("p3", "Untouched")],
    grants: () => [grant(project("p1", "Apollo"), "admin", alice)],
    annotations: [insert],
    projects: { p1: "Apollo", p3: "Untouched" },
    grantCount: 1,
  },
  {
    name: "annotated, empty page: nothing is added",
    listed: [project("p3", "Untouched")],
    grants: () => [],
    annotations: [insert],
    projects: { p3: "Untouched" },
    grantCount: 0,
  },
];

function pluginFor(c: Case): AnyPlugin {
  const types: ResourceTypeDefinition[] = [
    {
      resourceType: resourceType({ displayName: "User", traits: ["user"] }),
      list: async () => ({
        items: [user({ id: "alice", displayName: "Alice" }), user({ id: "bob", displayName: "Bob" })],
      }),
      entitlements: none,
      grants: none,
    },
    {
      resourceType: resourceType({ id: "project", displayName: "Project" }),
      list: async () => ({ items: c.listed }),
      entitlements: none,
      grants: none,
    },
    {
      resourceType: resourceType({ displayName: "Team", traits: ["group"] }),
      list: async () => ({ items: [group({ type: "team", id: "t1", displayName: "Team" })] }),
      entitlements: none,
      grants: async () => ({ items: c.grants(), annotations: c.annotations }),
    },
  ];
  return { name: "insert", displayName: "Insert", config: v.object({}), connect: () => ({}), resourceTypes: types };
}

describe("InsertResourceGrants", () => {
  it.each(cases)("$name", async (c) => {
    const clock = new FakeClock();
    const store = await createC1z({ now: clock.now });
    const result = await runSync({ plugin: pluginFor(c), client: {}, store, clock });
    const projects: Record<string, string> = {};
    for (const r of store.listResources({ syncId: result.syncId, resourceTypeId: "project", pageSize: 100 }).items) {
      projects[r.id!.resource] = r.displayName;
    }
    expect(projects).toEqual(c.projects);
    expect(store.listGrants({ syncId: result.syncId, pageSize: 100 }).items).toHaveLength(c.grantCount);
    // Users and the team are untouched by the annotation.
    expect(store.getResource(alice, result.syncId)?.displayName).toBe("Alice");
    expect(store.getResource(resourceId("team", "t1"), result.syncId)?.displayName).toBe("Team");
    store.close();
  });
});
