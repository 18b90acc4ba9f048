import { type DescField, type DescMessage, type MessageShape, ScalarType, toBinary } from "@bufbuild/protobuf";

/**
 * Encode a message the way Go's `proto.MarshalOptions{Deterministic: true}` does.
 *
 * protobuf-es already matches Go on everything but map order: fields in
 * ascending number order, oneof members always written, packed repeated
 * scalars, `-0` kept, unknown fields appended after the known ones. Maps are
 * written in `Object.keys` order, which cannot express Go's order because
 * JavaScript hoists integer-like keys ("9", "10") ahead of the others, and
 * Struct fields are JSON objects with the same problem.
 *
 * So we encode with protobuf-es, then sort the entries of every map, at any
 * depth, directly in the bytes: Go sorts string keys bytewise (UTF-8), integer
 * keys numerically and bools false before true. Permuting entries never
 * changes a length, so enclosing length prefixes stay valid and the pass
 * works in place.
 */
export function toGoBinary<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): Uint8Array {
  const bytes = toBinary(schema, message);
  // Most messages have no map, or maps already in Go order: a walk over the
  // object is much cheaper than a pass over the bytes.
  if (plan(schema).reachesMap && !mapsInGoOrder(schema, message)) sortMapEntries(bytes, 0, bytes.length, schema);
  return bytes;
}

type AnyRecord = Record<string, unknown>;

function mapsInGoOrder(desc: DescMessage, message: unknown): boolean {
  const record = message as AnyRecord;
  for (const field of plan(desc).byNumber.values()) {
    const value = fieldValue(field, record);
    if (value === undefined || value === null) continue;
    if (field.fieldKind === "map") {
      const map = value as AnyRecord;
      const keys = Object.keys(map);
      if (!keysInGoOrder(keys, field.mapKey)) return false;
      if (field.mapKind === "message") {
        for (const key of keys) if (!messageInGoOrder(field.message, map[key])) return false;
      }
    } else if (field.fieldKind === "list") {
      for (const item of value as unknown[]) if (!messageInGoOrder(field.message as DescMessage, item)) return false;
    } else if (!messageInGoOrder(field.message as DescMessage, value)) {
      return false;
    }
  }
  return true;
}

/** A message, or (for Struct, Value and ListValue fields) the plain JSON protobuf-es keeps there. */
function messageInGoOrder(desc: DescMessage, value: unknown): boolean {
  if (value !== null && typeof value === "object" && "$typeName" in value) return mapsInGoOrder(desc, value);
  return jsonInGoOrder(value);
}

function jsonInGoOrder(value: unknown): boolean {
  if (value === null || typeof value !== "object") return true;
  if (Array.isArray(value)) return value.every(jsonInGoOrder);
  const record = value as AnyRecord;
  const keys = Object.keys(record);
  if (!keysInGoOrder(keys, ScalarType.STRING)) return false;
  for (const key of keys) if (!jsonInGoOrder(record[key])) return false;
  return true;
}

function fieldValue(field: DescField, record: AnyRecord): unknown {
  if (field.oneof) {
    const oneof = record[field.oneof.localName] as { case?: string; value?: unknown } | undefined;
    return oneof?.case === field.localName ? oneof.value : undefined;
  }
  return record[field.localName];
}

function keysInGoOrder(keys: string[], keyType: ScalarType): boolean {
  for (let i = 1; i < keys.length; i++) {
    const a = keys[i - 1];
    const b = keys[i];
    if (keyType === ScalarType.STRING) {
      if (compareCodePoints(a, b) > 0) return false;
    } else if (keyType === ScalarType.BOOL) {
      if (a === "true" && b === "false") return false;
    } else if (BigInt(a) > BigInt(b)) {
      return false;
    }
  }
  return true;
}

/** UTF-8 byte order is code point order; UTF-16 order differs only around surrogates. */
function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x < 0xd800 && y < 0xd800) return x - y;
    return (a.codePointAt(i) as number) - (b.codePointAt(i) as number);
  }
  return a.length - b.length;
}

interface Plan {
  /** Whether a map field can occur anywhere inside this message type. */
  reachesMap: boolean;
  /** Length-delimited fields that need a look inside: maps and messages that reach a map. */
  byNumber: Map<number, DescField>;
}

const plans = new WeakMap<DescMessage, Plan>();

function plan(desc: DescMessage): Plan {
  let found = plans.get(desc);
  if (found) return found;
  // Registered before the walk so recursive types (Struct -> Value -> Struct) terminate.
  found = { reachesMap: false, byNumber: new Map() };
  plans.set(desc, found);
  computeReach(desc, new Set());
  return found;
}

