/**
 * XXH64's stripe loop in wasm (xxh64-stripes.wat): native 64-bit multiplies instead of
 * the uint32-half arithmetic JS needs, several times faster. It carries most of the hashing
 * of a c1z's database, so it decides a large share of the time to checksum a big file.
 *
 * Where the embedder refuses to compile wasm from bytes at run time (workerd), or wasm is
 * missing, there is none and xxh64.ts keeps its JS loop: the same result, only slower.
 */
import { XXH64_STRIPES_WASM } from "./xxh64-stripes.gen.ts";

/** Runs the whole 32-byte stripes of `data` into `acc` (v1..v4 as [high, low] pairs); returns the bytes consumed. */
export type StripeLoop = (data: Uint8Array, acc: Uint32Array) => number;

// The module's memory layout: lanes at 0, input at 64, one MiB of it at a time.
const INPUT = 64;
const CHUNK = 1024 * 1024;

interface StripesExports {
  memory: WebAssembly.Memory;
  stripes(length: number): number;
}

function instantiate(): StripesExports | undefined {
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(XXH64_STRIPES_WASM));
    return instance.exports as unknown as StripesExports;
  } catch {
    return undefined;
  }
}

/** The wasm stripe loop, or undefined where wasm cannot be compiled here. */
export function wasmStripeLoop(): StripeLoop | undefined {
  const wasm = instantiate();
  if (!wasm) return undefined;
  // The memory never grows, so these views stay valid.
  const lanes = new Uint32Array(wasm.memory.buffer, 0, 8);
  const input = new Uint8Array(wasm.memory.buffer, INPUT, CHUNK);
  return (data, acc) => {
    // Lanes are little-endian i64 in wasm, [high, low] pairs in acc.
    for (let lane = 0; lane < 4; lane++) {
      lanes[lane * 2] = acc[lane * 2 + 1];
      lanes[lane * 2 + 1] = acc[lane * 2];
    }
    let done = 0;
    while (data.length - done >= 32) {
      const piece = data.subarray(done, done + CHUNK);
      input.set(piece);
      done += wasm.stripes(piece.length);
    }
    for (let lane = 0; lane < 4; lane++) {
      acc[lane * 2] = lanes[lane * 2 + 1];
      acc[lane * 2 + 1] = lanes[lane * 2];
    }
    return done;
  };
}
