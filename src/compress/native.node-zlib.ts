import * as zlib from "node:zlib";
import type { NativeZstd } from "./native-types.ts";

// Node 22.15+, Deno 2.6.9+, Bun and workerd (nodejs_compat) have zstd in node:zlib; Node 20 does not.
interface ZstdZlib {
  zstdCompressSync(data: Uint8Array, options: { params: Record<number, number>; chunkSize?: number }): Uint8Array;
  zstdDecompressSync(data: Uint8Array, options: { maxOutputLength: number }): Uint8Array;
  constants: Record<string, number>;
}

const z = zlib as unknown as Partial<ZstdZlib>;

/**
 * `wholeOutputChunk`: one output chunk big enough for the whole frame. Deno's zstdCompressSync
 * ends the frame and starts another when its output passes a chunk (seen on Deno 2.9.6).
 */
export function nodeZlibZstd(options: { wholeOutputChunk?: boolean } = {}): NativeZstd | undefined {
  if (typeof z.zstdCompressSync !== "function" || typeof z.zstdDecompressSync !== "function" || !z.constants) {
    return undefined;
  }
  return {
    name: "node:zlib",
    compress(data, { level, checksum }) {
      const c = z.constants as Record<string, number>;
      const params: Record<number, number> = { [c.ZSTD_c_compressionLevel]: level };
      if (checksum && c.ZSTD_c_checksumFlag !== undefined) params[c.ZSTD_c_checksumFlag] = 1;
      const chunkSize = options.wholeOutputChunk
        ? Math.max(64 * 1024, data.length + (data.length >> 7) + 128 * 1024)
        : undefined;
      return toPlain(z.zstdCompressSync!(data, chunkSize ? { params, chunkSize } : { params }));
    },
    decompress(frame, maxOutputLength) {
      return toPlain(z.zstdDecompressSync!(frame, { maxOutputLength }));
    },
  };
}

export const nativeZstd: NativeZstd | undefined = nodeZlibZstd();

function toPlain(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