/** Fixed point over the message graph: a type reaches a map if it has one or a child type does. */
function computeReach(root: DescMessage, visiting: Set<DescMessage>): void {
  const graph: DescMessage[] = [];
  const collect = (desc: DescMessage) => {
    if (visiting.has(desc)) return;
    visiting.add(desc);
    graph.push(desc);
    if (!plans.has(desc)) plans.set(desc, { reachesMap: false, byNumber: new Map() });
    for (const field of desc.fields) {
      const child = childMessage(field);
      if (child) collect(child);
    }
  };
  collect(root);
  let changed = true;
  while (changed) {
    changed = false;
    for (const desc of graph) {
      const entry = plans.get(desc) as Plan;
      for (const field of desc.fields) {
        const child = childMessage(field);
        const relevant = field.fieldKind === "map" || (child !== undefined && (plans.get(child) as Plan).reachesMap);
        if (relevant && !entry.byNumber.has(field.number)) {
          entry.byNumber.set(field.number, field);
          if (!entry.reachesMap) entry.reachesMap = true;
          changed = true;
        }
      }
    }
  }
}

function childMessage(field: DescField): DescMessage | undefined {
  if (field.fieldKind === "message") return field.message;
  if (field.fieldKind === "list" && field.listKind === "message") return field.message;
  if (field.fieldKind === "map" && field.mapKind === "message") return field.message;
  return undefined;
}

// Wire types.
const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const START_GROUP = 3;
const END_GROUP = 4;
const FIXED32 = 5;

interface Cursor {
  pos: number;
}

function readVarint(bytes: Uint8Array, cursor: Cursor): bigint {
  let result = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (cursor.pos >= bytes.length) throw new RangeError("protobuf: truncated varint");
    const byte = bytes[cursor.pos++];
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return result;
    shift += 7n;
  }
  throw new RangeError("protobuf: varint too long");
}

/** Small varints (tags and lengths) without BigInt. */
function readSmallVarint(bytes: Uint8Array, cursor: Cursor): number {
  let result = 0;
  let multiplier = 1;
  for (let i = 0; i < 10; i++) {
    if (cursor.pos >= bytes.length) throw new RangeError("protobuf: truncated varint");
    const byte = bytes[cursor.pos++];
    result += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) {
      if (result > Number.MAX_SAFE_INTEGER) throw new RangeError("protobuf: length or tag out of range");
      return result;
    }
    multiplier *= 128;
  }
  throw new RangeError("protobuf: varint too long");
}

/** Moves the cursor past one field value; returns the value's start and end (the payload, for LEN). */
function skipValue(bytes: Uint8Array, cursor: Cursor, wireType: number, fieldNo: number): [number, number] {
  switch (wireType) {
    case VARINT: {
      const start = cursor.pos;
      while (cursor.pos < bytes.length && bytes[cursor.pos] & 0x80) cursor.pos++;
      cursor.pos++;
      if (cursor.pos > bytes.length || cursor.pos - start > 10) throw new RangeError("protobuf: bad varint");
      return [start, cursor.pos];
    }
    case FIXED64:
      cursor.pos += 8;
      break;
    case FIXED32:
      cursor.pos += 4;
      break;
    case LENGTH_DELIMITED: {
      const length = readSmallVarint(bytes, cursor);
      const start = cursor.pos;
      cursor.pos += length;
      if (cursor.pos > bytes.length) throw new RangeError("protobuf: truncated length-delimited field");
      return [start, cursor.pos];
    }
    case START_GROUP: {
      const start = cursor.pos;
      for (;;) {
        const tag = readSmallVarint(bytes, cursor);
        const innerWire = tag & 7;
        const innerNo = Math.floor(tag / 8);
        if (innerWire === END_GROUP) {
          if (innerNo !== fieldNo) throw new RangeError("protobuf: mismatched end group");
          return [start, cursor.pos];
        }
        skipValue(bytes, cursor, innerWire, innerNo);
      }
    }
    default:
      throw new RangeError(`protobuf: invalid wire type ${wireType}`);
  }
  if (cursor.pos > bytes.length) throw new RangeError("protobuf: truncated fixed-width field");
  return [cursor.pos - (wireType === FIXED64 ? 8 : 4), cursor.pos];
}

interface Entry {
  start: number;
  end: number;
  key: MapKey;
}

type MapKey = Uint8Array | bigint | boolean;

