/**
 * `toGoBinary` for the rows the c1z writer stores (grants, resources, entitlements), without
 * protobuf-es's per-call buffers. protobuf-es's `toBinary` makes a writer per message whose
 * buffer grows 128 → 256 → 512 bytes and is sliced at the end: three or four ArrayBuffers
 * outside the V8 heap per grant, each a malloc and a free on the sweeper thread. At 1M grants
 * that was a quarter of the listing phase (malloc, free, the arena lock between the two
 * threads). Here every message is written into one reused scratch buffer and copied once into
 * a shared slab.
 *
 * The bytes are protobuf-es's, field for field: fields in number order, implicit-presence
 * scalars skipped at their zero value, explicit presence as `hasOwnProperty` + not undefined,
 * oneof members always written, packed repeated scalars, unknown fields after the known ones,
 * minimal varint length prefixes. Anything outside that plain shape answers through
 * `toGoBinary` itself: a non-empty map (Go orders its entries), google.protobuf.Struct / Value /
 * ListValue and wrapper fields (protobuf-es converts them from their JSON or scalar form),
 * delimited (group) encoding, 64-bit fields held as strings, floats, and any value of an
 * unexpected type (protobuf-es then raises its own error). fast-encode.test.ts compares the
 * two over every field kind.
 */
import { type DescField, type DescMessage, type MessageShape, ScalarType } from "@bufbuild/protobuf";
import { toGoBinary } from "./encode.ts";
import { varintSize } from "./varint.ts";

type AnyMessage = Record<string, unknown>;
/** Writes one field of `message`; false when the message is outside the plain shape. */
type FieldWriter = (message: AnyMessage) => boolean;
type MessageWriter = (message: AnyMessage) => boolean;

const IMPLICIT = 2;
/** proto2 `required`: protobuf-es refuses to encode the message when it is unset. */
const LEGACY_REQUIRED = 3;
const LEN = 2;
const VARINT = 0;
const FIXED32 = 5;
const FIXED64 = 1;

/** Message types protobuf-es maps to JSON or scalars in fields: written by protobuf-es. */
const CONVERTED = new Set([
  "google.protobuf.Struct",
  "google.protobuf.Value",
  "google.protobuf.ListValue",
  "google.protobuf.DoubleValue",
  "google.protobuf.FloatValue",
  "google.protobuf.Int64Value",
  "google.protobuf.UInt64Value",
  "google.protobuf.Int32Value",
  "google.protobuf.UInt32Value",
  "google.protobuf.BoolValue",
  "google.protobuf.StringValue",
  "google.protobuf.BytesValue",
]);

// ---- the scratch writer ----

let buf = new Uint8Array(4096);
let pos = 0;
const utf8 = new TextEncoder();

function reserve(size: number): void {
  if (pos + size <= buf.length) return;
  let length = buf.length * 2;
  while (length < pos + size) length *= 2;
  const grown = new Uint8Array(length);
  // All of it: a length prefix is written below payload that is already there.
  grown.set(buf);
  buf = grown;
}

