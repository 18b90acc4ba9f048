import { create, type DescField, type DescMessage, fromBinary } from "@bufbuild/protobuf";
import {
  AnySchema,
  DescriptorProtoSchema,
  DurationSchema,
  FieldDescriptorProtoSchema,
  FileDescriptorProtoSchema,
  StructSchema,
  TimestampSchema,
  ValueSchema,
} from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { seededRandom } from "../../test/sync-helpers.ts";
import { entitlement, grant, group, resourceType, user } from "../model/builders.ts";
import { toGoBinary } from "./encode.ts";
import { plainGoBinary, toGoBinaryRow } from "./fast-encode.ts";
import * as annotationCommon from "./gen/c1/connector/v2/annotation_common_pb.ts";
import * as annotationEntitlement from "./gen/c1/connector/v2/annotation_entitlement_pb.ts";
import * as annotationGrant from "./gen/c1/connector/v2/annotation_grant_pb.ts";
import * as annotationTree from "./gen/c1/connector/v2/annotation_resource_tree_pb.ts";
import * as annotationTrait from "./gen/c1/connector/v2/annotation_trait_pb.ts";
import * as asset from "./gen/c1/connector/v2/asset_pb.ts";
import * as connector from "./gen/c1/connector/v2/connector_pb.ts";
import * as entitlementPb from "./gen/c1/connector/v2/entitlement_pb.ts";
import * as grantPb from "./gen/c1/connector/v2/grant_pb.ts";
import * as provisioning from "./gen/c1/connector/v2/provisioning_pb.ts";
import * as resourcePb from "./gen/c1/connector/v2/resource_pb.ts";

const hex = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");

const isMessageDesc = (value: unknown): value is DescMessage =>
  typeof value === "object" && value !== null && (value as { kind?: string }).kind === "message";

/** Every message type of our c1.connector.v2 files, and well-known and descriptor types (proto2, oneofs). */
const SCHEMAS: DescMessage[] = [
  ...[
    annotationCommon,
    annotationEntitlement,
    annotationGrant,
    annotationTree,
    annotationTrait,
    asset,
    connector,
    entitlementPb,
    grantPb,
    provisioning,
    resourcePb,
  ].flatMap((module) => Object.values(module).filter(isMessageDesc)),
  AnySchema,
  DescriptorProtoSchema,
  DurationSchema,
  FieldDescriptorProtoSchema,
  FileDescriptorProtoSchema,
  StructSchema,
  TimestampSchema,
  ValueSchema,
];

const JSON_TYPES = new Set(["google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue"]);

/** Random messages over every field kind, zero values and odd values included. */
function generator(random: () => number) {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const strings = ["", "a", "group:g1:member", "é", "日本", "\u{1F600}", "\ud800", "x".repeat(130), "0"];
  const scalar = (field: DescField & { scalar: number }): unknown => {
    switch (field.scalar) {
      case 9: // string
        return pick(strings);
      case 12: // bytes
        return pick([new Uint8Array(0), Uint8Array.of(1, 2, 3), new Uint8Array(200).fill(7)]);
      case 8: // bool
        return random() < 0.5;
      case 1: // double
      case 2: // float
        return pick([0, -0, 1.5, -2, Number.NaN]);
      case 3: // int64
      case 16: // sfixed64
      case 18: // sint64
        return pick([0n, 1n, -1n, 1n << 40n, -(1n << 62n)]);
      case 4: // uint64
      case 6: // fixed64
        return pick([0n, 1n, (1n << 64n) - 1n, 300n]);
      case 13: // uint32
      case 7: // fixed32
        return pick([0, 1, 300, 0xffffffff]);
      default: // int32, sint32, sfixed32
        return pick([0, 1, -1, 127, 128, 0x7fffffff, -0x80000000]);
    }
  };
  const value = (field: DescField, depth: number): unknown => {
    if (field.fieldKind === "enum") return pick([...field.enum.values.map((v) => v.number), 99, -3]);
    if (field.fieldKind === "scalar") return scalar(field);
    if (field.fieldKind === "message") return nested(field.message, depth);
    return undefined;
  };
  const nested = (desc: DescMessage, depth: number): unknown => {
    if (desc.typeName === "google.protobuf.Struct") return { b: 1, a: "x" };
    if (desc.typeName === "google.protobuf.Value") return "v";
    if (desc.typeName === "google.protobuf.ListValue") return [1, "a"];
    if (desc.typeName.startsWith("google.protobuf.") && desc.typeName.endsWith("Value")) {
      return scalar(desc.fields[0] as DescField & { scalar: number });
    }
    return message(desc, depth + 1);
  };
  const message = (desc: DescMessage, depth = 0): Record<string, unknown> => {
    const init: Record<string, unknown> = {};
    for (const field of desc.fields) {
      if (random() < (depth > 2 ? 0.85 : 0.4)) continue;
      if (field.oneof) {
        if (init[field.oneof.localName] === undefined) {
          const item = value(field, depth);
          if (item !== undefined) init[field.oneof.localName] = { case: field.localName, value: item };
        }
        continue;
      }
      if (field.fieldKind === "list") {
        const count = Math.floor(random() * 3);
        const items: unknown[] = [];
        for (let i = 0; i < count; i++) {
          const item =
            field.listKind === "message"
              ? nested(field.message, depth)
              : field.listKind === "enum"
                ? pick([0, 1, 2, -1])
                : scalar(field as unknown as DescField & { scalar: number });
          items.push(item);
        }
        init[field.localName] = items;
      } else if (field.fieldKind === "map") {
        const entries: Record<string, unknown> = {};
        const count = Math.floor(random() * 3);
        for (let i = 0; i < count; i++) {
          const key = field.mapKey === 9 ? pick(["b", "a", "10", "9"]) : String(i);
          entries[key] =
            field.mapKind === "message"
              ? nested(field.message, depth)
              : field.mapKind === "enum"
                ? 0
                : scalar(field as unknown as DescField & { scalar: number });
        }
        init[field.localName] = entries;
      } else {
        const item = value(field, depth);
        if (
          item !== undefined &&
          !(field.fieldKind === "message" && JSON_TYPES.has(field.message.typeName) && depth > 3)
        ) {
          init[field.localName] = item;
        }
      }
    }
    return create(desc, init as never) as unknown as Record<string, unknown>;
  };
  return message;
}

