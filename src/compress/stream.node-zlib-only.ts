import type { StreamingZstd } from "./native-types.ts";
import { nodeZlibStreamingZstd } from "./stream.node-zlib.ts";

/** Deno and workerd: node:zlib (workerd cannot compile wasm from bytes). */
export async function loadStreamingZstd(): Promise<StreamingZstd | undefined> {
  return nodeZlibStreamingZstd();
}
