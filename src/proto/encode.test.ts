import { create, createFileRegistry, fromBinary, type JsonObject } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import {
  type DescriptorProto,
  DescriptorProtoSchema,
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
  StructSchema,
} from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { GrantExpandableSchema, GrantImmutableSchema } from "../proto/gen/c1/connector/v2/annotation_grant_pb.ts";
import { UserTraitSchema } from "../proto/gen/c1/connector/v2/annotation_trait_pb.ts";
import { GrantSchema } from "../proto/gen/c1/connector/v2/grant_pb.ts";
import { ResourceSchema, ResourceTypeSchema } from "../proto/gen/c1/connector/v2/resource_pb.ts";
import { toGoBinary } from "./encode.ts";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const unhex = (text: string) => new Uint8Array(Buffer.from(text, "hex"));

// Expected bytes below are written by hand, field by field, in the order Go's
// deterministic marshal uses (ascending field numbers; map keys bytewise for
// strings, numeric for integers). They never come from toGoBinary itself.

/** A google.protobuf.Value holding a string: field 3. */
function stringValue(w: BinaryWriter, text: string): BinaryWriter {
  return w.tag(3, WireType.LengthDelimited).string(text);
}

/** One Struct.fields entry: {1: key, 2: Value}. */
function structEntry(w: BinaryWriter, key: string, writeValue: (value: BinaryWriter) => void): void {
  w.tag(1, WireType.LengthDelimited).fork();
  w.tag(1, WireType.LengthDelimited).string(key);
  w.tag(2, WireType.LengthDelimited).fork();
  writeValue(w);
  w.join();
  w.join();
}

