/**
 * `c1.connector.v2.Grant` taken apart and put together at the byte level, for grant expansion:
 * entitlement = 1, principal = 2, id = 3, annotations = 4, sources = 5
 * (GrantSources: map<string, GrantSource> sources = 1; GrantSource: bool is_direct = 1).
 *
 * Expansion writes about one new grant per source grant, each made of pieces it already holds
 * as bytes: the destination entitlement (encoded once), the principal (kept from the source
 * grant), the id, a constant GrantImmutable annotation and a small sources map. Composing them
 * here skips a decode and a protobuf-es encode per grant. The output is what protobuf-es writes
 * through `toGoBinary` for the same grant (fields in number order, map entries in Go's order);
 * grant-bytes.test.ts checks that over hostile input.
 *
 * The readers answer `undefined` for anything outside the plain shape (a field repeated, which
 * decoders merge; an unexpected wire type or field; a group; invalid UTF-8): callers then decode
 * with protobuf-es, so unusual bytes get exactly protobuf-es's answer, or its error.
 */

import { varintSize } from "../proto/varint.ts";

const LEN = 2;
const VARINT = 0;
const FIXED64 = 1;
const FIXED32 = 5;

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const utf8 = new TextEncoder();

/** Payloads (views into `data`) of a stored grant's principal and sources fields. */
export interface GrantFieldViews {
  principal?: Uint8Array;
  sources?: Uint8Array;
}

/** Where the last `varint` call stopped: module state instead of a tuple per call (hot path). */
let after = 0;

/** Reads a varint of at most 2^53 - 1 at `pos` (setting `after`), or returns -1. */
function varint(bytes: Uint8Array, pos: number, end: number): number {
  let value = 0;
  let multiplier = 1;
  for (let i = 0; i < 8; i++) {
    if (pos >= end) return -1;
    const byte = bytes[pos++];
    value += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) {
      after = pos;
      return value > Number.MAX_SAFE_INTEGER ? -1 : value;
    }
    multiplier *= 128;
  }
  return -1;
}

/** A length prefix at `pos` whose payload fits before `end`: its length (payload at `after`), or -1. */
function lengthPrefix(bytes: Uint8Array, pos: number, end: number): number {
  const length = varint(bytes, pos, end);
  return length < 0 || after + length > end ? -1 : length;
}

/** Position after the value of a field with this wire type, or -1 (groups, bad framing). */
function skip(bytes: Uint8Array, pos: number, end: number, wireType: number): number {
  switch (wireType) {
    case VARINT:
      for (let i = 0; i < 10; i++) {
        if (pos >= end) return -1;
        if ((bytes[pos++] & 0x80) === 0) return pos;
      }
      return -1;
    case FIXED64:
      return pos + 8 <= end ? pos + 8 : -1;
    case FIXED32:
      return pos + 4 <= end ? pos + 4 : -1;
    case LEN: {
      const length = lengthPrefix(bytes, pos, end);
      return length < 0 ? -1 : after + length;
    }
    default:
      return -1;
  }
}

/** The principal and sources payloads of an encoded Grant, each present at most once. */
export function grantFieldViews(data: Uint8Array): GrantFieldViews | undefined {
  const views: GrantFieldViews = {};
  const end = data.length;
  let pos = 0;
  while (pos < end) {
    const tag = varint(data, pos, end);
    if (tag < 0) return undefined;
    const fieldNo = Math.floor(tag / 8);
    const wireType = tag & 7;
    if (fieldNo === 2 || fieldNo === 5) {
      if (wireType !== LEN) return undefined;
      const length = lengthPrefix(data, after, end);
      if (length < 0) return undefined;
      const payload = data.subarray(after, after + length);
      if (fieldNo === 2) {
        if (views.principal) return undefined;
        views.principal = payload;
      } else {
        if (views.sources) return undefined;
        views.sources = payload;
      }
      pos = after + length;
      continue;
    }
    if (fieldNo === 0) return undefined;
    pos = skip(data, after, end, wireType);
    if (pos < 0) return undefined;
  }
  return views;
}

/** Keys this short are read by the ASCII fast path, as protobuf-es reads strings. */
const ASCII_KEY_MAX = 64;

function decodeKey(bytes: Uint8Array, start: number, end: number): string | undefined {
  let ascii = end - start <= ASCII_KEY_MAX;
  for (let i = start; ascii && i < end; i++) {
    if (bytes[i] > 0x7f) {
      ascii = false;
      break;
    }
  }
  if (ascii) return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  try {
    return strictUtf8.decode(bytes.subarray(start, end));
  } catch {
    return undefined;
  }
}

/** `GrantSource.is_direct`, or undefined beyond the plain shape (only field 1, a varint). */
function isDirectOf(bytes: Uint8Array, start: number, end: number): boolean | undefined {
  let isDirect = false;
  let pos = start;
  while (pos < end) {
    if (varint(bytes, pos, end) !== 8) return undefined;
    const valueStart = after;
    pos = skip(bytes, valueStart, end, VARINT);
    if (pos < 0) return undefined;
    isDirect = false;
    for (let i = valueStart; i < pos; i++) if ((bytes[i] & 0x7f) !== 0) isDirect = true;
  }
  return isDirect;
}

/**
 * `GrantSources.sources` (entitlement id → is_direct) from its encoded payload, in wire order;
 * a repeated key keeps its first place and its last value, as decoding into an object does.
 */
