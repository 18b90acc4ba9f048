import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { packAny } from "../model/annotations.ts";
import { entitlement, group, user } from "../model/builders.ts";
import { grantId } from "../model/ids.ts";
import {
  type Entitlement,
  EntitlementSchema,
  GrantImmutableSchema,
  GrantSchema,
  GrantSources_GrantSourceSchema,
  GrantSourcesSchema,
  type Resource,
  ResourceSchema,
} from "../model/types.ts";
import { toGoBinary } from "../proto/encode.ts";
import { encodeExpandedGrant, grantFieldViews, grantSourcesOf, utf8Bytes } from "./grant-bytes.ts";

/** Ids that break naive code: separators, NUL, integer-like keys, prototype names, non-BMP text. */
const HOSTILE = [
  "",
  "10",
  "9",
  "__proto__",
  "constructor",
  "a:b:c",
  "nul\u0000x",
  "grüße",
  "用户",
  "😀",
  "\uffff",
  "e\u0301",
];

/** A copy of `resource` with fields our schema does not know, as a newer connector would write. */
function withUnknownFields(resource: Resource): Resource {
  const known = toBinary(ResourceSchema, resource);
  // Field 99 (length-delimited "xyz") and field 100 (varint 150).
  return fromBinary(
    ResourceSchema,
    new Uint8Array([...known, 0x9a, 0x06, 0x03, 0x78, 0x79, 0x7a, 0xa0, 0x06, 0x96, 0x01]),
  );
}

const principals: Resource[] = [
  ...HOSTILE.map((id) =>
    user({ id: `u-${id}`, displayName: id, profile: { [id]: 1, z: 2, a: { [id]: "x", "10": true } } }),
  ),
  withUnknownFields(user({ id: "😀", displayName: "unknown fields", emails: [{ address: "ü@example.com" }] })),
  group({ id: "g:1", displayName: "nested group", profile: { b: 1, a: 2, "2": 3, "10": 4 } }),
];

const owners = [group({ id: "grüße", displayName: "G" }), withUnknownFields(group({ id: "😀:x", displayName: "U" }))];
const entitlements: Entitlement[] = owners.flatMap((owner) => [
  entitlement(owner, "member", { description: "members, née « membres »" }),
  entitlement(owner, "用户"),
]);

/** What expansion wrote before it composed bytes: the grant built with protobuf-es and encoded like Go. */
function viaProtobufEs(ent: Entitlement, principal: Resource, sources: [string, boolean][]): Uint8Array {
  // fromEntries defines own properties, so "__proto__" is a key like any other (as in Go).
  const record = Object.fromEntries(
    sources.map(([id, isDirect]) => [id, create(GrantSources_GrantSourceSchema, { isDirect })]),
  );
  return toGoBinary(
    GrantSchema,
    create(GrantSchema, {
      id: grantId(ent.id, principal.id ?? { resourceType: "", resource: "" }),
      entitlement: ent,
      principal,
      annotations: [packAny(GrantImmutableSchema, create(GrantImmutableSchema))],
      sources: create(GrantSourcesSchema, { sources: record }),
    }),
  );
}

function composed(ent: Entitlement, principal: Resource, sources: [string, boolean][]): Uint8Array {
  const id = principal.id ?? { resourceType: "", resource: "" };
  return encodeExpandedGrant(
    {
      entitlement: toGoBinary(EntitlementSchema, ent),
      principal: toGoBinary(ResourceSchema, principal),
      idHead: utf8Bytes(ent.id),
      idTail: utf8Bytes(`:${id.resourceType}:${id.resource}`),
      annotation: toBinary(AnySchema, packAny(GrantImmutableSchema, create(GrantImmutableSchema))),
    },
    sources.map(([key, isDirect]) => ({ key: utf8Bytes(key), isDirect })),
  );
}

/** Source lists: one entry, many (in an order Go's sort must change), hostile keys. */
const sourceLists: [string, boolean][][] = [
  [["group:g:member", true]],
  [["group:g:member", false]],
  HOSTILE.map((id, i) => [id, i % 2 === 0]),
  [...HOSTILE].reverse().map((id, i) => [`group:${id}:member`, i % 3 === 0]),
  Array.from({ length: 40 }, (_, i): [string, boolean] => [`group:${(i * 7919) % 40}:member`, i % 2 === 1]),
];

describe("encodeExpandedGrant", () => {
  it("writes exactly the bytes protobuf-es writes through toGoBinary for the same grant", () => {
    let compared = 0;
    for (const ent of entitlements) {
      for (const principal of principals) {
        for (const sources of sourceLists) {
          const ours = composed(ent, principal, sources);
          expect(Buffer.from(ours).toString("hex")).toBe(
            Buffer.from(viaProtobufEs(ent, principal, sources)).toString("hex"),
          );
          // Decoding and encoding again changes nothing: the bytes are in canonical form.
          expect(toGoBinary(GrantSchema, fromBinary(GrantSchema, ours))).toEqual(ours);
          compared++;
        }
      }
    }
    expect(compared).toBe(entitlements.length * principals.length * sourceLists.length);
  });

  it("keeps the principal's unknown fields and sorts sources as Go (UTF-8 bytes, not UTF-16 units)", () => {
    const principal = principals.find((p) => p.$unknown?.length) as Resource;
    const ours = composed(entitlements[0], principal, [
      ["￿", true],
      ["😀", false],
      ["10", true],
      ["9", false],
    ]);
    const decoded = fromBinary(GrantSchema, ours);
    expect(decoded.principal?.$unknown?.map((field) => field.no)).toEqual([99, 100]);
    // U+FFFF (EF BF BF) sorts before U+1F600 (F0 9F 98 80) in UTF-8, after it in UTF-16.
    const keys: string[] = [];
    const views = grantFieldViews(ours);
    for (const key of grantSourcesOf(views?.sources as Uint8Array)?.keys() ?? []) keys.push(key);
    expect(keys).toEqual(["10", "9", "￿", "😀"]);
  });
});

