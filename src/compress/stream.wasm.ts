import type { StreamingZstd, ZstdFrameStream } from "./native-types.ts";

/** The embind class of @hpcc-js/wasm-zstd: one libzstd `ZSTD_CCtx` per instance. */
interface WasmCompressStream {
  reset(): void;
  setCompressionLevel(level: number): void;
  compressChunk(dst: number, dstCapacity: number, src: number, srcSize: number): number;
  compressEnd(dst: number, dstCapacity: number): number;
  delete(): void;
}

interface WasmZstdModule {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(ptr: number): void;
  zstd: {
    new (): WasmCompressStream;
    compressBound(size: number): number;
    CStreamOutSize(): number;
    isError(code: number): number;
    getErrorName(code: number): string;
  };
}

/** Input handed to libzstd per call: bounds the wasm heap a stream needs besides its window. */
const INPUT_CHUNK = 1024 * 1024;

/**
 * libzstd compiled to wasm (@hpcc-js/wasm-zstd, Apache-2.0). Its public class shares one
 * stream per process, so each of our streams makes its own instance of the embind class
 * underneath; the shape is checked, and a different one means "not available" (raw blocks).
 */
export async function wasmStreamingZstd(): Promise<StreamingZstd | undefined> {
  let module: WasmZstdModule;
  try {
    const { Zstd } = await import("@hpcc-js/wasm-zstd");
    const loaded = (await Zstd.load()) as unknown as { _mainModule?: { _module?: WasmZstdModule } };
    const found = loaded._mainModule?._module;
    if (
      !found ||
      typeof found._malloc !== "function" ||
      typeof found.zstd !== "function" ||
      typeof found.zstd.prototype.compressChunk !== "function"
    ) {
      return undefined;
    }
    module = found;
  } catch {
    return undefined;
  }
  const cls = module.zstd;
  const check = (code: number, what: string): number => {
    if (cls.isError(code)) throw new Error(`zstd-wasm ${what} failed: ${cls.getErrorName(code)}`);
    return code;
  };
  return {
    name: "zstd-wasm-stream",
    writesChecksum: false,
    open(emit, { level }): ZstdFrameStream {
      const stream = new cls();
      const outCapacity = cls.compressBound(INPUT_CHUNK) + cls.CStreamOutSize();
      const input = module._malloc(INPUT_CHUNK);
      const output = module._malloc(outCapacity);
      let open = true;
      const free = () => {
        if (!open) return;
        open = false;
        module._free(input);
        module._free(output);
        stream.delete();
      };
      try {
        stream.reset();
        stream.setCompressionLevel(level);
      } catch (error) {
        free();
        throw error;
      }
      // The heap may grow (and HEAPU8 be replaced) during any call: read it after each.
      const take = (size: number) => module.HEAPU8.slice(output, output + size);
      return {
        async write(chunk) {
          for (let o = 0; o < chunk.length; o += INPUT_CHUNK) {
            if (!open) throw new Error("zstd stream is closed");
            const piece = chunk.subarray(o, o + INPUT_CHUNK);
            module.HEAPU8.set(piece, input);
            const size = check(stream.compressChunk(output, outCapacity, input, piece.length), "compress");
            if (size > 0) await emit(take(size));
          }
        },
        async end() {
          if (!open) throw new Error("zstd stream is closed");
          try {
            const size = check(stream.compressEnd(output, outCapacity), "end of frame");
            const last = take(size);
            free();
            await emit(last);
          } finally {
            free();
          }
        },
        abort: free,
      };
    },
  };
}
