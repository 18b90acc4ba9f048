/**
 * Table-driven behaviour of the sync engine against the real c1z store, with
 * expected values written by hand from Baton's rules (baton-model.md §2).
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { create, fromBinary } from "@bufbuild/protobuf";
import * as v from "valibot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type C1zWriter, createC1z, openSqlite } from "../src/c1z/index.ts";
import { packAny } from "../src/model/annotations.ts";
import { entitlement, grant, group, resource, resourceType, user } from "../src/model/builders.ts";
import {
  BatonIDSchema,
  EntitlementExclusionGroupSchema,
  type Grant,
  type Resource,
  type ResourceId,
} from "../src/model/types.ts";
import type { AnyPlugin, Page, ResourceTypeDefinition } from "../src/plugins/contract.ts";
import {
  NotFoundError,
  type ProgressEvent,
  runSync,
  SyncNotCompleteError,
  type SyncOptions,
  TransientError,
} from "../src/sync/index.ts";
import { FakeClock } from "./sync-helpers.ts";
import { buildOrg } from "./sync-org.ts";

function pluginOf(types: ResourceTypeDefinition[], name = "table"): AnyPlugin {
  return { name, displayName: name, config: v.object({}), connect: () => ({}), resourceTypes: types };
}

const none = async (): Promise<Page<never>> => ({ items: [] });

/** A type definition with defaults: lists nothing, no entitlements, no grants. */
function typeDef(partial: Partial<ResourceTypeDefinition> & Pick<ResourceTypeDefinition, "resourceType">) {
  return { list: none, entitlements: none, grants: none, ...partial } as ResourceTypeDefinition;
}

async function sync(plugin: AnyPlugin, extra: Partial<SyncOptions> = {}) {
  const clock = extra.clock instanceof FakeClock ? extra.clock : new FakeClock();
  const store = (extra.store as C1zWriter | undefined) ?? (await createC1z({ now: clock.now }));
  const events: ProgressEvent[] = [];
  const result = await runSync({ plugin, client: {}, store, clock, onProgress: (e) => events.push(e), ...extra });
  return { store, result, events, clock };
}

