/**
 * XXH64 (seed 0 by default), as zstd uses for its content checksum.
 * 64-bit arithmetic on pairs of uint32 halves: BigInt would be ~50x slower. The stripe loop,
 * where nearly all the time goes, runs in wasm where it can (xxh64-stripes.ts).
 */
import { type StripeLoop, wasmStripeLoop } from "./xxh64-stripes.ts";

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

const P1H = P1[0];
const P1L = P1[1];
const P2H = P2[0];
const P2L = P2[1];

/**
 * The 32-byte stripe loop, fully inlined on locals (the hot path: ~10x faster than
 * calling the helpers). Returns the offset after the last whole stripe; `acc` holds
 * v1..v4 as [h, l] pairs.
 */
function jsStripes(data: Uint8Array, acc: Uint32Array): number {
  const limit = data.length - 32;
  let i = 0;
  while (i <= limit) {
    for (let lane = 0; lane < 4; lane++) {
      const p = i + lane * 8;
      const ll = (data[p] | (data[p + 1] << 8) | (data[p + 2] << 16) | (data[p + 3] << 24)) >>> 0;
      const lh = (data[p + 4] | (data[p + 5] << 8) | (data[p + 6] << 16) | (data[p + 7] << 24)) >>> 0;
      // m = lane * P2 (low 64 bits)
      let a0 = ll & 0xffff;
      let a1 = ll >>> 16;
      let m1 = a1 * (P2L & 0xffff);
      let m2 = a0 * (P2L >>> 16);
      let carry = (((a0 * (P2L & 0xffff)) >>> 16) + (m1 & 0xffff) + (m2 & 0xffff)) >>> 16;
      const mh =
        (a1 * (P2L >>> 16) + (m1 >>> 16) + (m2 >>> 16) + carry + Math.imul(lh, P2L) + Math.imul(ll, P2H)) >>> 0;
      const ml = Math.imul(ll, P2L) >>> 0;
      // v += m
      const j = lane * 2;
      let vl = acc[j + 1] + ml;
      let vh = (acc[j] + mh + (vl > 0xffffffff ? 1 : 0)) >>> 0;
      vl >>>= 0;
      // v = rotl(v, 31)
      const th = vh;
      vh = ((vh << 31) | (vl >>> 1)) >>> 0;
      vl = ((vl << 31) | (th >>> 1)) >>> 0;
      // v *= P1
      a0 = vl & 0xffff;
      a1 = vl >>> 16;
      m1 = a1 * (P1L & 0xffff);
      m2 = a0 * (P1L >>> 16);
      carry = (((a0 * (P1L & 0xffff)) >>> 16) + (m1 & 0xffff) + (m2 & 0xffff)) >>> 16;
      acc[j] = a1 * (P1L >>> 16) + (m1 >>> 16) + (m2 >>> 16) + carry + Math.imul(vh, P1L) + Math.imul(vl, P1H);
      acc[j + 1] = Math.imul(vl, P1L);
    }
    i += 32;
  }
  return i;
}

/** Which stripe loop a hash runs: "wasm" where this runtime compiles it, else "js". */
export type Xxh64Engine = "wasm" | "js";

const wasmStripes = wasmStripeLoop();
const STRIPE_LOOPS: Partial<Record<Xxh64Engine, StripeLoop>> = { js: jsStripes, wasm: wasmStripes };

/** The engines this runtime has, the default first. */
export const XXH64_ENGINES: readonly Xxh64Engine[] = wasmStripes ? ["wasm", "js"] : ["js"];

/**
 * XXH64 over data that arrives in pieces (a database streamed to zstd): the same
 * result as hashing the concatenation, with at most one 32-byte stripe buffered.
 */
export class Xxh64 {
  private readonly acc = new Uint32Array(8);
  private readonly tail = new Uint8Array(32);
  private tailLength = 0;
  private total = 0;
  private readonly seed: number;
  private readonly stripes: StripeLoop;

  constructor(seed = 0, engine: Xxh64Engine = XXH64_ENGINES[0]) {
    const stripes = STRIPE_LOOPS[engine];
    if (!stripes) throw new Error(`xxh64: no ${engine} engine in this runtime`);
    this.stripes = stripes;
    this.seed = seed >>> 0;
    add(0, this.seed, P1[0], P1[1]);
    add(H, L, P2[0], P2[1]);
    this.acc[0] = H;
    this.acc[1] = L;
    add(0, this.seed, P2[0], P2[1]);
    this.acc[2] = H;
    this.acc[3] = L;
    this.acc[4] = 0;
    this.acc[5] = this.seed;
    // seed - P1 = seed + (2^64 - P1)
    add(0, this.seed, ~P1[0] >>> 0, ~P1[1] >>> 0);
    add(H, L, 0, 1);
    this.acc[6] = H;
    this.acc[7] = L;
  }

  update(data: Uint8Array): this {
    this.total += data.length;
    let i = 0;
    if (this.tailLength > 0) {
      const take = Math.min(32 - this.tailLength, data.length);
      this.tail.set(data.subarray(0, take), this.tailLength);
      this.tailLength += take;
      i = take;
      if (this.tailLength < 32) return this;
      this.stripes(this.tail, this.acc);
      this.tailLength = 0;
    }
    const rest = data.subarray(i);
    const done = this.stripes(rest, this.acc);
    this.tail.set(rest.subarray(done), 0);
    this.tailLength = rest.length - done;
    return this;
  }

  /** [high, low] uint32 halves. */
  digest(): [number, number] {
    return finish(
      this.total >= 32 ? this.acc : undefined,
      this.seed,
      this.total,
      this.tail.subarray(0, this.tailLength),
    );
  }
}

/** XXH64 of `data` as [high, low] uint32 halves. */
export function xxh64(data: Uint8Array, seed = 0): [number, number] {
  return new Xxh64(seed).update(data).digest();
}

/** Merges the lanes (when 32 bytes or more were hashed), then the last < 32 bytes, then the avalanche. */
function finish(acc: Uint32Array | undefined, seed: number, length: number, data: Uint8Array): [number, number] {
  let i = 0;
  let hh: number;
  let hl: number;
  if (acc) {
    const v1h = acc[0];
    const v1l = acc[1];
    const v2h = acc[2];
    const v2l = acc[3];
    const v3h = acc[4];
    const v3l = acc[5];
    const v4h = acc[6];
    const v4l = acc[7];
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
  const end = data.length;
  while (i + 8 <= end) {
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
  if (i + 4 <= end) {
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
  while (i < end) {
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