describe("grantFieldViews", () => {
  it("finds the principal and sources payloads of a stored grant", () => {
    const principal = principals[principals.length - 2];
    const bytes = viaProtobufEs(entitlements[1], principal, sourceLists[2]);
    const views = grantFieldViews(bytes);
    expect(views?.principal).toEqual(toGoBinary(ResourceSchema, principal));
    const decoded = fromBinary(GrantSchema, bytes);
    expect(views?.sources).toEqual(toGoBinary(GrantSourcesSchema, decoded.sources as never));
  });

  it("reports a grant without principal or sources as such", () => {
    const bare = toBinary(GrantSchema, create(GrantSchema, { id: "x", entitlement: entitlements[0] }));
    expect(grantFieldViews(bare)).toEqual({});
  });

  it("gives up on shapes a decoder merges or rejects, so callers decode them", () => {
    const one = viaProtobufEs(entitlements[0], principals[0], sourceLists[0]);
    const principal = grantFieldViews(one)?.principal as Uint8Array;
    const field2 = new Uint8Array([0x12, principal.length, ...principal]);
    expect(grantFieldViews(new Uint8Array([...one, ...field2]))).toBeUndefined(); // principal twice: merged
    expect(grantFieldViews(new Uint8Array([...one, 0x2a, 0x00]))).toBeUndefined(); // sources twice
    expect(grantFieldViews(new Uint8Array([...one, 0x10, 0x01]))).toBeUndefined(); // principal as a varint
    expect(grantFieldViews(one.subarray(0, one.length - 1))).toBeUndefined(); // truncated
    expect(grantFieldViews(new Uint8Array([...one, 0x03]))).toBeUndefined(); // a group
    expect(() => fromBinary(GrantSchema, one.subarray(0, one.length - 1))).toThrow();
    // Unknown top-level fields are no obstacle.
    expect(grantFieldViews(new Uint8Array([...one, 0xa0, 0x06, 0x01]))?.principal).toEqual(principal);
  });
});

/** GrantSources bytes from raw entries; each entry is [key bytes | undefined, value bytes | undefined]. */
function rawSources(entries: [number[] | undefined, number[] | undefined][]): Uint8Array {
  const out: number[] = [];
  for (const [key, value] of entries) {
    const entry: number[] = [];
    if (key) entry.push(0x0a, key.length, ...key);
    if (value) entry.push(0x12, value.length, ...value);
    out.push(0x0a, entry.length, ...entry);
  }
  return new Uint8Array(out);
}

const ascii = (text: string) => [...utf8Bytes(text)];

function decodedSources(bytes: Uint8Array): [string, boolean][] {
  return Object.entries(fromBinary(GrantSourcesSchema, bytes).sources).map(([key, value]) => [key, value.isDirect]);
}

describe("grantSourcesOf", () => {
  it("reads what protobuf-es decodes, also for unusual but valid encodings", () => {
    const cases = [
      rawSources([[ascii("a"), [0x08, 0x01]]]),
      rawSources([[ascii("a"), []]]), // empty value: not direct
      rawSources([[ascii("a"), undefined]]), // value missing
      rawSources([[undefined, [0x08, 0x01]]]), // key missing: ""
      rawSources([[ascii("a"), [0x08, 0x80, 0x00]]]), // a long zero
      rawSources([[ascii("a"), [0x08, 0x81, 0x00]]]), // a long one
      rawSources([[ascii("a"), [0x08, 0x01, 0x08, 0x00]]]), // last is_direct wins
      rawSources([
        [ascii("a"), [0x08, 0x01]],
        [ascii("b"), []],
        [ascii("a"), []],
      ]), // a repeated key: first place, last value
      rawSources([[ascii("grüße 😀"), [0x08, 0x01]]]),
      rawSources([[ascii("x".repeat(100)), [0x08, 0x01]]]),
    ];
    for (const bytes of cases) expect([...(grantSourcesOf(bytes) ?? [])]).toEqual(decodedSources(bytes));
  });

  it("gives up where protobuf-es would drop fields or fail", () => {
    const invalidUtf8 = rawSources([
      [
        [0xff, 0xfe],
        [0x08, 0x01],
      ],
    ]);
    expect(grantSourcesOf(invalidUtf8)).toBeUndefined();
    expect(() => fromBinary(GrantSourcesSchema, invalidUtf8)).toThrow();
    expect(grantSourcesOf(rawSources([[ascii("a"), [0x10, 0x01]]]))).toBeUndefined(); // unknown value field
    expect(grantSourcesOf(new Uint8Array([0x0a, 0x03, 0x18, 0x01, 0x00]))).toBeUndefined(); // unknown entry field
    expect(grantSourcesOf(new Uint8Array([0x10, 0x01]))).toBeUndefined(); // unknown GrantSources field
    expect(grantSourcesOf(new Uint8Array([0x0a, 0x05, 0x0a]))).toBeUndefined(); // truncated
  });
});