export function grantSourcesOf(bytes: Uint8Array): Map<string, boolean> | undefined {
  const sources = new Map<string, boolean>();
  const end = bytes.length;
  let pos = 0;
  while (pos < end) {
    if (varint(bytes, pos, end) !== 0x0a) return undefined;
    const length = lengthPrefix(bytes, after, end);
    if (length < 0) return undefined;
    const entryEnd = after + length;
    let key = "";
    let isDirect = false;
    let at = after;
    while (at < entryEnd) {
      const tag = varint(bytes, at, entryEnd);
      if (tag !== 0x0a && tag !== 0x12) return undefined;
      const size = lengthPrefix(bytes, after, entryEnd);
      if (size < 0) return undefined;
      const valueStart = after;
      const valueEnd = valueStart + size;
      if (tag === 0x0a) {
        const decoded = decodeKey(bytes, valueStart, valueEnd);
        if (decoded === undefined) return undefined;
        key = decoded;
      } else {
        // A repeated value field merges into the previous value.
        const direct = isDirectOf(bytes, valueStart, valueEnd);
        if (direct === undefined) return undefined;
        if (size > 0) isDirect = direct;
      }
      at = valueEnd;
    }
    sources.set(key, isDirect);
    pos = entryEnd;
  }
  return sources;
}

function putVarint(out: Uint8Array, pos: number, value: number): number {
  while (value >= 0x80) {
    out[pos++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  out[pos++] = value;
  return pos;
}

/** Tag + length + payload size of a length-delimited field with a one-byte tag. */
function fieldSize(length: number): number {
  return 1 + varintSize(length) + length;
}

/** Go's map order for string keys: bytewise on UTF-8. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** One entry of a new grant's sources map: the entitlement id's UTF-8 and is_direct. */
export interface EncodedSource {
  key: Uint8Array;
  isDirect: boolean;
}

/** Entry payload: key (field 1) and value (field 2), both always written, as protobuf-es does. */
function entrySize(source: EncodedSource): number {
  return fieldSize(source.key.length) + fieldSize(source.isDirect ? 2 : 0);
}

/** Everything of a new expanded grant but the sources: fixed per destination and principal. */
export interface ExpandedGrantParts {
  /** The destination Entitlement, encoded as Go. */
  entitlement: Uint8Array;
  /** The principal Resource, encoded as Go. */
  principal: Uint8Array;
  /** UTF-8 of the grant id's head (`<entitlement id>`) and tail (`:<type>:<id>`), so it is never built whole. */
  idHead: Uint8Array;
  idTail: Uint8Array;
  /** One encoded `google.protobuf.Any` (the GrantImmutable annotation). */
  annotation: Uint8Array;
}

/**
 * New grants are carved out of shared slabs: one small ArrayBuffer per grant costs more to
 * allocate and collect than its encoding. A slab lives as long as any grant cut from it.
 */
const SLAB_BYTES = 256 * 1024;
let slab = new Uint8Array(0);
let slabUsed = 0;

function allocate(size: number): Uint8Array {
  if (size > SLAB_BYTES / 4) return new Uint8Array(size);
  if (slabUsed + size > slab.length) {
    slab = new Uint8Array(SLAB_BYTES);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + size);
  slabUsed += size;
  return out;
}

/** A new grant's `data`: entitlement, principal, id, the annotation, then sources in Go's map order. */
export function encodeExpandedGrant(parts: ExpandedGrantParts, sources: EncodedSource[]): Uint8Array {
  if (sources.length > 1) sources.sort((a, b) => compareBytes(a.key, b.key));
  let sourcesLength = 0;
  for (const source of sources) sourcesLength += fieldSize(entrySize(source));
  const idLength = parts.idHead.length + parts.idTail.length;
  const size =
    fieldSize(parts.entitlement.length) +
    fieldSize(parts.principal.length) +
    (idLength > 0 ? fieldSize(idLength) : 0) +
    fieldSize(parts.annotation.length) +
    fieldSize(sourcesLength);
  const out = allocate(size);
  out[0] = 0x0a;
  let pos = putVarint(out, 1, parts.entitlement.length);
  out.set(parts.entitlement, pos);
  pos += parts.entitlement.length;
  out[pos++] = 0x12;
  pos = putVarint(out, pos, parts.principal.length);
  out.set(parts.principal, pos);
  pos += parts.principal.length;
  if (idLength > 0) {
    out[pos++] = 0x1a;
    pos = putVarint(out, pos, idLength);
    out.set(parts.idHead, pos);
    pos += parts.idHead.length;
    out.set(parts.idTail, pos);
    pos += parts.idTail.length;
  }
  out[pos++] = 0x22;
  pos = putVarint(out, pos, parts.annotation.length);
  out.set(parts.annotation, pos);
  pos += parts.annotation.length;
  out[pos++] = 0x2a;
  pos = putVarint(out, pos, sourcesLength);
  for (const source of sources) {
    out[pos++] = 0x0a;
    pos = putVarint(out, pos, entrySize(source));
    out[pos++] = 0x0a;
    pos = putVarint(out, pos, source.key.length);
    out.set(source.key, pos);
    pos += source.key.length;
    out[pos++] = 0x12;
    if (source.isDirect) {
      out[pos++] = 2;
      out[pos++] = 0x08;
      out[pos++] = 1;
    } else {
      out[pos++] = 0;
    }
  }
  return out;
}

/** UTF-8, as protobuf-es encodes strings. */
export function utf8Bytes(text: string): Uint8Array {
  return utf8.encode(text);
}

/** Whether two byte strings are equal. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
