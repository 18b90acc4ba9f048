import { type DescField, type DescMessage, type MessageShape, toBinary } from "@bufbuild/protobuf";

/**
 * Encode a message the way Go's `proto.MarshalOptions{Deterministic: true}` does.
 *
 * protobuf-es already writes fields in ascending number order and packs
 * repeated scalars; what differs is map order, which protobuf-es takes from
 * `Object.keys`. We rebuild every map (at any depth) with its keys inserted in
 * Go's order before encoding.
 */
export function toGoBinary<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): Uint8Array {
  return toBinary(schema, hasMultiKeyMap(schema, message) ? canonicalMaps(schema, message) : message);
}

type AnyRecord = Record<string, unknown>;

function hasMultiKeyMap(desc: DescMessage, message: unknown): boolean {
  const record = message as AnyRecord;
  for (const field of desc.fields) {
    const value = fieldValue(field, record);
    if (value === undefined) continue;
    if (field.fieldKind === "map") {
      const keys = Object.keys(value as AnyRecord);
      if (keys.length > 1) return true;
      if (field.mapKind === "message") {
        for (const key of keys) if (hasMultiKeyMap(field.message, (value as AnyRecord)[key])) return true;
      }
    } else if (field.fieldKind === "message") {
      if (isJsonType(field.message)) {
        if (jsonHasMultiKeyObject(value)) return true;
      } else if (hasMultiKeyMap(field.message, value)) return true;
    } else if (field.fieldKind === "list" && field.listKind === "message") {
      for (const item of value as unknown[]) if (hasMultiKeyMap(field.message, item)) return true;
    }
  }
  return false;
}

function fieldValue(field: DescField, record: AnyRecord): unknown {
  if (field.oneof) {
    const oneof = record[field.oneof.localName] as { case?: string; value?: unknown } | undefined;
    return oneof?.case === field.localName ? oneof.value : undefined;
  }
  return record[field.localName];
}

function canonicalMaps<T>(desc: DescMessage, message: T): T {
  const copy: AnyRecord = { ...(message as AnyRecord) };
  for (const field of desc.fields) {
    const value = fieldValue(field, copy);
    if (value === undefined) continue;
    let next: unknown = value;
    if (field.fieldKind === "map") {
      const source = value as AnyRecord;
      const sorted: AnyRecord = {};
      for (const key of sortMapKeys(Object.keys(source), field.mapKey)) {
        sorted[key] = field.mapKind === "message" ? canonicalMaps(field.message, source[key]) : source[key];
      }
      next = sorted;
    } else if (field.fieldKind === "message") {
      next = isJsonType(field.message) ? sortJson(value) : canonicalMaps(field.message, value);
    } else if (field.fieldKind === "list" && field.listKind === "message") {
      next = (value as unknown[]).map((item) => canonicalMaps(field.message, item));
    }
    if (field.oneof) {
      copy[field.oneof.localName] = { case: field.localName, value: next };
    } else {
      copy[field.localName] = next;
    }
  }
  return copy as T;
}

// protobuf-es holds Struct, Value and ListValue fields as plain JSON values.
function isJsonType(desc: DescMessage): boolean {
  return (
    desc.typeName === "google.protobuf.Struct" ||
    desc.typeName === "google.protobuf.Value" ||
    desc.typeName === "google.protobuf.ListValue"
  );
}

function jsonHasMultiKeyObject(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(jsonHasMultiKeyObject);
  if (value === null || typeof value !== "object") return false;
  const values = Object.values(value);
  return values.length > 1 || values.some(jsonHasMultiKeyObject);
}

function sortJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortJson);
  if (value === null || typeof value !== "object") return value;
  const source = value as AnyRecord;
  const sorted: AnyRecord = {};
  for (const key of sortMapKeys(Object.keys(source), 9)) sorted[key] = sortJson(source[key]);
  return sorted;
}

const encoder = new TextEncoder();

/** Go sorts string keys bytewise (UTF-8), integer keys numerically, bools false < true. */
function sortMapKeys(keys: string[], keyType: number): string[] {
  // ScalarType: STRING = 9, BOOL = 8; every other map key type is an integer.
  if (keyType === 9) {
    return keys
      .map((key) => ({ key, bytes: encoder.encode(key) }))
      .sort((a, b) => compareBytes(a.bytes, b.bytes))
      .map((entry) => entry.key);
  }
  if (keyType === 8) return keys.sort();
  return keys.sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}