/** toGoBinary's answer: bytes, or the error it throws. */
function reference(desc: DescMessage, message: unknown): string {
  try {
    return hex(toGoBinary(desc, message as never));
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

describe("toGoBinaryRow", () => {
  it("gives toGoBinary's bytes (or its error) for random messages of every type", () => {
    const random = seededRandom(15);
    const message = generator(random);
    let fast = 0;
    let total = 0;
    for (const desc of SCHEMAS) {
      for (let i = 0; i < 60; i++) {
        const generated = message(desc);
        const expected = reference(desc, generated);
        let actual: string;
        try {
          actual = hex(toGoBinaryRow(desc, generated as never));
        } catch (error) {
          actual = `error: ${(error as Error).message}`;
        }
        expect(actual, `${desc.typeName} #${i}`).toBe(expected);
        const plain = plainGoBinary(desc, generated as never);
        if (plain) {
          expect(hex(plain), `${desc.typeName} #${i} (fast path)`).toBe(expected);
          fast++;
        }
        total++;
      }
    }
    // Both paths are exercised.
    expect(fast).toBeGreaterThan(total / 4);
    expect(fast).toBeLessThan(total);
  });

  it("takes the fast path for the rows a sync writes, and keeps unknown fields", () => {
    const g = group({ id: "g1", displayName: "Group 1" });
    const u = user({ id: "u1", displayName: "User 1", emails: [{ address: "u1@example.com", primary: true }] });
    const e = entitlement(g, "member", {
      grantableTo: [resourceType({ id: "user", displayName: "User", traits: ["user"] })],
    });
    const direct = grant(g, e, u);
    const expandable = grant(g, "member", g.id as never, { expandable: { entitlementIds: ["group:g0:member"] } });
    for (const [desc, message] of [
      [resourcePb.ResourceSchema, g],
      [entitlementPb.EntitlementSchema, e],
      [grantPb.GrantSchema, direct],
      [grantPb.GrantSchema, expandable],
    ] as const) {
      const plain = plainGoBinary(desc, message as never);
      expect(plain, desc.typeName).toBeDefined();
      expect(hex(plain as Uint8Array)).toBe(hex(toGoBinary(desc, message as never)));
    }
    // A user's trait carries a Struct profile inside an Any: bytes there, so still plain.
    expect(hex(plainGoBinary(resourcePb.ResourceSchema, u) as Uint8Array)).toBe(
      hex(toGoBinary(resourcePb.ResourceSchema, u)),
    );
    // Unknown fields (here field 99, a varint) come after the known ones, as protobuf-es writes them.
    const withUnknown = fromBinary(
      grantPb.GrantSchema,
      Uint8Array.of(...toGoBinary(grantPb.GrantSchema, direct), 0x98, 0x06, 0x01),
    );
    expect(withUnknown.$unknown?.length).toBe(1);
    expect(hex(plainGoBinary(grantPb.GrantSchema, withUnknown) as Uint8Array)).toBe(
      hex(toGoBinary(grantPb.GrantSchema, withUnknown)),
    );
  });

  it("answers through toGoBinary for maps with entries (Go's order) and Struct fields", () => {
    const withSources = create(grantPb.GrantSchema, {
      id: "x",
      sources: { sources: { b: { isDirect: true }, a: { isDirect: false } } },
    });
    expect(plainGoBinary(grantPb.GrantSchema, withSources)).toBeUndefined();
    expect(hex(toGoBinaryRow(grantPb.GrantSchema, withSources))).toBe(
      hex(toGoBinary(grantPb.GrantSchema, withSources)),
    );
    const profiled = create(resourcePb.ResourceSchema, { displayName: "p", profile: { z: 1, a: "b" } });
    expect(plainGoBinary(resourcePb.ResourceSchema, profiled)).toBeUndefined();
    expect(hex(toGoBinaryRow(resourcePb.ResourceSchema, profiled))).toBe(
      hex(toGoBinary(resourcePb.ResourceSchema, profiled)),
    );
  });

  it("writes long payloads (multi-byte length prefixes, a grown scratch buffer) and slab views apart", () => {
    const big = create(resourcePb.ResourceSchema, { displayName: "d".repeat(200_000), description: "é".repeat(70) });
    const small = create(resourcePb.ResourceSchema, { displayName: "s" });
    const a = toGoBinaryRow(resourcePb.ResourceSchema, small);
    const b = toGoBinaryRow(resourcePb.ResourceSchema, big);
    const c = toGoBinaryRow(resourcePb.ResourceSchema, small);
    expect(hex(b)).toBe(hex(toGoBinary(resourcePb.ResourceSchema, big)));
    expect(hex(a)).toBe(hex(toGoBinary(resourcePb.ResourceSchema, small)));
    expect(hex(c)).toBe(hex(a));
    expect(a.byteOffset + a.byteLength <= c.byteOffset || a.buffer !== c.buffer).toBe(true);
  });
});