describe("toGoBinary", () => {
  it("sorts Struct keys bytewise even when JavaScript hoists integer-like keys", () => {
    const profile: JsonObject = { a: "x", "9": "nine", "10": "ten" };
    expect(Object.keys(profile)).toEqual(["9", "10", "a"]); // what protobuf-es alone would write
    const message = create(UserTraitSchema, { profile });

    const w = new BinaryWriter();
    w.tag(3, WireType.LengthDelimited).fork(); // UserTrait.profile
    structEntry(w, "10", (v) => stringValue(v, "ten"));
    structEntry(w, "9", (v) => stringValue(v, "nine"));
    structEntry(w, "a", (v) => stringValue(v, "x"));
    w.join();
    expect(hex(toGoBinary(UserTraitSchema, message))).toBe(hex(w.finish()));
  });

  it("sorts nested Struct values inside lists and structs, and encodes every Value kind", () => {
    const metadata: JsonObject = {
      z: [{ "2": true, "10": null }, 1.5],
      "11": { b: -0, "100": "h", a: "é" },
    };
    const message = create(GrantImmutableSchema, { sourceId: "s", metadata });

    const w = new BinaryWriter();
    w.tag(1, WireType.LengthDelimited).string("s");
    w.tag(2, WireType.LengthDelimited).fork(); // metadata Struct
    structEntry(w, "11", (v) => {
      v.tag(5, WireType.LengthDelimited).fork(); // struct_value
      structEntry(v, "100", (x) => stringValue(x, "h"));
      structEntry(v, "a", (x) => stringValue(x, "é"));
      structEntry(v, "b", (x) => x.tag(2, WireType.Bit64).double(-0));
      v.join();
    });
    structEntry(w, "z", (v) => {
      v.tag(6, WireType.LengthDelimited).fork(); // list_value
      v.tag(1, WireType.LengthDelimited).fork();
      v.tag(5, WireType.LengthDelimited).fork();
      structEntry(v, "10", (x) => x.tag(1, WireType.Varint).int32(0)); // null_value
      structEntry(v, "2", (x) => x.tag(4, WireType.Varint).bool(true));
      v.join();
      v.join();
      v.tag(1, WireType.LengthDelimited).fork();
      v.tag(2, WireType.Bit64).double(1.5);
      v.join();
      v.join();
    });
    w.join();
    expect(hex(toGoBinary(GrantImmutableSchema, message))).toBe(hex(w.finish()));
  });

  it("sorts Grant.sources keys bytewise and writes annotations (4) before sources (5)", () => {
    const grant = create(GrantSchema, {
      id: "g",
      annotations: [{ typeUrl: "type.googleapis.com/c1.connector.v2.GrantImmutable", value: new Uint8Array() }],
      sources: { sources: { b: { isDirect: true }, "10": {}, "9": { isDirect: true }, A: {} } },
    });
    const w = new BinaryWriter();
    w.tag(3, WireType.LengthDelimited).string("g");
    w.tag(4, WireType.LengthDelimited).fork();
    w.tag(1, WireType.LengthDelimited).string("type.googleapis.com/c1.connector.v2.GrantImmutable");
    w.join();
    w.tag(5, WireType.LengthDelimited).fork();
    for (const [key, direct] of [
      ["10", false],
      ["9", true],
      ["A", false],
      ["b", true],
    ] as const) {
      w.tag(1, WireType.LengthDelimited).fork();
      w.tag(1, WireType.LengthDelimited).string(key);
      w.tag(2, WireType.LengthDelimited).fork();
      if (direct) w.tag(1, WireType.Varint).bool(true);
      w.join();
      w.join();
    }
    w.join();
    expect(hex(toGoBinary(GrantSchema, grant))).toBe(hex(w.finish()));
  });

  it("orders keys by UTF-8 bytes, not UTF-16 code units", () => {
    // U+FF5E (EF BD 9E) sorts before U+1F600 (F0 9F 98 80) in UTF-8, after it in UTF-16.
    const profile: JsonObject = { "😀": "b", "～": "a" };
    const bytes = toGoBinary(StructSchema, create(StructSchema, { fields: {} }));
    expect(bytes.length).toBe(0);
    const encoded = toGoBinary(UserTraitSchema, create(UserTraitSchema, { profile }));
    const first = Buffer.from(encoded).indexOf(Buffer.from("～"));
    const second = Buffer.from(encoded).indexOf(Buffer.from("😀"));
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(second);
  });

  it("keeps unknown fields, after the known ones, through decode and re-encode", () => {
    // GrantExpandable{entitlement_ids:["e"]} + unknown field 9 (varint 7) + unknown field 15 (bytes "zz").
    const stored = unhex("0a0165" + "4807" + "7a027a7a");
    const decoded = fromBinary(GrantExpandableSchema, stored);
    expect(hex(toGoBinary(GrantExpandableSchema, decoded))).toBe(hex(stored));
  });

  it("reproduces the Go fixture bytes of the reference (§3.5)", () => {
    const vectors: [typeof ResourceTypeSchema | typeof ResourceSchema, string][] = [
      [ResourceTypeSchema, "0a0770726f6a656374120750726f6a656374"],
      [ResourceTypeSchema, "0a0567726f7570120547726f75701a0102"],
      [
        ResourceTypeSchema,
        "0a04757365721204557365721a0101223f0a3d747970652e676f6f676c65617069732e636f6d2f63312e636f6e6e6563746f722e76322e536b6970456e7469746c656d656e7473416e644772616e7473",
      ],
      [ResourceSchema, "0a1a0a0770726f6a656374120f70726f6a6563742d303030303030301a0f50726f6a6563742030303030303030"],
    ];
    for (const [schema, bytes] of vectors) {
      expect(hex(toGoBinary(schema, fromBinary(schema, unhex(bytes))))).toBe(bytes);
    }
  });

  it("sorts integer, signed and bool map keys numerically, as Go does", () => {
    const file = create(FileDescriptorProtoSchema, {
      name: "maps_test.proto",
      package: "t",
      syntax: "proto3",
      messageType: [
        mapMessage("Maps", [
          ["ints", FieldDescriptorProto_Type.INT32, 1],
          ["sints", FieldDescriptorProto_Type.SINT64, 2],
          ["flags", FieldDescriptorProto_Type.BOOL, 3],
          ["fixed", FieldDescriptorProto_Type.SFIXED32, 4],
        ]),
      ],
    });
    const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: [file] }));
    const schema = registry.getMessage("t.Maps");
    if (!schema) throw new Error("t.Maps missing");
    const message = create(schema, {
      ints: { "10": "a", "-1": "b", "2": "c" },
      sints: { "5": "a", "-3": "b" },
      flags: { true: "t", false: "f" },
      fixed: { "7": "x", "-8": "y" },
    } as never);

    const w = new BinaryWriter();
    const entry = (no: number, writeKey: (x: BinaryWriter) => void, value: string) => {
      w.tag(no, WireType.LengthDelimited).fork();
      writeKey(w);
      w.tag(2, WireType.LengthDelimited).string(value);
      w.join();
    };
    entry(1, (x) => x.tag(1, WireType.Varint).int32(-1), "b");
    entry(1, (x) => x.tag(1, WireType.Varint).int32(2), "c");
    entry(1, (x) => x.tag(1, WireType.Varint).int32(10), "a");
    entry(2, (x) => x.tag(1, WireType.Varint).sint64(-3), "b");
    entry(2, (x) => x.tag(1, WireType.Varint).sint64(5), "a");
    entry(3, (x) => x.tag(1, WireType.Varint).bool(false), "f");
    entry(3, (x) => x.tag(1, WireType.Varint).bool(true), "t");
    entry(4, (x) => x.tag(1, WireType.Bit32).sfixed32(-8), "y");
    entry(4, (x) => x.tag(1, WireType.Bit32).sfixed32(7), "x");
    expect(hex(toGoBinary(schema, message))).toBe(hex(w.finish()));
  });
});

/** A proto3 message whose fields are `map<keyType, string>`. */
function mapMessage(name: string, maps: [string, FieldDescriptorProto_Type, number][]): DescriptorProto {
  const entryName = (field: string) => `${field[0].toUpperCase()}${field.slice(1)}Entry`;
  return create(DescriptorProtoSchema, {
    name,
    field: maps.map(([field, , number]) => ({
      name: field,
      number,
      label: FieldDescriptorProto_Label.REPEATED,
      type: FieldDescriptorProto_Type.MESSAGE,
      typeName: `.t.${name}.${entryName(field)}`,
      jsonName: field,
    })),
    nestedType: maps.map(([field, keyType]) => ({
      name: entryName(field),
      options: { mapEntry: true },
      field: [
        { name: "key", number: 1, label: FieldDescriptorProto_Label.OPTIONAL, type: keyType, jsonName: "key" },
        {
          name: "value",
          number: 2,
          label: FieldDescriptorProto_Label.OPTIONAL,
          type: FieldDescriptorProto_Type.STRING,
          jsonName: "value",
        },
      ],
    })),
  });
}
