import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { packAny } from "../model/annotations.ts";
import { entitlement, grant, group, resourceId, resourceType, user } from "../model/builders.ts";
import { GrantImmutableSchema } from "../proto/gen/c1/connector/v2/annotation_grant_pb.ts";
import { OUTPUT_SHAPES as ENGINE_SHAPES } from "./validate-output.ts";
import { OUTPUT_SHAPES as WRAPPER_SHAPES } from "./validated.ts";

/** A seeded PRNG, so a failure names a reproducible case. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

class Lookalike {
  constructor(fields: object) {
    Object.assign(this, fields);
  }
}

/** Values a buggy plugin could put anywhere. */
function junk(random: () => number, original: unknown): unknown {
  const choices: (() => unknown)[] = [
    () => undefined,
    () => null,
    () => 5,
    () => "",
    () => "x",
    () => [],
    () => ({}),
    () => Object.create(null),
    () => new Uint8Array(2),
    () => (typeof original === "object" && original ? new Lookalike(original) : original),
    () => (typeof original === "object" && original ? Object.assign(Object.create(null), original) : original),
    () => (typeof original === "object" && original ? { ...original, $typeName: "c1.connector.v2.Other" } : original),
    () => (Array.isArray(original) ? [...original, undefined] : original),
    () => {
      if (!Array.isArray(original)) return original;
      const sparse = [...original];
      sparse.length += 2;
      return sparse;
    },
    () => (typeof original === "string" ? "" : original),
    () => (typeof original === "string" ? "y".repeat(1024 * 1024 + 1) : original),
  ];
  return choices[Math.floor(random() * choices.length)]();
}

/** Every (container, key) inside `value`, objects and arrays included. */
function slots(value: unknown, out: [Record<string | number, unknown>, string | number][] = []) {
  if (typeof value !== "object" || value === null || value instanceof Uint8Array) return out;
  for (const key of Object.keys(value)) {
    out.push([value as Record<string, unknown>, key]);
    slots((value as Record<string, unknown>)[key], out);
  }
  return out;
}

/** A deep copy that keeps prototypes and Uint8Arrays (structuredClone would drop neither, but loses nothing here). */
function copy<T>(value: T): T {
  if (value instanceof Uint8Array) return value.slice() as T;
  if (Array.isArray(value)) return value.map(copy) as T;
  if (typeof value === "object" && value !== null) {
    const out = Object.create(Object.getPrototypeOf(value));
    for (const key of Object.keys(value)) out[key] = copy((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

function samples() {
  const userType = resourceType({ id: "user", displayName: "User", traits: ["user"] });
  const team = group({ id: "t1", displayName: "Team" });
  const child = group({ id: "t2", displayName: "Child", parent: team.id });
  const alice = user({ id: "u1", displayName: "Alice", emails: [{ address: "a@example.com", primary: true }] });
  const member = entitlement(team, "member", { grantableTo: [userType] });
  const grants = [
    grant(team, member, alice),
    grant(team, "admin", resourceId("user", "u2"), { expandable: { entitlementIds: [member.id] } }),
    grant(team, member, alice, {
      annotations: [
        packAny(GrantImmutableSchema, {
          $typeName: "c1.connector.v2.GrantImmutable",
          sourceId: "s",
          metadata: undefined,
        } as never),
      ],
    }),
  ];
  const staticEntitlement = { ...entitlement(team, "viewer"), resource: undefined };
  return {
    resources: [team, child, alice],
    entitlements: [member, entitlement(child, "owner")],
    staticEntitlements: [staticEntitlement],
    grants,
    pages: [
      { items: [team, null, alice], nextPageToken: "2" },
      { items: grants, annotations: [] },
      { items: [member, undefined] },
    ],
  };
}

const shapes: [
  string,
  { schema: v.GenericSchema; accepts: (value: unknown) => boolean },
  keyof ReturnType<typeof samples>,
][] = [
  ["engine resource", ENGINE_SHAPES.resource, "resources"],
  ["engine entitlement", ENGINE_SHAPES.entitlement, "entitlements"],
  ["engine static entitlement", ENGINE_SHAPES.staticEntitlement, "staticEntitlements"],
  ["engine grant", ENGINE_SHAPES.grant, "grants"],
  ["engine page", ENGINE_SHAPES.page, "pages"],
  ["wrapper resource", WRAPPER_SHAPES.resourceGet, "resources"],
  ["wrapper resource page", WRAPPER_SHAPES.resourcePage, "pages"],
  ["wrapper entitlement page", WRAPPER_SHAPES.entitlementPage, "pages"],
  ["wrapper grant page", WRAPPER_SHAPES.grantPage, "pages"],
];

describe("validation fast paths", () => {
  it.each(shapes)("%s: accepts what a working plugin returns", (_, shape, kind) => {
    // Pages of every kind are tried against each page shape: those valibot accepts must take the fast path.
    let valid = 0;
    for (const value of samples()[kind]) {
      if (!v.safeParse(shape.schema, value).success) continue;
      valid++;
      expect(shape.accepts(value)).toBe(true);
    }
    expect(valid).toBeGreaterThan(0);
  });

  it.each(shapes)("%s: accepts nothing valibot rejects (2,000 seeded mutants)", (name, shape, kind) => {
    const random = prng(name.length * 7919);
    let accepted = 0;
    let rejectedByValibot = 0;
    for (let i = 0; i < 2000; i++) {
      const list = samples()[kind] as unknown[];
      const value = copy(list[Math.floor(random() * list.length)]);
      const targets = slots(value);
      for (let m = 1 + Math.floor(random() * 2); m > 0 && targets.length > 0; m--) {
        const [container, key] = targets[Math.floor(random() * targets.length)];
        if (random() < 0.15) delete container[key];
        else container[key] = junk(random, container[key]);
      }
      const valibotOk = v.safeParse(shape.schema, value).success;
      if (!valibotOk) rejectedByValibot++;
      if (shape.accepts(value)) {
        accepted++;
        expect(valibotOk, `${name} mutant ${i} passed the fast path but not valibot`).toBe(true);
      }
    }
    // The corpus is not trivial: both outcomes occur.
    expect(accepted).toBeGreaterThan(0);
    expect(rejectedByValibot).toBeGreaterThan(20);
  });
});
