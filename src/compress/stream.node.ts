import type { StreamingZstd } from "./native-types.ts";
import { nodeZlibStreamingZstd } from "./stream.node-zlib.ts";
import { wasmStreamingZstd } from "./stream.wasm.ts";

/** Node 22.15+ and Bun: node:zlib where it streams zstd; older Node: libzstd in wasm. */
export async function loadStreamingZstd(): Promise<StreamingZstd | undefined> {
  return nodeZlibStreamingZstd() ?? (await wasmStreamingZstd());
}
