/**
 * toGoBinary against Go's `proto.MarshalOptions{Deterministic: true}`:
 * every stored row of the Go vectors re-encodes to the same bytes, and baton-sdk's
 * Go types marshal the same messages (integer-like map keys, Struct, unknown fields)
 * to the same bytes as we do.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type DescMessage, fromBinary, fromJson, type JsonValue } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { StructSchema } from "@bufbuild/protobuf/wkt";
import { afterAll, describe, expect, it } from "vitest";
import { toGoBinary } from "../src/proto/encode.ts";
import { GrantExpandableSchema, GrantImmutableSchema } from "../src/proto/gen/c1/connector/v2/annotation_grant_pb.ts";
import { UserTraitSchema } from "../src/proto/gen/c1/connector/v2/annotation_trait_pb.ts";
import { EntitlementSchema } from "../src/proto/gen/c1/connector/v2/entitlement_pb.ts";
import { GrantSchema } from "../src/proto/gen/c1/connector/v2/grant_pb.ts";
import { ResourceSchema, ResourceTypeSchema } from "../src/proto/gen/c1/connector/v2/resource_pb.ts";
import { findCommand, goInterop, goRun, sqlite3, vectorsDir, zstdDecompress } from "./interop/tools.ts";

const zstd = findCommand("zstd");
const sqlite = findCommand("sqlite3");
const go = goInterop();
for (const tool of [zstd, sqlite, go]) if (!tool.ok) console.warn(`c1z-encoding: skipping checks: ${tool.reason}`);

const work = mkdtempSync(path.join(tmpdir(), "c1z-encoding-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

const TABLES: [string, DescMessage, string][] = [
  ["v1_resource_types", ResourceTypeSchema, "data"],
  ["v1_resources", ResourceSchema, "data"],
  ["v1_entitlements", EntitlementSchema, "data"],
  ["v1_grants", GrantSchema, "data"],
];

describe.skipIf(!zstd.ok || !sqlite.ok)("stored rows of the Go vectors", () => {
  it.each(["go-36zf-expanded.c1z", "go-36zf-unexpanded.c1z", "go-sync-in-progress.c1z"])(
    "%s: every data blob decodes and re-encodes byte-identically",
    (name) => {
      if (!zstd.ok || !sqlite.ok) return;
      const db = path.join(work, `${name}.db`);
      writeFileSync(db, zstdDecompress(zstd.value, readFileSync(path.join(vectorsDir, name))));
      let rows = 0;
      let withSources = 0;
      for (const [table, schema, column] of TABLES) {
        const out = sqlite3(sqlite.value, db, `select external_id, hex(${column}) from ${table}`);
        for (const line of out.split("\n")) {
          if (!line) continue;
          const bar = line.lastIndexOf("|");
          const stored = new Uint8Array(Buffer.from(line.slice(bar + 1), "hex"));
          const decoded = fromBinary(schema, stored);
          const again = toGoBinary(schema, decoded);
          if (hex(again) !== hex(stored)) {
            expect.fail(`${table} ${line.slice(0, bar)}: re-encoded bytes differ\n${hex(stored)}\n${hex(again)}`);
          }
          rows++;
          if (
            table === "v1_grants" &&
            Object.keys((decoded as { sources?: { sources: object } }).sources?.sources ?? {}).length > 1
          ) {
            withSources++;
          }
        }
      }
      expect(rows).toBeGreaterThan(0);
      // The expanded file holds Go's expanded grants, whose `sources` maps have several keys.
      if (name === "go-36zf-expanded.c1z") expect(withSources).toBeGreaterThan(1000);
    },
  );
});

/** protojson in, Go's deterministic bytes out, one message per line. */
function goEncodeJson(cases: [DescMessage, string][]): string[] {
  const input = cases.map(([schema, json]) => `${schema.typeName} ${json}`).join("\n");
  return goRun(["encode-json"], `${input}\n`).trim().split("\n");
}

function goReencode(cases: [DescMessage, Uint8Array][]): string[] {
  const input = cases.map(([schema, bytes]) => `${schema.typeName} ${hex(bytes)}`).join("\n");
  return goRun(["reencode"], `${input}\n`).trim().split("\n");
}