function grantsOf(store: C1zWriter, syncId?: string): Map<string, Grant> {
  const out = new Map<string, Grant>();
  let pageToken = "";
  do {
    const page = store.listGrants({ syncId, pageToken });
    for (const g of page.items) out.set(g.id, g);
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return out;
}

function sourcesOf(g: Grant | undefined): Record<string, boolean> | undefined {
  if (!g) return undefined;
  return Object.fromEntries(Object.entries(g.sources?.sources ?? {}).map(([k, s]) => [k, s.isDirect]));
}

const USER = resourceType({ id: "user", displayName: "User", traits: ["user"] });
const GROUP = resourceType({ id: "group", displayName: "Group", traits: ["group"] });
const users = (n: number) => Array.from({ length: n }, (_, i) => user({ id: `u${i}`, displayName: `U${i}` }));
const groups = (n: number) => Array.from({ length: n }, (_, i) => group({ id: `g${i}`, displayName: `G${i}` }));
const gid = (g: Resource) => g.id as ResourceId;

describe("resources", () => {
  it("lists child resources once per (type, parent), even when the parent appears on two pages", async () => {
    const parents = [
      group({ id: "g0", displayName: "G0", childTypes: ["team"] }),
      group({ id: "g1", displayName: "G1", childTypes: ["team"] }),
    ];
    const teamCalls: string[] = [];
    const plugin = pluginOf([
      typeDef({
        resourceType: GROUP,
        // Page 1: g0, g1; page 2: g1 again (a duplicate across pages).
        list: async (parent, ctx) =>
          parent
            ? { items: [] }
            : ctx.pageToken === ""
              ? { items: parents, nextPageToken: "2" }
              : { items: [parents[1] as Resource] },
      }),
      typeDef({
        resourceType: resourceType({ id: "team", displayName: "Team" }),
        list: async (parent) => {
          teamCalls.push(parent ? parent.resource : "(none)");
          if (!parent) return { items: [] };
          return { items: [resource({ type: "team", id: `${parent.resource}-t`, displayName: "T", parent })] };
        },
      }),
    ]);
    const { store } = await sync(plugin);
    expect(teamCalls.sort()).toEqual(["(none)", "g0", "g1"]);
    const team = store.getResource({ resourceType: "team", resource: "g1-t" } as ResourceId);
    expect(team?.parentResourceId?.resource).toBe("g1");
    expect(
      store
        .listResources({ resourceTypeId: "team", parent: gid(parents[0] as Resource) })
        .items.map((r) => r.id?.resource),
    ).toEqual(["g0-t"]);
  });

  it("keeps the last write of a resource listed on two pages", async () => {
    const plugin = pluginOf([
      typeDef({
        resourceType: USER,
        list: async (_p, ctx) =>
          ctx.pageToken === ""
            ? { items: [user({ id: "a", displayName: "first" })], nextPageToken: "x" }
            : { items: [user({ id: "a", displayName: "second" })] },
      }),
    ]);
    const { store, result } = await sync(plugin);
    expect(store.listResources({ resourceTypeId: "user" }).items.map((r) => r.displayName)).toEqual(["second"]);
    expect(result.written.resources).toBe(2);
  });

  it("fails on an unchanged page token, naming plugin, phase and resource type", async () => {
    const plugin = pluginOf(
      [typeDef({ resourceType: USER, list: async () => ({ items: users(1), nextPageToken: "same" }) })],
      "loopy",
    );
    await expect(sync(plugin)).rejects.toThrow(
      /next page token unchanged.*plugin loopy, phase list-resources, resource type user/,
    );
  });

  it("fails on a page token over 1 MiB", async () => {
    const plugin = pluginOf([
      typeDef({ resourceType: USER, list: async () => ({ items: [], nextPageToken: "x".repeat(1024 * 1024 + 1) }) }),
    ]);
    await expect(sync(plugin)).rejects.toThrow(/larger than 1 MiB/);
  });

  it("fails when a resource lacks its type's trait, naming the resource", async () => {
    const plugin = pluginOf(
      [
        typeDef({
          resourceType: USER,
          list: async () => ({ items: [resource({ type: "user", id: "bare", displayName: "B" })] }),
        }),
      ],
      "traitless",
    );
    await expect(sync(plugin)).rejects.toThrow(
      /missing expected trait UserTrait: user:bare.*plugin traitless, phase list-resources, resource type user/,
    );
  });

  it("fails when a plugin's resource carries BatonID", async () => {
    const marked = user({ id: "x", displayName: "X", annotations: [packAny(BatonIDSchema, create(BatonIDSchema))] });
    const plugin = pluginOf([typeDef({ resourceType: USER, list: async () => ({ items: [marked] }) })]);
    await expect(sync(plugin)).rejects.toThrow(/user:x carries BatonID/);
  });

  it("drops invalid objects with a counted warning", async () => {
    const broken = [user({ id: "ok", displayName: "ok" }), resource({ type: "user", id: "", displayName: "no id" })];
    const plugin = pluginOf([typeDef({ resourceType: USER, list: async () => ({ items: broken }) })]);
    const { store, result } = await sync(plugin);
    expect(store.listResources().items.map((r) => r.id?.resource)).toEqual(["ok"]);
    expect(result.warnings).toEqual([expect.stringMatching(/dropped 1 invalid resources/)]);
    // Dropped data is counted but does not count towards the not-found limit.
    const many = pluginOf([
      typeDef({
        resourceType: USER,
        list: async (_p, ctx) => {
          const n = ctx.pageToken === "" ? 0 : Number(ctx.pageToken);
          return { items: broken, nextPageToken: n < 20 ? String(n + 1) : "" };
        },
      }),
    ]);
    expect((await sync(many, { maxWarnings: 0 })).result.warnings).toHaveLength(21);
  });
});

describe("skip annotations", () => {
  const cases = [
    {
      name: "SkipEntitlementsAndGrants on the type",
      typeSkip: "entitlementsAndGrants",
      resourceSkip: undefined,
      ents: 0,
      grants: 0,
    },
    { name: "SkipEntitlements on the type", typeSkip: "entitlements", resourceSkip: undefined, ents: 0, grants: 2 },
    { name: "SkipGrants on the type", typeSkip: "grants", resourceSkip: undefined, ents: 2, grants: 0 },
    {
      name: "SkipEntitlementsAndGrants on a resource",
      typeSkip: undefined,
      resourceSkip: "entitlementsAndGrants",
      ents: 1,
      grants: 1,
    },
    { name: "SkipEntitlements on a resource", typeSkip: undefined, resourceSkip: "entitlements", ents: 1, grants: 2 },
    { name: "SkipGrants on a resource", typeSkip: undefined, resourceSkip: "grants", ents: 2, grants: 1 },
  ] as const;
  it.each(cases)("$name", async ({ typeSkip, resourceSkip, ents, grants: grantCalls }) => {
    const calls = { entitlements: 0, grants: 0 };
    const members = [group({ id: "a", displayName: "A", skip: resourceSkip }), group({ id: "b", displayName: "B" })];
    const plugin = pluginOf([
      typeDef({
        resourceType: resourceType({ id: "group", displayName: "Group", traits: ["group"], skip: typeSkip }),
        list: async () => ({ items: members }),
        entitlements: async (r) => {
          calls.entitlements++;
          return { items: [entitlement(r, "member")] };
        },
        grants: async () => {
          calls.grants++;
          return { items: [] };
        },
      }),
    ]);
    await sync(plugin);
    expect(calls).toEqual({ entitlements: ents, grants: grantCalls });
  });
});

/** Groups with member entitlements and the given grants; users u0..u4. */
function expansionPlugin(grantsFor: (g: Resource, gs: Resource[], us: Resource[]) => Grant[], groupCount = 5) {
  const gs = groups(groupCount);
  const us = users(5);
  return pluginOf([
    typeDef({ resourceType: USER, list: async () => ({ items: us }) }),
    typeDef({
      resourceType: GROUP,
      list: async () => ({ items: gs }),
      entitlements: async (r) => ({ items: [entitlement(r, "member")] }),
      grants: async (r) => ({ items: grantsFor(r, gs, us) }),
    }),
  ]);
}

const member = (
  g: Resource,
  principal: Resource,
  expandable?: { from: Resource; shallow?: boolean; types?: string[] },
) =>
  grant(g, "member", gid(principal), {
    expandable: expandable
      ? {
          entitlementIds: [`group:${expandable.from.id?.resource}:member`],
          shallow: expandable.shallow,
          resourceTypeIds: expandable.types,
        }
      : undefined,
  });

describe("grant expansion", () => {
  // g0 ⊂ g1 (deep); g1 ⊂ g2 (shallow or deep); u0 ∈ g0; u1 ∈ g1; u0 ∈ g1 directly too.
  const nested = (shallow: boolean, types?: string[]) =>
    expansionPlugin((g, gs, us) => {
      const [g0, g1, g2] = gs as [Resource, Resource, Resource];
      const [u0, u1] = us as [Resource, Resource];
      switch (g.id?.resource) {
        case "g0":
          return [member(g0, u0)];
        case "g1":
          return [member(g1, g0, { from: g0 }), member(g1, u1), member(g1, u0)];
        case "g2":
          return [member(g2, g1, { from: g1, shallow, types })];
        default:
          return [];
      }
    });

  it("deep edges carry indirect holders; an existing grant gains sources, itself first", async () => {
    const { store, result } = await sync(nested(false));
    const all = grantsOf(store);
    // g2 gets every holder of g1: group g0 (direct), u1 (direct), u0 (direct on g1 too).
    expect(sourcesOf(all.get("group:g2:member:group:g0"))).toEqual({ "group:g1:member": true });
    expect(sourcesOf(all.get("group:g2:member:user:u1"))).toEqual({ "group:g1:member": true });
    expect(sourcesOf(all.get("group:g2:member:user:u0"))).toEqual({ "group:g1:member": true });
    // u0's direct grant on g1 existed with no sources: it gains {g1: direct} and {g0: direct}.
    expect(sourcesOf(all.get("group:g1:member:user:u0"))).toEqual({ "group:g1:member": true, "group:g0:member": true });
    expect(result.expandedGrants).toBe(3);
    const created = all.get("group:g2:member:user:u1");
    expect(created?.entitlement?.displayName).toBe("member");
    expect(created?.annotations.map((a) => a.typeUrl)).toEqual(["type.googleapis.com/c1.connector.v2.GrantImmutable"]);
  });

  it("shallow edges carry only direct holders", async () => {
    // u2 ∈ g0 only: reaches g1 indirectly, so a shallow g1 → g2 edge must not carry u2.
    const plugin = expansionPlugin((g, gs, us) => {
      const [g0, g1, g2] = gs as [Resource, Resource, Resource];
      const [, u1, u2] = us as [Resource, Resource, Resource];
      if (g.id?.resource === "g0") return [member(g0, u2)];
      if (g.id?.resource === "g1") return [member(g1, g0, { from: g0 }), member(g1, u1)];
      if (g.id?.resource === "g2") return [member(g2, g1, { from: g1, shallow: true })];
      return [];
    });
    const all = grantsOf((await sync(plugin)).store);
    expect(all.has("group:g1:member:user:u2")).toBe(true);
    expect(all.has("group:g2:member:user:u2")).toBe(false);
    expect(all.has("group:g2:member:user:u1")).toBe(true);
    expect(all.has("group:g2:member:group:g0")).toBe(true);
  });

  it("resource_type_ids limits which principals an edge carries", async () => {
    const all = grantsOf((await sync(nested(false, ["user"]))).store);
    expect(all.has("group:g2:member:group:g0")).toBe(false);
    expect(all.has("group:g2:member:user:u1")).toBe(true);
  });

  it("collapses a cycle: members of the cycle do not feed each other; edges in and out expand", async () => {
    // g1 → g2 → g3 → g1 is a cycle; g0 feeds g1; g3 feeds g4 for users only. u0 ∈ g0, u1 ∈ g1.
    const plugin = expansionPlugin((g, gs, us) => {
      const [g0, g1, g2, g3, g4] = gs as [Resource, Resource, Resource, Resource, Resource];
      const [u0, u1] = us as [Resource, Resource];
      switch (g.id?.resource) {
        case "g0":
          return [member(g0, u0)];
        case "g1":
          return [member(g1, u1), member(g1, g3, { from: g3 }), member(g1, g0, { from: g0 })];
        case "g2":
          return [member(g2, g1, { from: g1 })];
        case "g3":
          return [member(g3, g2, { from: g2 })];
        case "g4":
          return [member(g4, g3, { from: g3, types: ["user"] })];
        default:
          return [];
      }
    });
    const { store, result } = await sync(plugin);
    const all = grantsOf(store);
    const created = [...all.values()].filter(
      (g) => Object.keys(g.sources?.sources ?? {}).length > 0 && g.annotations.length > 0,
    );
    expect(created.map((g) => g.id).sort()).toEqual(
      [
        "group:g1:member:user:u0",
        "group:g2:member:user:u0",
        "group:g3:member:user:u0",
        "group:g4:member:user:u0",
        "group:g4:member:user:u1",
      ].sort(),
    );
    expect(result.expandedGrants).toBe(5);
    // u1 is a direct member of g1, inside the cycle: it does not reach g2 or g3.
    expect(all.has("group:g2:member:user:u1")).toBe(false);
    expect(sourcesOf(all.get("group:g2:member:user:u0"))).toEqual({ "group:g0:member": true });
    expect(sourcesOf(all.get("group:g4:member:user:u1"))).toEqual({ "group:g1:member": true });
    expect(sourcesOf(all.get("group:g4:member:user:u0"))).toEqual({
      "group:g1:member": false,
      "group:g2:member": false,
      "group:g3:member": false,
    });
  });

  it.each([
    { edges: 20, fails: false },
    { edges: 21, fails: true },
  ])("a chain of $edges edges: fails past depth 20 = $fails", async ({ edges, fails }) => {
    const plugin = expansionPlugin((g, gs, us) => {
      const i = Number(g.id?.resource.slice(1));
      const out =
        i === 0 ? [member(g, us[0] as Resource)] : [member(g, gs[i - 1] as Resource, { from: gs[i - 1] as Resource })];
      return out;
    }, edges + 1);
    if (fails) {
      await expect(sync(plugin)).rejects.toThrow(/maximum depth \(20\).*phase grant-expansion/);
    } else {
      const all = grantsOf((await sync(plugin)).store);
      expect(all.has(`group:g${edges}:member:user:u0`)).toBe(true);
    }
  });

  it("fails when a grant's principal is not the source entitlement's resource", async () => {
    const plugin = expansionPlugin((g, gs, us) =>
      g.id?.resource === "g1" ? [member(g, us[0] as Resource, { from: gs[0] as Resource })] : [],
    );
    await expect(sync(plugin)).rejects.toThrow(/did not match grant principal id/);
  });

  it("skipExpansion leaves expandable grants unexpanded", async () => {
    const { store, result } = await sync(nested(false), { skipExpansion: true });
    expect(result.expandedGrants).toBe(0);
    expect(grantsOf(store).has("group:g2:member:user:u1")).toBe(false);
  });
});

describe("retries and rate limits", () => {
  let server: Server;
  let base = "";
  let clock: FakeClock;
  let hits = 0;
  beforeAll(async () => {
    server = createServer((_request, response) => {
      hits++;
      if (hits === 1) {
        // Rate limited: nothing left until 42 s after the (fake) now.
        response.writeHead(429, {
          "x-ratelimit-remaining": "0",
          "x-ratelimit-reset": String((clock.now() + 42_000) / 1000),
        });
        response.end();
        return;
      }
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify([{ id: "u1", name: "One" }]));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("waits for a known rate-limit reset read by ctx.fetch, on the injected clock", async () => {
    clock = new FakeClock();
    const plugin = pluginOf([
      typeDef({
        resourceType: USER,
        list: async (_p, ctx) => {
          const rows = (await (await ctx.fetch(base)).json()) as { id: string; name: string }[];
          return { items: rows.map((row) => user({ id: row.id, displayName: row.name })) };
        },
      }),
    ]);
    const { store, events } = await sync(plugin, { clock });
    expect(clock.sleeps).toEqual([42_000]);
    expect(events.filter((e) => e.type === "retry").map((e) => e.type === "retry" && e.waitMs)).toEqual([42_000]);
    expect(store.listResources().items.map((r) => r.id?.resource)).toEqual(["u1"]);
  });

  it("backs off 1 s, 2 s, 3 s on plain transient errors", async () => {
    let failures = 3;
    const plugin = pluginOf([
      typeDef({
        resourceType: USER,
        list: async () => {
          if (failures-- > 0) throw new TransientError("503");
          return { items: users(1) };
        },
      }),
    ]);
    const { clock: used, result } = await sync(plugin);
    expect(used.sleeps).toEqual([1000, 2000, 3000]);
    expect(result.written.resources).toBe(1);
  });

  it("fails on other errors, naming plugin, phase and object", async () => {
    const plugin = pluginOf(
      [
        typeDef({
          resourceType: GROUP,
          list: async () => ({ items: groups(1) }),
          grants: async () => Promise.reject(new Error("boom")),
        }),
      ],
      "breaks",
    );
    await expect(sync(plugin)).rejects.toThrow(
      "boom (plugin breaks, phase list-grants, resource type group, resource g0)",
    );
  });

  it("a not-found resource is a warning; too many fail the sync", async () => {
    const make = (missing: number) =>
      pluginOf([
        typeDef({
          resourceType: GROUP,
          list: async () => ({ items: groups(12) }),
          grants: async (r) => {
            if (Number(r.id?.resource.slice(1)) < missing) throw new NotFoundError(`${r.id?.resource} is gone`);
            return { items: [] };
          },
        }),
      ]);
    const { result } = await sync(make(1));
    expect(result.warnings).toEqual([expect.stringMatching(/not found, skipped: g0 is gone/)]);
    await expect(sync(make(1), { maxWarnings: 0 })).rejects.toThrow(/too many warnings/);
    // Go: more than 10 warnings and more than 10 % of completed actions.
    expect((await sync(make(10))).result.warnings).toHaveLength(10);
    await expect(sync(make(11))).rejects.toThrow(/too many warnings \(11 not found\)/);
  });
});

describe("options", () => {
  it("workers = 1 and workers = 4 write the same objects", async () => {
    const org = buildOrg({ users: 40, groups: 12, roles: 5, pageSize: 7 });
    const read = (store: C1zWriter) => ({
      resources: store
        .listResources()
        .items.map((r) => `${r.id?.resourceType}:${r.id?.resource}`)
        .sort(),
      entitlements: store
        .listEntitlements()
        .items.map((e) => e.id)
        .sort(),
      grants: [...grantsOf(store)].map(([id, g]) => `${id} ${JSON.stringify(sourcesOf(g))}`).sort(),
    });
    const one = read((await sync(org.plugin, { workers: 1 })).store);
    const four = read((await sync(org.plugin, { workers: 4 })).store);
    expect(four).toEqual(one);
    expect(one.grants.length).toBeGreaterThan(80);
  });

  it("a resource-type filter syncs only those types and drops grants to unsynced principals", async () => {
    const org = buildOrg({ users: 6, groups: 3, roles: 2 });
    const { store } = await sync(org.plugin, { resourceTypeIds: ["group", "role"] });
    expect(
      store
        .listResourceTypes()
        .items.map((t) => t.id)
        .sort(),
    ).toEqual(["group", "role"]);
    const all = [...grantsOf(store).values()];
    expect(all.length).toBeGreaterThan(0);
    expect(all.every((g) => g.principal?.id?.resourceType !== "user")).toBe(true);
    await expect(sync(org.plugin, { resourceTypeIds: ["group", "nope"] })).rejects.toThrow(
      /invalid resource type 'nope' in filter/,
    );
  });

  it("resources-only writes a resources_only sync without entitlements or grants", async () => {
    const org = buildOrg({ users: 4, groups: 2 });
    const { store, result } = await sync(org.plugin, { resourcesOnly: true });
    expect(result.syncType).toBe("resources_only");
    expect(store.getSync(result.syncId)?.syncType).toBe("resources_only");
    expect(store.listEntitlements({ syncId: result.syncId }).items).toEqual([]);
    expect(store.listResources({ syncId: result.syncId }).items.length).toBeGreaterThan(0);
  });

  it("a targeted sync is partial, parented on the last full sync, and uses get", async () => {
    const org = buildOrg({ users: 6, groups: 3 });
    const first = await sync(org.plugin);
    const targeted = await sync(org.plugin, {
      store: first.store,
      clock: first.clock,
      targetResources: [
        { $typeName: "c1.connector.v2.ResourceId", resourceType: "group", resource: "g000001", batonResource: false },
      ],
      skipGrants: true,
    });
    const run = first.store.getSync(targeted.result.syncId);
    expect(run?.syncType).toBe("partial");
    expect(run?.parentSyncId).toBe(first.result.syncId);
    const resources = first.store.listResources({ syncId: targeted.result.syncId }).items.map((r) => r.id?.resource);
    expect(resources).toContain("g000001");
    expect(resources).toContain("g000001-t0");
    expect(first.store.listGrants({ syncId: targeted.result.syncId }).items).toEqual([]);
    expect(first.store.listEntitlements({ syncId: targeted.result.syncId }).items.map((e) => e.id)).toEqual([
      "group:g000001:member",
    ]);
  });

  it("skipGrants in a full sync keeps resources and entitlements but writes no grants (a service task's skip_grants)", async () => {
    const { store, result } = await sync(buildOrg({ users: 2, groups: 2 }).plugin, { skipGrants: true });
    expect(store.getSync(result.syncId)?.syncType).toBe("full");
    expect(store.listResources({ syncId: result.syncId }).items.length).toBeGreaterThan(0);
    expect(store.listEntitlements({ syncId: result.syncId }).items.length).toBeGreaterThan(0);
    expect(store.listGrants({ syncId: result.syncId }).items).toEqual([]);
  });

  it("skipFullSync ends an empty full sync", async () => {
    const { store, result } = await sync(buildOrg({ users: 1, groups: 1 }).plugin, { skipFullSync: true });
    expect(store.getSync(result.syncId)?.endedAt).not.toBeNull();
    expect(store.listResources({ syncId: result.syncId }).items).toEqual([]);
  });

  it("static entitlements are written once per resource of the type", async () => {
    const { store } = await sync(buildOrg({ users: 2, groups: 1 }).plugin);
    const app = store.listEntitlements({ resource: { resourceType: "app", resource: "app1" } as ResourceId }).items;
    expect(app.map((e) => [e.id, e.displayName, e.resource?.displayName]).sort()).toEqual([
      ["app:app1:admin", "App One", "App One"],
      ["app:app1:use", "App One", "App One"],
    ]);
    // An exclusion group scoped to the resource is suffixed with the resource id.
    const admin = app.find((e) => e.slug === "admin");
    expect(
      admin?.annotations.map((a) => fromBinary(EntitlementExclusionGroupSchema, a.value).exclusionGroupId),
    ).toEqual(["tier-app1"]);
  });
});

describe("checkpoints and progress", () => {
  it("checkpoints at most every checkpointIntervalMs on the injected clock, with a small token", async () => {
    const clock = new FakeClock();
    const tokens: string[] = [];
    let calls = 0;
    const org = buildOrg({
      users: 30,
      groups: 150,
      roles: 2,
      pageSize: 40,
      membersPerUser: 1,
      hooks: {
        beforeCall: () => {
          calls++;
          clock.time += 1000;
        },
      },
    });
    await sync(org.plugin, { clock, checkpointIntervalMs: 10_000, onCheckpoint: (t) => void tokens.push(t) });
    // One plugin call = 1 s; a 10 s interval allows one periodic checkpoint per 10 calls, plus one
    // per phase boundary (7: init and six phases) and the final one.
    expect(tokens.length).toBeGreaterThan(8);
    expect(tokens.length).toBeLessThanOrEqual(Math.floor(calls / 10) + 8 + 1);
    const phasesSeen = tokens.map((t) => Object.values(JSON.parse(t).actions_map ?? {}).length);
    expect(phasesSeen.at(-1)).toBe(0);
    // 450 groups and teams need per-resource actions, but only about 100 (plus one plugin page) are pending at a time.
    expect(Math.max(...tokens.map((t) => t.length))).toBeLessThan((100 + 40) * 160);
    expect(JSON.parse(tokens.at(-1) ?? "{}")).toEqual({
      current_action_id: expect.any(Number),
      completed_actions_count: expect.any(Number),
      needs_expansion: true,
      version: 1,
    });
  });

  it("a later run resumes the same action at the same page token", async () => {
    const clock = new FakeClock();
    const store = await createC1z({ now: clock.now });
    const seen: string[] = [];
    const everyone = users(12);
    const make = (failAt?: string) =>
      pluginOf([
        typeDef({
          resourceType: USER,
          list: async (_p, ctx) => {
            seen.push(ctx.pageToken);
            if (ctx.pageToken === failAt) throw new Error("crash");
            const offset = ctx.pageToken === "" ? 0 : Number(ctx.pageToken);
            return {
              items: everyone.slice(offset, offset + 4),
              nextPageToken: offset + 4 < 12 ? String(offset + 4) : "",
            };
          },
        }),
      ]);
    await expect(sync(make("8"), { store, clock, checkpointIntervalMs: 0 })).rejects.toThrow(/crash/);
    const token = JSON.parse(store.getSync(store.currentSyncId as string)?.syncToken ?? "{}");
    const top = token.actions_map[token.action_order.at(-1)];
    expect(top).toMatchObject({ operation: "list-resources", resource_type_id: "user", page_token: "8" });
    seen.length = 0;
    const { result } = await sync(make(), { store, clock });
    expect(result.resumed).toBe(true);
    expect(seen[0]).toBe("8");
    expect(store.listResources({ syncId: result.syncId, resourceTypeId: "user" }).items).toHaveLength(12);
  });

  it("runDurationMs stops with a checkpoint; repeated runs finish the same sync", async () => {
    const clock = new FakeClock();
    const org = buildOrg({
      users: 20,
      groups: 6,
      pageSize: 4,
      hooks: {
        beforeCall: () => {
          clock.time += 1000;
        },
      },
    });
    const store = await createC1z({ now: clock.now });
    let steps = 0;
    let result: Awaited<ReturnType<typeof runSync>> | undefined;
    while (!result) {
      steps++;
      try {
        result = await runSync({ plugin: org.plugin, client: {}, store, clock, runDurationMs: 5000 });
      } catch (error) {
        expect(error).toBeInstanceOf(SyncNotCompleteError);
        expect(steps).toBeLessThan(100);
      }
    }
    expect(steps).toBeGreaterThan(3);
    expect(store.listSyncs()).toHaveLength(1);
    const whole = (await sync(buildOrg({ users: 20, groups: 6, pageSize: 4 }).plugin)).store;
    expect([...grantsOf(store, result.syncId).keys()].sort()).toEqual([...grantsOf(whole).keys()].sort());
  });

  it("a grant expansion cut by runDurationMs resumes at its saved position and gives the same grants", async () => {
    // Every clock read moves time on, so expansion slices end after a few destinations and
    // runs end inside the expansion.
    const clock = new FakeClock();
    const ticking = { now: () => (clock.time += 100), sleep: clock.sleep };
    const org = buildOrg({ users: 30, groups: 60, pageSize: 50 });
    const store = await createC1z({ now: ticking.now });
    const positions: number[] = [];
    let result: Awaited<ReturnType<typeof runSync>> | undefined;
    for (let runs = 0; !result; runs++) {
      expect(runs).toBeLessThan(200);
      try {
        result = await runSync({ plugin: org.plugin, client: {}, store, clock: ticking, runDurationMs: 1500 });
      } catch (error) {
        expect(error).toBeInstanceOf(SyncNotCompleteError);
        const token = JSON.parse(store.getSync(store.currentSyncId as string)?.syncToken ?? "{}");
        if (token.expanded_destinations !== undefined) positions.push(token.expanded_destinations);
      }
    }
    // More than one run ended inside the expansion, each further on than the last (a run that
    // started the expansion again would end at the same position).
    expect(positions.length).toBeGreaterThan(1);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(new Set(positions).size).toBe(positions.length);
    const whole = (await sync(buildOrg({ users: 30, groups: 60, pageSize: 50 }).plugin)).store;
    const expected = grantsOf(whole);
    const got = grantsOf(store, result.syncId);
    expect([...got.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [id, grant] of expected) expect(got.get(id)?.sources, id).toEqual(grant.sources);
    // Its expansion started in a resumed run, which marks the sync as Go does (it did not before).
    expect(store.getSync(result.syncId)?.supportsDiff).toBe(true);
  });

  it("builds the grant indexes back one per unit across runs cut by runDurationMs, to the schema of one run", async () => {
    // baton-sdk's v1_grants indexes in its order (test/fixtures/go/baton-sdk-ddl.sql, from its grants.go).
    const ddl = readFileSync(new URL("./fixtures/go/baton-sdk-ddl.sql", import.meta.url), "utf8");
    const goOrder = [...ddl.matchAll(/create (?:unique )?index if not exists (\w+) on v1_grants/gi)].map((m) => m[1]);
    expect(goOrder).toHaveLength(7);
    const clock = new FakeClock();
    const ticking = { now: () => (clock.time += 100), sleep: clock.sleep };
    const org = buildOrg({ users: 30, groups: 8, pageSize: 50 });
    let store = await createC1z({ now: ticking.now });
    const master = (sql: string) =>
      store.db
        .prepare(sql)
        .all()
        .map((row) => Object.values(row).join(" "));
    const grantIndexes = () =>
      master(
        "select name from sqlite_master where type = 'index' and tbl_name = 'v1_grants' and sql is not null order by rowid",
      );
    // The runs that ended while the indexes were being built back (the token says so).
    let finishing = 0;
    let result: Awaited<ReturnType<typeof runSync>> | undefined;
    for (let runs = 0; !result; runs++) {
      expect(runs).toBeLessThan(300);
      try {
        result = await runSync({ plugin: org.plugin, client: {}, store, clock: ticking, runDurationMs: 300 });
      } catch (error) {
        expect(error).toBeInstanceOf(SyncNotCompleteError);
        const token = JSON.parse(store.getSync(store.currentSyncId as string)?.syncToken ?? "{}");
        if (token.finishing === true) {
          finishing++;
          expect(token.action_order).toBeUndefined();
        }
        // Each run opens what the last one committed, as a step on Workers does.
        const committed = store.sqliteBytes();
        store.close();
        store = await openSqlite(committed, { now: ticking.now });
      }
    }
    // Seven indexes and the later tables: several units, so several runs ended between them.
    expect(finishing).toBeGreaterThan(3);
    const whole = (await sync(buildOrg({ users: 30, groups: 8, pageSize: 50 }).plugin)).store;
    const schema = "select type, name, tbl_name, sql from sqlite_master order by rowid";
    expect(master(schema)).toEqual(
      (whole as typeof store).db
        .prepare(schema)
        .all()
        .map((row) => Object.values(row).join(" ")),
    );
    expect(grantIndexes()).toEqual(goOrder);
    expect([...grantsOf(store, result.syncId).keys()].sort()).toEqual([...grantsOf(whole).keys()].sort());
  });

  it("marks supports_diff as Go does: at the expansion action, with or without anything to expand", async () => {
    const flat = pluginOf([
      typeDef({ resourceType: USER, list: async () => ({ items: users(3), nextPageToken: "" }) }),
    ]);
    const { store, result } = await sync(flat);
    expect(store.getSync(result.syncId)?.supportsDiff).toBe(true);
  });

  it("emits phases in Baton's order and progress with counts, pages, rate and estimates", async () => {
    const { events, result } = await sync(buildOrg({ users: 8, groups: 3 }).plugin);
    const phases = events.filter((e) => e.type === "phase").map((e) => e.type === "phase" && e.phase);
    expect(phases).toEqual([
      "init",
      "list-resource-types",
      "list-resources",
      "list-static-entitlements",
      "list-entitlements",
      "list-grants",
      "grant-expansion",
      "done",
    ]);
    const progress = events.filter((e) => e.type === "progress");
    const last = progress.at(-1);
    expect(last?.type === "progress" && last.written).toEqual(result.written);
    expect(progress.some((e) => e.type === "progress" && e.estimate !== undefined && e.phase === "list-grants")).toBe(
      true,
    );
    expect(progress.every((e) => e.type === "progress" && e.rate >= 0 && e.pages > 0)).toBe(true);
  });
});
