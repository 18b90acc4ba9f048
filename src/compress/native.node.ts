import { nodeZlibZstd } from "./native.node-zlib.ts";
import type { NativeZstd } from "./native-types.ts";
import { wasmOneShotZstd } from "./stream.wasm.ts";

/**
 * Node 20 (and Node 22 before 22.15) has no zstd in node:zlib. Without a compressor the
 * c1z would be written as raw blocks, 10–15× larger, so on Node we fall back to the wasm
 * build of libzstd the streaming path uses too (one wasm module per process).
 */
export const nativeZstd: NativeZstd | undefined = nodeZlibZstd() ?? (await wasmOneShotZstd());
