import { zstdContentChecksum } from "./xxh64.ts";

/**
 * Some bindings (Bun.zstdCompressSync, the wasm build) write no checksum. A frame's XXH64 content
 * checksum is only a header flag (bit 2 of the descriptor, after the 4-byte magic) plus the
 * low 32 bits of XXH64(content) after the last block, so we add it ourselves: without it a
 * corrupted file could decode to a different database instead of failing.
 */
export function withContentChecksum(frame: Uint8Array, content: Uint8Array): Uint8Array {
  const isFrame = frame[0] === 0x28 && frame[1] === 0xb5 && frame[2] === 0x2f && frame[3] === 0xfd;
  if (!isFrame || (frame[4] & 0x04) !== 0) return frame;
  const out = new Uint8Array(frame.length + 4);
  out.set(frame);
  out[4] |= 0x04;
  new DataView(out.buffer).setUint32(frame.length, zstdContentChecksum(content), true);
  return out;
}