function varint(value: number): void {
  reserve(10);
  while (value >= 0x80) {
    buf[pos++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  buf[pos++] = value;
}

/** A 64-bit two's complement varint (negative int32 and enum values, int64). */
function varint64(value: bigint): void {
  reserve(10);
  let v = BigInt.asUintN(64, value);
  while (v >= 0x80n) {
    buf[pos++] = Number(v & 0x7fn) | 0x80;
    v >>= 7n;
  }
  buf[pos++] = Number(v);
}

function int32(value: number): void {
  if (value >= 0) varint(value);
  else varint64(BigInt(value));
}

function tag(fieldNo: number, wireType: number): void {
  varint(fieldNo * 8 + wireType);
}

function string(value: string): void {
  // Worst case 3 bytes per UTF-16 unit; the prefix is fixed up after.
  reserve(value.length * 3 + 5);
  const length = value.length;
  if (length < 0x80) {
    // Short ASCII, the usual id or name: written directly (a TextEncoder call costs more).
    let i = 0;
    for (; i < length; i++) {
      const code = value.charCodeAt(i);
      if (code >= 0x80) break;
      buf[pos + 1 + i] = code;
    }
    if (i === length) {
      buf[pos] = length;
      pos += 1 + length;
      return;
    }
  }
  const start = pos + 1;
  const { written } = utf8.encodeInto(value, buf.subarray(start));
  pos = start;
  finishLength(start, written);
}

function bytes(value: Uint8Array): void {
  varint(value.length);
  reserve(value.length);
  buf.set(value, pos);
  pos += value.length;
}

/** The payload of `length` bytes starts at `start`, one byte after its reserved prefix. */
function finishLength(start: number, length: number): void {
  const size = varintSize(length);
  if (size > 1) {
    reserve(size - 1 + length);
    buf.copyWithin(start + size - 1, start, start + length);
  }
  pos = start - 1;
  varint(length);
  pos += length;
}

function int32Ok(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff;
}

function uint32Ok(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 0xffffffff;
}

/** Writes a bare scalar (no tag); false for a type or value protobuf-es would refuse or convert. */
function scalarWriter(type: ScalarType): ((value: unknown) => boolean) | undefined {
  switch (type) {
    case ScalarType.STRING:
      return (value) => {
        if (typeof value !== "string") return false;
        string(value);
        return true;
      };
    case ScalarType.BYTES:
      return (value) => {
        if (!(value instanceof Uint8Array)) return false;
        bytes(value);
        return true;
      };
    case ScalarType.BOOL:
      return (value) => {
        if (typeof value !== "boolean") return false;
        varint(value ? 1 : 0);
        return true;
      };
    case ScalarType.INT32:
      return (value) => {
        if (!int32Ok(value)) return false;
        int32(value);
        return true;
      };
    case ScalarType.UINT32:
      return (value) => {
        if (!uint32Ok(value)) return false;
        varint(value);
        return true;
      };
    case ScalarType.INT64:
      return (value) => {
        if (typeof value !== "bigint" || BigInt.asIntN(64, value) !== value) return false;
        varint64(value);
        return true;
      };
    case ScalarType.UINT64:
      return (value) => {
        if (typeof value !== "bigint" || BigInt.asUintN(64, value) !== value) return false;
        varint64(value);
        return true;
      };
    default:
      return undefined;
  }
}

function wireTypeOf(type: ScalarType): number {
  switch (type) {
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return LEN;
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return FIXED64;
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return FIXED32;
    default:
      return VARINT;
  }
}

/** Whether a value of this implicit-presence scalar is its zero value (skipped), as protobuf-es checks. */
function implicitZero(type: ScalarType): (value: unknown) => boolean {
  switch (type) {
    case ScalarType.BOOL:
      return (value) => value === false;
    case ScalarType.STRING:
      return (value) => value === "";
    case ScalarType.BYTES:
      return (value) => value instanceof Uint8Array && value.byteLength === 0;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      // Object.is keeps -0, which protobuf-es writes.
      return (value) => Object.is(value, 0);
    default:
      // Loose comparison matches 0n, 0 and "0", as protobuf-es's.
      // biome-ignore lint/suspicious/noDoubleEquals: protobuf-es's own zero check
      return (value) => value == 0;
  }
}

// ---- compiled message writers ----

const compiled = new WeakMap<DescMessage, MessageWriter>();

function messageWriter(desc: DescMessage): MessageWriter {
  let writer = compiled.get(desc);
  if (writer) return writer;
  const typeName = desc.typeName;
  const fields: FieldWriter[] = [];
  writer = (message) => {
    if (message === null || typeof message !== "object" || message.$typeName !== typeName) return false;
    for (let i = 0; i < fields.length; i++) if (!fields[i](message)) return false;
    const unknown = message.$unknown as { no: number; wireType: number; data: Uint8Array }[] | undefined;
    if (unknown !== undefined) {
      for (const field of unknown) {
        tag(field.no, field.wireType);
        reserve(field.data.length);
        buf.set(field.data, pos);
        pos += field.data.length;
      }
    }
    return true;
  };
  // Registered before the fields compile, so recursive types resolve to this writer.
  compiled.set(desc, writer);
  for (const field of [...desc.fields].sort((a, b) => a.number - b.number)) fields.push(fieldWriter(field));
  return writer;
}

/** A nested message as a length-delimited field. */
function writeChild(fieldNo: number, child: MessageWriter, value: unknown): boolean {
  tag(fieldNo, LEN);
  reserve(1);
  const start = ++pos;
  if (!child(value as AnyMessage)) return false;
  const length = pos - start;
  if (length < 0x80) buf[start - 1] = length;
  else finishLength(start, length);
  return true;
}

const unsupported: FieldWriter = () => false;

function fieldWriter(field: DescField): FieldWriter {
  const name = field.localName;
  const fieldNo = field.number;
  const has = (message: AnyMessage) => message[name] !== undefined && Object.hasOwn(message, name);
  // Unset and optional: nothing to write. Unset and required: protobuf-es's error (false).
  const unset = field.presence !== LEGACY_REQUIRED;
  switch (field.fieldKind) {
    case "map":
      // Empty maps write nothing; entries need Go's order (toGoBinary).
      return (message) => {
        const value = message[name];
        return value !== null && typeof value === "object" && Object.keys(value).length === 0;
      };
    case "message": {
      if (field.delimitedEncoding) return unsupported;
      if (CONVERTED.has(field.message.typeName)) {
        // Unset: nothing to write, as protobuf-es. Set: protobuf-es converts it.
        if (field.oneof) {
          const oneof = field.oneof.localName;
          return (message) => (message[oneof] as { case?: string } | undefined)?.case !== name;
        }
        return (message) => !has(message) && unset;
      }
      const child = messageWriter(field.message);
      if (field.oneof) {
        const oneof = field.oneof.localName;
        return (message) => {
          const selected = message[oneof] as { case?: string; value?: unknown } | undefined;
          if (selected?.case !== name) return selected !== null && typeof selected === "object";
          return writeChild(fieldNo, child, selected.value);
        };
      }
      return (message) => (has(message) ? writeChild(fieldNo, child, message[name]) : unset);
    }
    case "list": {
      if (field.listKind === "message") {
        if (field.delimitedEncoding || CONVERTED.has(field.message.typeName)) {
          return (message) => Array.isArray(message[name]) && (message[name] as unknown[]).length === 0;
        }
        const child = messageWriter(field.message);
        return (message) => {
          const items = message[name];
          if (!Array.isArray(items)) return false;
          for (let i = 0; i < items.length; i++) if (!writeChild(fieldNo, child, items[i])) return false;
          return true;
        };
      }
      const type = field.listKind === "enum" ? ScalarType.INT32 : field.scalar;
      const write = scalarWriter(type);
      if (!write) return (message) => Array.isArray(message[name]) && (message[name] as unknown[]).length === 0;
      if (field.packed) {
        return (message) => {
          const items = message[name];
          if (!Array.isArray(items)) return false;
          if (items.length === 0) return true;
          tag(fieldNo, LEN);
          reserve(1);
          const start = ++pos;
          for (let i = 0; i < items.length; i++) if (!write(items[i])) return false;
          finishLength(start, pos - start);
          return true;
        };
      }
      const wireType = wireTypeOf(type);
      return (message) => {
        const items = message[name];
        if (!Array.isArray(items)) return false;
        for (let i = 0; i < items.length; i++) {
          tag(fieldNo, wireType);
          if (!write(items[i])) return false;
        }
        return true;
      };
    }
    default: {
      const type = field.fieldKind === "enum" ? ScalarType.INT32 : field.scalar;
      const write = scalarWriter(type);
      const wireType = wireTypeOf(type);
      if (field.oneof) {
        const oneof = field.oneof.localName;
        return (message) => {
          const selected = message[oneof] as { case?: string; value?: unknown } | undefined;
          if (selected?.case !== name) return selected !== null && typeof selected === "object";
          if (!write) return false;
          tag(fieldNo, wireType);
          return write(selected.value);
        };
      }
      if (field.presence !== IMPLICIT) {
        return (message) => {
          if (!has(message)) return unset;
          if (!write) return false;
          tag(fieldNo, wireType);
          return write(message[name]);
        };
      }
      if (field.fieldKind === "enum") {
        const zero = field.enum.values[0]?.number;
        return (message) => {
          const value = message[name];
          if (value === zero) return true;
          if (!write) return false;
          tag(fieldNo, wireType);
          return write(value);
        };
      }
      if (field.scalar === ScalarType.STRING && fieldNo < 16) {
        // The most common field by far (ids, names): one closure, a one-byte tag.
        const tagByte = fieldNo * 8 + LEN;
        return (message) => {
          const value = message[name];
          if (value === "") return true;
          if (typeof value !== "string") return false;
          reserve(1);
          buf[pos++] = tagByte;
          string(value);
          return true;
        };
      }
      const isZero = implicitZero(field.scalar);
      return (message) => {
        const value = message[name];
        if (isZero(value)) return true;
        if (!write) return false;
        tag(fieldNo, wireType);
        return write(value);
      };
    }
  }
}

// ---- output ----

/**
 * Encodings are carved out of shared slabs (one small ArrayBuffer per message costs more to
 * allocate and free than writing it). A slab lives as long as any encoding cut from it.
 */
const SLAB_BYTES = 256 * 1024;
let slab = new Uint8Array(0);
let slabUsed = 0;

function copyOut(length: number): Uint8Array {
  if (length > SLAB_BYTES / 4) return buf.slice(0, length);
  if (slabUsed + length > slab.length) {
    slab = new Uint8Array(SLAB_BYTES);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + length);
  out.set(buf.subarray(0, length));
  slabUsed += length;
  return out;
}

/**
 * `toGoBinary(schema, message)`'s bytes. The result may be a view into a slab shared with other
 * encodings: use its bytes (byteOffset/byteLength), never its whole `.buffer`.
 */
export function toGoBinaryRow<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): Uint8Array {
  return plainGoBinary(schema, message) ?? toGoBinary(schema, message);
}

/** The fast path alone: undefined when the message is outside the plain shape (tests check both paths). */
export function plainGoBinary<Desc extends DescMessage>(
  schema: Desc,
  message: MessageShape<Desc>,
): Uint8Array | undefined {
  const writer = messageWriter(schema);
  pos = 0;
  return writer(message as unknown as AnyMessage) ? copyOut(pos) : undefined;
}
