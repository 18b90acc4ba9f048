import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { describe, expect, it } from "vitest";
import { entitlement, grant, group, resourceId, resourceType, user } from "../model/builders.ts";
import {
  EntitlementSchema,
  type Grant,
  GrantSchema,
  type Resource,
  ResourceSchema,
  ResourceTypeSchema,
} from "../model/types.ts";
import { toGoBinary, withSharedEncoding } from "./encode.ts";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

/** Appends unknown fields (99: varint 7, 100: bytes) by decoding bytes that carry them. */
function withUnknown<T extends Grant | Resource>(schema: typeof GrantSchema | typeof ResourceSchema, message: T): T {
  const w = new BinaryWriter();
  w.tag(99, WireType.Varint).uint32(7);
  w.tag(100, WireType.LengthDelimited).string("unknown ☃");
  const known = toBinary(schema as typeof GrantSchema, message as Grant);
  const both = new Uint8Array([...known, ...w.finish()]);
  return fromBinary(schema as typeof GrantSchema, both) as unknown as T;
}

/** A seeded PRNG, so a failure names a reproducible case. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const HOSTILE = [
  "plain",
  "",
  "\u0000nul",
  "\ud800lone-high",
  "lone-low\udc00",
  "😀 emoji",
  "\u202eRTL override",
  "ｆｕｌｌ",
  "x".repeat(20_000),
  "e\u0301 combining",
  "\uffff",
];

function org(random: () => number) {
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
  const userType = resourceType({ id: "user", displayName: pick(HOSTILE), traits: ["user"] });
  const users = Array.from({ length: 6 }, (_, i) =>
    user({
      id: `u${i}${pick(HOSTILE).slice(0, 40)}`,
      displayName: pick(HOSTILE),
      emails: [{ address: `${i}@example.com`, primary: i % 2 === 0 }],
      status: "enabled",
      profile: { "10": "ten", "9": pick(HOSTILE), a: { z: 1, b: [true, null] } },
    }),
  );
  const groups = Array.from({ length: 3 }, (_, i) => group({ id: `g${i}`, displayName: pick(HOSTILE) }));
  const withUnknowns = groups.map((g, i) => (i === 0 ? withUnknown(ResourceSchema, g) : g));
  const entitlements = withUnknowns.map((g) =>
    entitlement(g, pick(["member", "admin", "😀"]), { grantableTo: [userType], description: pick(HOSTILE) }),
  );
  return { pick, users, groups: withUnknowns, entitlements };
}

function randomGrants(seed: number, count: number): Grant[] {
  const random = prng(seed);
  const { pick, users, groups, entitlements } = org(random);
  const grants: Grant[] = [];
  for (let i = 0; i < count; i++) {
    const k = Math.floor(random() * groups.length);
    const shape = random();
    // The shared Entitlement object, or grant()'s stub per grant that shares only the resource.
    const target = shape < 0.5 ? entitlements[k] : pick(["member", "admin"]);
    const principal = random() < 0.8 ? pick(users) : resourceId("user", `id-${pick(HOSTILE).slice(0, 30)}`);
    let g = grant(groups[k], target, principal, {
      expandable: random() < 0.3 ? { entitlementIds: [entitlements[k].id], shallow: random() < 0.5 } : undefined,
      metadata: random() < 0.3 ? { "10": pick(HOSTILE), "9": 1, b: { "2": true, "1": null } } : undefined,
    });
    if (random() < 0.3)
      g.sources = {
        $typeName: "c1.connector.v2.GrantSources",
        sources: {
          b: { $typeName: "c1.connector.v2.GrantSources.GrantSource", isDirect: true },
          "10": { $typeName: "c1.connector.v2.GrantSources.GrantSource", isDirect: false },
          A: { $typeName: "c1.connector.v2.GrantSources.GrantSource", isDirect: true },
        },
      } as never;
    if (random() < 0.2) g = withUnknown(GrantSchema, g);
    if (random() < 0.1) g.principal = undefined;
    if (random() < 0.05) g.entitlement = create(EntitlementSchema);
    grants.push(g);
  }
  return grants;
}

describe("withSharedEncoding", () => {
  it("encodes varied grants byte for byte as protobuf-es + Go map order, sharing sub-messages", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const grants = randomGrants(seed, 300);
      // Each message on its own, outside any scope: protobuf-es's toBinary, then Go's map order.
      const whole = grants.map((g) => hex(toGoBinary(GrantSchema, g)));
      const shared = withSharedEncoding(() => grants.map((g) => hex(toGoBinary(GrantSchema, g))));
      for (let i = 0; i < grants.length; i++) expect(shared[i], `seed ${seed} grant ${i}`).toBe(whole[i]);
      // And the bytes decode to a message that re-encodes to them (unknown fields included).
      for (let i = 0; i < grants.length; i += 37) {
        const decoded = fromBinary(GrantSchema, Buffer.from(shared[i], "hex"));
        expect(hex(toGoBinary(GrantSchema, decoded))).toBe(shared[i]);
      }
    }
  });

  it("matches protobuf-es's toBinary exactly where no map needs reordering", () => {
    const userType = resourceType({ id: "user", displayName: "User", traits: ["user"] });
    const owner = withUnknown(ResourceSchema, group({ id: "g\ud800", displayName: "Ǥroup" }));
    const ent = entitlement(owner, "member", { grantableTo: [userType] });
    const principals = [user({ id: "u1", displayName: "😀" }), user({ id: "u2", displayName: "x".repeat(300) })];
    const grants = [
      grant(owner, ent, principals[0]),
      grant(owner, ent, principals[1]),
      grant(owner, "admin", principals[0]),
      withUnknown(GrantSchema, grant(owner, ent, principals[1])),
    ];
    const shared = withSharedEncoding(() => grants.map((g) => hex(toGoBinary(GrantSchema, g))));
    expect(shared).toEqual(grants.map((g) => hex(toBinary(GrantSchema, g))));
    // Entitlements sharing a resource, and messages with nothing to splice, too.
    const ents = [ent, entitlement(owner, "admin"), create(EntitlementSchema, { id: "bare" })];
    expect(withSharedEncoding(() => ents.map((e) => hex(toGoBinary(EntitlementSchema, e))))).toEqual(
      ents.map((e) => hex(toBinary(EntitlementSchema, e))),
    );
    expect(hex(withSharedEncoding(() => toGoBinary(ResourceTypeSchema, userType)))).toBe(
      hex(toBinary(ResourceTypeSchema, userType)),
    );
  });

  it("writes an empty embedded message as a zero-length field, an absent one not at all", () => {
    const empty = create(GrantSchema, { id: "g", entitlement: create(EntitlementSchema) });
    // 0a 00 = field 1, length 0; then 1a 01 67 = field 3 "g".
    expect(hex(withSharedEncoding(() => toGoBinary(GrantSchema, empty)))).toBe("0a001a0167");
    expect(hex(withSharedEncoding(() => toGoBinary(GrantSchema, create(GrantSchema, { id: "g" }))))).toBe("1a0167");
  });

  it("encodes a shared sub-message once per scope (so it must not change inside one)", () => {
    const owner = group({ id: "g1", displayName: "before" });
    const principal = user({ id: "u1", displayName: "U" });
    const [first, second] = withSharedEncoding(() => {
      const a = toGoBinary(GrantSchema, grant(owner, "member", principal));
      owner.displayName = "after";
      return [a, toGoBinary(GrantSchema, grant(owner, "member", principal))];
    });
    // The second grant reused the owner's bytes from the first: "before" in both.
    expect(Buffer.from(second).includes(Buffer.from("before"))).toBe(true);
    expect(hex(second)).toBe(hex(first));
  });

  it("sees changes made between scopes (the cache lives only inside one)", () => {
    const owner = group({ id: "g1", displayName: "before" });
    const g = grant(owner, "member", user({ id: "u1", displayName: "U" }));
    const first = withSharedEncoding(() => toGoBinary(GrantSchema, g));
    owner.displayName = "after";
    const second = withSharedEncoding(() => toGoBinary(GrantSchema, g));
    expect(hex(second)).not.toBe(hex(first));
    expect(hex(second)).toBe(hex(toBinary(GrantSchema, g)));
  });

  it("fails on a foreign message as protobuf-es does", () => {
    const g = create(GrantSchema, { id: "g" });
    (g as { principal: unknown }).principal = create(ResourceTypeSchema, { id: "user" });
    let plain: unknown;
    try {
      toBinary(GrantSchema, g);
    } catch (error) {
      plain = (error as Error).message;
    }
    expect(plain).toMatch(/cannot use/);
    expect(() => withSharedEncoding(() => toGoBinary(GrantSchema, g))).toThrow(plain as string);
  });
});
