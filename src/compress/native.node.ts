import { createRequire } from "node:module";
import { withContentChecksum } from "./content-checksum.ts";
import { nodeZlibZstd } from "./native.node-zlib.ts";
import type { NativeZstd } from "./native-types.ts";

interface WasmZstd {
  init(): Promise<void>;
  compress(data: Uint8Array, level: number): Uint8Array;
}

/**
 * Node 20 (and Node 22 before 22.15) has no zstd in node:zlib. Without a compressor the
 * c1z would be written as raw blocks, 10–15× larger, so on Node we fall back to a wasm
 * build of libzstd for compression; decoding stays with fzstd, which checks every limit.
 */
async function wasmZstd(): Promise<NativeZstd | undefined> {
  try {
    const wasm = createRequire(import.meta.url)("@bokuweb/zstd-wasm") as WasmZstd;
    await wasm.init();
    return {
      name: "zstd-wasm",
      compress(data, { level, checksum }) {
        const frame = wasm.compress(data, level);
        return checksum ? withContentChecksum(frame, data) : frame;
      },
    };
  } catch {
    return undefined;
  }
}

export const nativeZstd: NativeZstd | undefined = nodeZlibZstd() ?? (await wasmZstd());
