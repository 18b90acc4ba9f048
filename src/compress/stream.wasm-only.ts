import type { StreamingZstd } from "./native-types.ts";
import { wasmStreamingZstd } from "./stream.wasm.ts";

/** Other runtimes (browsers): libzstd in wasm. */
export async function loadStreamingZstd(): Promise<StreamingZstd | undefined> {
  return wasmStreamingZstd();
}