describe.skipIf(!go.ok)("toGoBinary against baton-sdk's Go types", () => {
  const jsonCases: [DescMessage, JsonValue][] = [
    [StructSchema, { "10": "ten", "9": 9, a: { "2": true, "10": null }, b: [{ "1": 1, "0": 0 }, "x"], "": 0.5 }],
    [
      UserTraitSchema,
      {
        emails: [{ address: "zoë@example.com", isPrimary: true }],
        profile: { "😀": "astral", "～": "fullwidth", z: "z", "100": 100, "20": [null, { "3": "c", "03": "d" }] },
        login: "zoë",
      },
    ],
    [
      GrantSchema,
      {
        id: "g",
        entitlement: {
          id: "group:1:member",
          resource: { id: { resourceType: "group", resource: "1" }, displayName: "Gruppe ü" },
        },
        principal: { id: { resourceType: "user", resource: "9" } },
        sources: {
          sources: { "9": { isDirect: true }, "10": {}, a: { isDirect: true }, é: {}, "😀": {}, "～": {} },
        },
      },
    ],
    [GrantImmutableSchema, { sourceId: "s", metadata: { "11": "eleven", "7": "seven", reason: "on-call" } }],
    [ResourceTypeSchema, { id: "user", displayName: "User", traits: ["TRAIT_USER", "TRAIT_GROUP"] }],
  ];

  it("encodes messages with integer-like and non-ASCII map keys exactly as Go", () => {
    const theirs = goEncodeJson(jsonCases.map(([schema, json]) => [schema, JSON.stringify(json)]));
    const ours = jsonCases.map(([schema, json]) => hex(toGoBinary(schema, fromJson(schema, json))));
    expect(ours).toEqual(theirs);
    // The Struct case really does hit JavaScript's key hoisting.
    expect(Object.keys(jsonCases[0][1] as object).slice(0, 2)).toEqual(["9", "10"]);
  });

  it("re-encodes unsorted maps and unknown fields (top level and nested) exactly as Go", () => {
    // Grant{id:"g", principal:{id:{resource_type:"u", <unknown 7: "x">}}, sources:{"b","10","9"}, <unknown 99: varint 5>}
    const w = new BinaryWriter();
    w.tag(99, WireType.Varint).uint32(5);
    w.tag(5, WireType.LengthDelimited).fork();
    for (const key of ["b", "10", "9"]) {
      w.tag(1, WireType.LengthDelimited).fork();
      w.tag(1, WireType.LengthDelimited).string(key);
      w.tag(2, WireType.LengthDelimited)
        .fork()
        .tag(1, WireType.Varint)
        .bool(key !== "10")
        .join();
      w.join();
    }
    w.join();
    w.tag(2, WireType.LengthDelimited).fork();
    w.tag(1, WireType.LengthDelimited).fork();
    w.tag(7, WireType.LengthDelimited).string("x");
    w.tag(1, WireType.LengthDelimited).string("u");
    w.join();
    w.join();
    w.tag(3, WireType.LengthDelimited).string("g");
    const grant = w.finish();

    // GrantExpandable with an unknown fixed32, an unknown group-free bytes field and packed-looking data.
    const e = new BinaryWriter();
    e.tag(20, WireType.Bit32).fixed32(0xdeadbeef);
    e.tag(1, WireType.LengthDelimited).string("ent");
    e.tag(21, WireType.LengthDelimited).bytes(Uint8Array.of(1, 2, 3));
    e.tag(2, WireType.Varint).bool(true);
    const expandable = e.finish();

    // Struct{"9": -0.0, "10": "x"} in JavaScript's order; Go keeps the sign of -0.
    const st = new BinaryWriter();
    for (const [key, write] of [
      ["9", (v: BinaryWriter) => v.tag(2, WireType.Bit64).double(-0)],
      ["10", (v: BinaryWriter) => v.tag(3, WireType.LengthDelimited).string("x")],
    ] as const) {
      st.tag(1, WireType.LengthDelimited).fork();
      st.tag(1, WireType.LengthDelimited).string(key);
      st.tag(2, WireType.LengthDelimited).fork();
      write(st);
      st.join();
      st.join();
    }
    const struct = st.finish();

    const cases: [DescMessage, Uint8Array][] = [
      [GrantSchema, grant],
      [GrantExpandableSchema, expandable],
      [StructSchema, struct],
    ];
    const theirs = goReencode(cases);
    const ours = cases.map(([schema, bytes]) => hex(toGoBinary(schema, fromBinary(schema, bytes))));
    expect(ours).toEqual(theirs);
    // Go did reorder: the cases are not trivial.
    expect(theirs[0]).not.toBe(hex(grant));
    expect(theirs[2]).not.toBe(hex(struct));
    expect(theirs[2]).toContain("0000000000000080"); // -0.0 kept
  });
});
