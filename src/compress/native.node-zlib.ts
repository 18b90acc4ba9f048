import * as zlib from "node:zlib";
import type { NativeZstd } from "./native-types.ts";

// Node 22.15+, Deno 2.6.9+, Bun and workerd (nodejs_compat) have zstd in node:zlib; Node 20 does not.
interface ZstdZlib {
  zstdCompressSync(data: Uint8Array, options: { params: Record<number, number> }): Uint8Array;
  zstdDecompressSync(data: Uint8Array, options: { maxOutputLength: number }): Uint8Array;
  constants: Record<string, number>;
}

const z = zlib as unknown as Partial<ZstdZlib>;

export const nativeZstd: NativeZstd | undefined =
  typeof z.zstdCompressSync === "function" && typeof z.zstdDecompressSync === "function" && z.constants
    ? {
        name: "node:zlib",
        compress(data, { level, checksum }) {
          const c = z.constants as Record<string, number>;
          const params: Record<number, number> = { [c.ZSTD_c_compressionLevel]: level };
          if (checksum && c.ZSTD_c_checksumFlag !== undefined) params[c.ZSTD_c_checksumFlag] = 1;
          return toPlain(z.zstdCompressSync!(data, { params }));
        },
        decompress(frame, maxOutputLength) {
          return toPlain(z.zstdDecompressSync!(frame, { maxOutputLength }));
        },
      }
    : undefined;

function toPlain(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