function sortMapEntries(bytes: Uint8Array, start: number, end: number, desc: DescMessage): void {
  const { byNumber } = plan(desc);
  const cursor: Cursor = { pos: start };
  let run: Entry[] = [];
  let runField: DescField | undefined;
  const flush = () => {
    if (run.length > 1) reorder(bytes, run);
    run = [];
    runField = undefined;
  };
  while (cursor.pos < end) {
    const recordStart = cursor.pos;
    const tag = readSmallVarint(bytes, cursor);
    const wireType = tag & 7;
    const fieldNo = Math.floor(tag / 8);
    const [valueStart, valueEnd] = skipValue(bytes, cursor, wireType, fieldNo);
    const field = wireType === LENGTH_DELIMITED ? byNumber.get(fieldNo) : undefined;
    if (field !== runField) flush();
    if (!field) continue;
    if (field.fieldKind === "map") {
      runField = field;
      run.push({ start: recordStart, end: cursor.pos, key: mapEntryKey(bytes, valueStart, valueEnd, field) });
      if (field.mapKind === "message" && plan(field.message).reachesMap) {
        sortInsideEntryValue(bytes, valueStart, valueEnd, field.message);
      }
    } else {
      const child = childMessage(field);
      if (child) sortMapEntries(bytes, valueStart, valueEnd, child);
    }
  }
  flush();
}

function sortInsideEntryValue(bytes: Uint8Array, start: number, end: number, valueDesc: DescMessage): void {
  const cursor: Cursor = { pos: start };
  while (cursor.pos < end) {
    const tag = readSmallVarint(bytes, cursor);
    const wireType = tag & 7;
    const fieldNo = Math.floor(tag / 8);
    const [valueStart, valueEnd] = skipValue(bytes, cursor, wireType, fieldNo);
    if (fieldNo === 2 && wireType === LENGTH_DELIMITED) sortMapEntries(bytes, valueStart, valueEnd, valueDesc);
  }
}

function mapEntryKey(bytes: Uint8Array, start: number, end: number, field: DescField & { fieldKind: "map" }): MapKey {
  const keyType = field.mapKey;
  let key: MapKey = zeroKey(keyType);
  const cursor: Cursor = { pos: start };
  while (cursor.pos < end) {
    const tag = readSmallVarint(bytes, cursor);
    const wireType = tag & 7;
    const fieldNo = Math.floor(tag / 8);
    const valueStart = cursor.pos;
    const [payloadStart, payloadEnd] = skipValue(bytes, cursor, wireType, fieldNo);
    // The last occurrence wins, as when decoding.
    if (fieldNo === 1) key = decodeKey(bytes, keyType, wireType, valueStart, payloadStart, payloadEnd);
  }
  return key;
}

function zeroKey(keyType: ScalarType): MapKey {
  if (keyType === ScalarType.STRING) return new Uint8Array(0);
  if (keyType === ScalarType.BOOL) return false;
  return 0n;
}

function decodeKey(
  bytes: Uint8Array,
  keyType: ScalarType,
  wireType: number,
  valueStart: number,
  payloadStart: number,
  payloadEnd: number,
): MapKey {
  if (keyType === ScalarType.STRING) return bytes.subarray(payloadStart, payloadEnd);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (wireType === VARINT) {
    const raw = readVarint(bytes, { pos: valueStart });
    switch (keyType) {
      case ScalarType.BOOL:
        return raw !== 0n;
      case ScalarType.INT32:
        return BigInt.asIntN(32, raw);
      case ScalarType.INT64:
        return BigInt.asIntN(64, raw);
      case ScalarType.UINT32:
        return BigInt.asUintN(32, raw);
      case ScalarType.SINT32:
      case ScalarType.SINT64:
        return (raw >> 1n) ^ -(raw & 1n);
      default:
        return raw;
    }
  }
  if (wireType === FIXED32) {
    return keyType === ScalarType.SFIXED32
      ? BigInt(view.getInt32(payloadStart, true))
      : BigInt(view.getUint32(payloadStart, true));
  }
  if (wireType === FIXED64) {
    return keyType === ScalarType.SFIXED64
      ? view.getBigInt64(payloadStart, true)
      : view.getBigUint64(payloadStart, true);
  }
  return zeroKey(keyType);
}

function compareKeys(a: MapKey, b: MapKey): number {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return compareBytes(a, b);
  if (typeof a === "boolean" && typeof b === "boolean") return a === b ? 0 : a ? 1 : -1;
  if (typeof a === "bigint" && typeof b === "bigint") return a < b ? -1 : a > b ? 1 : 0;
  return 0;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** Sorts one map's entries, which protobuf-es writes back to back. */
function reorder(bytes: Uint8Array, run: Entry[]): void {
  let sorted = true;
  for (let i = 1; i < run.length; i++) {
    if (compareKeys(run[i - 1].key, run[i].key) > 0) {
      sorted = false;
      break;
    }
  }
  if (sorted) return;
  const start = run[0].start;
  const end = run[run.length - 1].end;
  // Sort first: string keys are views into the region about to be overwritten.
  const order = [...run].sort((a, b) => compareKeys(a.key, b.key));
  const original = bytes.slice(start, end);
  let out = start;
  for (const entry of order) {
    bytes.set(original.subarray(entry.start - start, entry.end - start), out);
    out += entry.end - entry.start;
  }
}
