/**
 * XXH64 (seed 0 by default), as zstd uses for its content checksum.
 * 64-bit arithmetic on pairs of uint32 halves: BigInt would be ~50x slower.
 */

// Each constant as [high, low].
const P1 = [0x9e3779b1, 0x85ebca87] as const;
const P2 = [0xc2b2ae3d, 0x27d4eb4f] as const;
const P3 = [0x165667b1, 0x9e3779f9] as const;
const P4 = [0x85ebca77, 0xc2b2ae63] as const;
const P5 = [0x27d4eb2f, 0x165667c5] as const;

// Result registers of the helpers below (avoids allocating a pair per operation).
let H = 0;
let L = 0;

function mul(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const mid = a0 * b1 + a1 * b0; // < 2^33, exact in a double
  const low = a0 * b0 + (mid % 0x10000) * 0x10000; // < 2^33
  const carry = Math.floor(low / 0x100000000);
  const high = a1 * b1 + Math.floor(mid / 0x10000) + carry;
  L = low >>> 0;
  H = (high + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
}

function add(ah: number, al: number, bh: number, bl: number): void {
  const low = al + bl;
  L = low >>> 0;
  H = (ah + bh + (low > 0xffffffff ? 1 : 0)) >>> 0;
}

/** rotl by r, 0 < r < 32. */
function rotl(h: number, l: number, r: number): void {
  H = ((h << r) | (l >>> (32 - r))) >>> 0;
  L = ((l << r) | (h >>> (32 - r))) >>> 0;
}

/** acc = rotl(acc + lane * P2, 31) * P1 */
function round(acch: number, accl: number, laneh: number, lanel: number): void {
  mul(laneh, lanel, P2[0], P2[1]);
  add(acch, accl, H, L);
  rotl(H, L, 31);
  mul(H, L, P1[0], P1[1]);
}

function u32(data: Uint8Array, i: number): number {
  return (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)) >>> 0;
}

/** XXH64 of `data` as [high, low] uint32 halves. */
export function xxh64(data: Uint8Array, seed = 0): [number, number] {
  const length = data.length;
  let i = 0;
  let hh: number;
  let hl: number;
  if (length >= 32) {
    add(0, seed >>> 0, P1[0], P1[1]);
    add(H, L, P2[0], P2[1]);
    let v1h = H;
    let v1l = L;
    add(0, seed >>> 0, P2[0], P2[1]);
    let v2h = H;
    let v2l = L;
    let v3h = 0;
    let v3l = seed >>> 0;
    // seed - P1 = seed + (2^64 - P1)
    add(0, seed >>> 0, ~P1[0] >>> 0, ~P1[1] >>> 0);
    add(H, L, 0, 1);
    let v4h = H;
    let v4l = L;
    const limit = length - 32;
    while (i <= limit) {
      round(v1h, v1l, u32(data, i + 4), u32(data, i));
      v1h = H;
      v1l = L;
      round(v2h, v2l, u32(data, i + 12), u32(data, i + 8));
      v2h = H;
      v2l = L;
      round(v3h, v3l, u32(data, i + 20), u32(data, i + 16));
      v3h = H;
      v3l = L;
      round(v4h, v4l, u32(data, i + 28), u32(data, i + 24));
      v4h = H;
      v4l = L;
      i += 32;
    }
    rotl(v1h, v1l, 1);
    hh = H;
    hl = L;
    rotl(v2h, v2l, 7);
    add(hh, hl, H, L);
    hh = H;
    hl = L;
    rotl(v3h, v3l, 12);
    add(hh, hl, H, L);
    hh = H;
    hl = L;
    rotl(v4h, v4l, 18);
    add(hh, hl, H, L);
    hh = H;
    hl = L;
    for (const [vh, vl] of [
      [v1h, v1l],
      [v2h, v2l],
      [v3h, v3l],
      [v4h, v4l],
    ]) {
      round(0, 0, vh, vl);
      hh = (hh ^ H) >>> 0;
      hl = (hl ^ L) >>> 0;
      mul(hh, hl, P1[0], P1[1]);
      add(H, L, P4[0], P4[1]);
      hh = H;
      hl = L;
    }
  } else {
    add(0, seed >>> 0, P5[0], P5[1]);
    hh = H;
    hl = L;
  }
  add(hh, hl, Math.floor(length / 0x100000000), length >>> 0);
  hh = H;
  hl = L;
  while (i + 8 <= length) {
    round(0, 0, u32(data, i + 4), u32(data, i));
    hh = (hh ^ H) >>> 0;
    hl = (hl ^ L) >>> 0;
    rotl(hh, hl, 27);
    mul(H, L, P1[0], P1[1]);
    add(H, L, P4[0], P4[1]);
    hh = H;
    hl = L;
    i += 8;
  }
  if (i + 4 <= length) {
    mul(0, u32(data, i), P1[0], P1[1]);
    hh = (hh ^ H) >>> 0;
    hl = (hl ^ L) >>> 0;
    rotl(hh, hl, 23);
    mul(H, L, P2[0], P2[1]);
    add(H, L, P3[0], P3[1]);
    hh = H;
    hl = L;
    i += 4;
  }
  while (i < length) {
    mul(0, data[i], P5[0], P5[1]);
    hh = (hh ^ H) >>> 0;
    hl = (hl ^ L) >>> 0;
    rotl(hh, hl, 11);
    mul(H, L, P1[0], P1[1]);
    hh = H;
    hl = L;
    i++;
  }
  // avalanche
  hl = (hl ^ (hh >>> 1)) >>> 0; // h ^= h >> 33
  mul(hh, hl, P2[0], P2[1]);
  hl = (L ^ (((L >>> 29) | (H << 3)) >>> 0)) >>> 0; // h ^= h >> 29
  hh = (H ^ (H >>> 29)) >>> 0;
  mul(hh, hl, P3[0], P3[1]);
  hh = H;
  hl = (L ^ H) >>> 0; // h ^= h >> 32
  return [hh, hl];
}

/** The low 32 bits of XXH64, as zstd stores them (little-endian) after the last block. */
export function zstdContentChecksum(data: Uint8Array): number {
  return xxh64(data)[1];
}

export function xxh64Hex(data: Uint8Array, seed = 0): string {
  const [h, l] = xxh64(data, seed);
  return h.toString(16).padStart(8, "0") + l.toString(16).padStart(8, "0");
}
