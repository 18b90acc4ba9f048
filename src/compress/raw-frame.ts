import { zstdContentChecksum } from "./xxh64.ts";

const BLOCK = 128 * 1024;
/** Window_Descriptor 0x38: exponent 7 → windowLog 17 = 128 KiB, the raw block size. */
const WINDOW_DESCRIPTOR_128K = 0x38;

/**
 * A valid zstd frame made of Raw_Blocks (RFC 8878 §3.1.1): no compression, but every
 * zstd reader accepts it. 8-byte Frame_Content_Size, 128 KiB window, optional XXH64 checksum.
 */
export function rawZstdFrame(
  content: Uint8Array,
  options: { checksum?: boolean; prefix?: Uint8Array } = {},
): Uint8Array {
  const checksum = options.checksum ?? true;
  const prefix = options.prefix ?? new Uint8Array(0);
  const blocks = Math.max(1, Math.ceil(content.length / BLOCK));
  // One allocation for prefix + frame: a c1z envelope must not cost another copy of the database.
  const whole = new Uint8Array(prefix.length + 14 + blocks * 3 + content.length + (checksum ? 4 : 0));
  whole.set(prefix, 0);
  const out = whole.subarray(prefix.length);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(0, 0xfd2fb528, true);
  out[4] = 0xc0 | (checksum ? 0x04 : 0); // FCS 8 bytes, multi-segment, no dictionary
  out[5] = WINDOW_DESCRIPTOR_128K;
  view.setUint32(6, content.length >>> 0, true);
  view.setUint32(10, Math.floor(content.length / 0x100000000), true);
  let o = 14;
  for (let b = 0; b < blocks; b++) {
    const begin = b * BLOCK;
    const size = Math.min(BLOCK, content.length - begin);
    const last = b === blocks - 1 ? 1 : 0;
    const header = last | (size << 3); // Block_Type 0 = Raw_Block
    out[o] = header & 0xff;
    out[o + 1] = (header >>> 8) & 0xff;
    out[o + 2] = (header >>> 16) & 0xff;
    out.set(content.subarray(begin, begin + size), o + 3);
    o += 3 + size;
  }
  if (checksum) view.setUint32(o, zstdContentChecksum(content), true);
  return prefix.length > 0 ? whole : out;
}
