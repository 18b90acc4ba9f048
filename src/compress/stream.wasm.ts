import type { NativeZstd, StreamingZstd, ZstdFrameStream } from "./native-types.ts";
import { Xxh64 } from "./xxh64.ts";

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

let loading: Promise<WasmZstdModule | undefined> | undefined;

/**
 * libzstd compiled to wasm (@hpcc-js/wasm-zstd, Apache-2.0), loaded once per process. Its
 * public class shares one stream per process, so each of our frames makes its own instance
 * of the embind class underneath; the shape is checked, and a different one means "not
 * available" (raw blocks).
 */
function loadWasmZstd(): Promise<WasmZstdModule | undefined> {
  loading ??= (async () => {
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
      return found;
    } catch {
      return undefined;
    }
  })();
  return loading;
}

/**
 * One frame compressed chunk by chunk: `chunk` and `end` return the output produced so far
 * as a view into the wasm heap (valid until the next call). Input goes in 1 MiB pieces, so
 * the wasm heap holds the window and two buffers, never the whole input.
 */
interface FrameCompressor {
  chunk(piece: Uint8Array): Uint8Array;
  end(): Uint8Array;
  free(): void;
}

function openFrame(module: WasmZstdModule, level: number): FrameCompressor {
  const cls = module.zstd;
  const check = (code: number, what: string): number => {
    if (cls.isError(code)) throw new Error(`zstd-wasm ${what} failed: ${cls.getErrorName(code)}`);
    return code;
  };
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
  const view = (size: number) => module.HEAPU8.subarray(output, output + size);
  return {
    chunk(piece) {
      if (!open) throw new Error("zstd stream is closed");
      module.HEAPU8.set(piece, input);
      return view(check(stream.compressChunk(output, outCapacity, input, piece.length), "compress"));
    },
    end() {
      if (!open) throw new Error("zstd stream is closed");
      return view(check(stream.compressEnd(output, outCapacity), "end of frame"));
    },
    free,
  };
}

export async function wasmStreamingZstd(): Promise<StreamingZstd | undefined> {
  const module = await loadWasmZstd();
  if (!module) return undefined;
  return {
    name: "zstd-wasm-stream",
    writesChecksum: false,
    open(emit, { level }): ZstdFrameStream {
      const frame = openFrame(module, level);
      return {
        async write(chunk) {
          for (let o = 0; o < chunk.length; o += INPUT_CHUNK) {
            const out = frame.chunk(chunk.subarray(o, o + INPUT_CHUNK));
            if (out.length > 0) await emit(out.slice());
          }
        },
        async end() {
          try {
            const last = frame.end().slice();
            frame.free();
            await emit(last);
          } finally {
            frame.free();
          }
        },
        abort: frame.free,
      };
    },
  };
}

/**
 * The same wasm as a one-shot compressor (Node 20 and 22 before 22.15 have no zstd in
 * node:zlib): the frame is built through the streaming API, so the input is never copied
 * into the wasm heap whole; the content size and the XXH64 content checksum, which this
 * build's streaming API cannot write, are added by us (finishFrame). Decoding stays with
 * fzstd, which checks every limit.
 */
export async function wasmOneShotZstd(): Promise<NativeZstd | undefined> {
  const module = await loadWasmZstd();
  if (!module) return undefined;
  return {
    name: "zstd-wasm",
    compress(data, { level, checksum }) {
      const frame = openFrame(module, level);
      const parts: Uint8Array[] = [];
      let total = 0;
      const keep = (out: Uint8Array) => {
        if (out.length === 0) return;
        parts.push(out.slice());
        total += out.length;
      };
      try {
        for (let o = 0; o < data.length; o += INPUT_CHUNK) keep(frame.chunk(data.subarray(o, o + INPUT_CHUNK)));
        keep(frame.end());
      } finally {
        frame.free();
      }
      return finishFrame(parts, total, data, checksum);
    },
  };
}

/**
 * Joins a streamed frame and adds what a one-shot frame declares: the Frame_Content_Size
 * (RFC 8878 §3.1.1.1: descriptor bits 7–6 give its width; blocks do not depend on the
 * header, so rewriting it is safe) and, when asked, the content checksum (descriptor bit 2,
 * low 32 bits of XXH64 after the last block). Content that fits the window becomes a
 * single-segment frame, as libzstd's one-shot API writes it: no window descriptor, the
 * decoder's window is the declared size. A header other than the streaming one (no size,
 * no dictionary) is left as it is.
 */
function finishFrame(parts: Uint8Array[], total: number, content: Uint8Array, checksum: boolean): Uint8Array {
  const joined = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    joined.set(part, at);
    at += part.length;
  }
  const descriptor = joined[4];
  const size = content.length;
  const addChecksum = checksum && (descriptor & 0x04) === 0;
  // FCS flag 0, not single segment, no dictionary id: magic, descriptor, window descriptor.
  const streamingHeader = total > 6 && (descriptor & 0xe3) === 0;
  let header = joined.subarray(0, Math.min(total, 5));
  let rest = joined.subarray(header.length);
  let fcsFlag = 0;
  let fcsBytes = 0;
  let singleSegment = false;
  if (streamingHeader) {
    const windowDescriptor = joined[5];
    const base = 2 ** (10 + (windowDescriptor >> 3));
    singleSegment = size <= base + (base / 8) * (windowDescriptor & 7);
    // Widths 1 (single segment only), 2 (stores size - 256), 4 and 8 bytes.
    fcsFlag = size <= 255 && singleSegment ? 0 : size >= 256 && size <= 65_791 ? 1 : size <= 0xffffffff ? 2 : 3;
    fcsBytes = fcsFlag === 0 ? 1 : [0, 2, 4, 8][fcsFlag];
    if (!singleSegment && fcsFlag === 0) fcsBytes = 0;
    header = joined.subarray(0, singleSegment ? 5 : 6);
    rest = joined.subarray(6);
  }
  const out = new Uint8Array(header.length + fcsBytes + rest.length + (addChecksum ? 4 : 0));
  const view = new DataView(out.buffer);
  out.set(header, 0);
  const fcsAt = header.length;
  if (fcsBytes === 1) out[fcsAt] = size;
  else if (fcsFlag === 1) view.setUint16(fcsAt, size - 256, true);
  else if (fcsFlag === 2) view.setUint32(fcsAt, size, true);
  else if (fcsFlag === 3) view.setBigUint64(fcsAt, BigInt(size), true);
  out.set(rest, fcsAt + fcsBytes);
  if (out.length > 4) out[4] = descriptor | (fcsFlag << 6) | (singleSegment ? 0x20 : 0) | (addChecksum ? 0x04 : 0);
  if (addChecksum) view.setUint32(out.length - 4, new Xxh64().update(content).digest()[1], true);
  return out;
}
