import { withContentChecksum } from "./content-checksum.ts";
import type { NativeZstd } from "./native-types.ts";

interface BunZstd {
  zstdCompressSync(data: Uint8Array, options?: { level?: number }): Uint8Array;
  zstdDecompressSync(data: Uint8Array): Uint8Array;
}

const bun = (globalThis as { Bun?: Partial<BunZstd> }).Bun;

/** Bun.zstd*: no output cap, so callers only hand it frames whose size is already bounded. */
export const nativeZstd: NativeZstd | undefined =
  bun && typeof bun.zstdCompressSync === "function" && typeof bun.zstdDecompressSync === "function"
    ? {
        name: "Bun.zstd",
        compress: (data, { level, checksum }) => {
          const frame = bun.zstdCompressSync!(data, { level });
          return checksum ? withContentChecksum(frame, data) : frame;
        },
        decompress: (frame) => bun.zstdDecompressSync!(frame),
      }
    : undefined;
