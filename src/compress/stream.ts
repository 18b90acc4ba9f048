/**
 * One zstd frame written from content that arrives in chunks, with bounded memory:
 * a SQLite file read page by page goes out as compressed chunks to a file or an
 * upload, never held whole. Native libzstd where the runtime has it (node:zlib),
 * libzstd in wasm elsewhere, and raw blocks as the fallback that always works.
 */
import { loadStreamingZstd } from "#zstd-stream";
import type { StreamingZstd, ZstdFrameStream } from "./native-types.ts";
import { Xxh64 } from "./xxh64.ts";

/** Receives output in order; the encoder waits for it (backpressure). May keep the chunk. */
export type ChunkSink = (chunk: Uint8Array) => void | Promise<void>;

export interface ZstdStreamOptions {
  /** `auto`: libzstd where present, else raw blocks. `raw`: raw blocks. */
  mode?: "auto" | "raw";
  /** Default 3, as zstd's and Go's klauspost default. */
  level?: number;
  /** XXH64 content checksum (Go's writers set it). Default true. */
  checksum?: boolean;
  /** log2 of the match window where the binding takes it (node:zlib). Go's writer uses 8 MiB (23). */
  windowLog?: number;
}

export interface ZstdStreamResult {
  method: "native" | "wasm" | "raw";
  /** The binding: `node:zlib`, `zstd-wasm-stream` or `raw`. */
  engine: string;
  contentBytes: number;
  frameBytes: number;
}

export interface ZstdStreamEncoder {
  readonly method: ZstdStreamResult["method"];
  /** Compresses `chunk`; resolves when the chunk may be reused. */
  write(chunk: Uint8Array): Promise<void>;
  /** Ends the frame (checksum included) and resolves after the sink took the last chunk. */
  end(): Promise<ZstdStreamResult>;
  /** Stops after a failure elsewhere; frees the compressor, emits nothing more. */
  abort(): void;
}

let streaming: Promise<StreamingZstd | undefined> | undefined;

/** The runtime's streaming libzstd, if any (loaded once). */
export function streamingZstd(): Promise<StreamingZstd | undefined> {
  streaming ??= loadStreamingZstd().catch(() => undefined);
  return streaming;
}

export async function createZstdEncoder(sink: ChunkSink, options: ZstdStreamOptions = {}): Promise<ZstdStreamEncoder> {
  const level = options.level ?? 3;
  const checksum = options.checksum ?? true;
  const binding = options.mode === "raw" ? undefined : await streamingZstd();
  if (!binding) return rawEncoder(sink, checksum);
  return libzstdEncoder(binding, sink, { level, checksum, windowLog: options.windowLog });
}

/** Compresses every chunk of `source` into one frame delivered to `sink`. */
export async function compressStream(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  sink: ChunkSink,
  options: ZstdStreamOptions = {},
): Promise<ZstdStreamResult> {
  const encoder = await createZstdEncoder(sink, options);
  try {
    for await (const chunk of source) await encoder.write(chunk);
    return await encoder.end();
  } catch (error) {
    encoder.abort();
    throw error;
  }
}

function libzstdEncoder(
  binding: StreamingZstd,
  sink: ChunkSink,
  options: { level: number; checksum: boolean; windowLog?: number },
): ZstdStreamEncoder {
  // Bindings that cannot write the checksum get it from us: the descriptor's checksum bit
  // (byte 4 of the frame) set in the first chunk, XXH64's low 32 bits after the last block.
  const addChecksum = options.checksum && !binding.writesChecksum;
  const hash = addChecksum ? new Xxh64() : undefined;
  let contentBytes = 0;
  let frameBytes = 0;
  let first = true;
  const emit = async (chunk: Uint8Array) => {
    if (chunk.length === 0) return;
    if (first && addChecksum) {
      if (chunk.length < 5 || chunk[0] !== 0x28 || chunk[1] !== 0xb5 || chunk[2] !== 0x2f || chunk[3] !== 0xfd) {
        throw new Error(`${binding.name} did not start its output with a whole zstd frame header`);
      }
      chunk[4] |= 0x04;
    }
    first = false;
    frameBytes += chunk.length;
    await sink(chunk);
  };
  const stream: ZstdFrameStream = binding.open(emit, options);
  const method = binding.name === "node:zlib" ? "native" : "wasm";
  return {
    method,
    async write(chunk) {
      contentBytes += chunk.length;
      hash?.update(chunk);
      await stream.write(chunk);
    },
    async end() {
      await stream.end();
      if (hash) {
        const trailer = new Uint8Array(4);
        new DataView(trailer.buffer).setUint32(0, hash.digest()[1], true);
        frameBytes += 4;
        await sink(trailer);
      }
      return { method, engine: binding.name, contentBytes, frameBytes };
    },
    abort: () => stream.abort(),
  };
}

const RAW_BLOCK = 128 * 1024;

/**
 * Raw_Blocks (RFC 8878 §3.1.1): no compression, every reader accepts them. No content size in
 * the header (it is not known up front), a 128 KiB window, and the checksum after the last block.
 * One block is held back so the last one can carry the Last_Block bit.
 */
function rawEncoder(sink: ChunkSink, checksum: boolean): ZstdStreamEncoder {
  const hash = checksum ? new Xxh64() : undefined;
  let pending = new Uint8Array(RAW_BLOCK);
  let pendingLength = 0;
  let contentBytes = 0;
  let frameBytes = 0;
  let started = false;
  let closed = false;
  const out = async (bytes: Uint8Array) => {
    frameBytes += bytes.length;
    await sink(bytes);
  };
  const block = (content: Uint8Array, last: boolean): Uint8Array => {
    const header = (last ? 1 : 0) | (content.length << 3);
    const bytes = new Uint8Array(3 + content.length);
    bytes[0] = header & 0xff;
    bytes[1] = (header >>> 8) & 0xff;
    bytes[2] = (header >>> 16) & 0xff;
    bytes.set(content, 3);
    return bytes;
  };
  const start = async () => {
    if (started) return;
    started = true;
    // Magic, descriptor (no content size, multi-segment, checksum flag), window 128 KiB.
    await out(Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd, checksum ? 0x04 : 0x00, 0x38));
  };
  return {
    method: "raw",
    async write(chunk) {
      if (closed) throw new Error("zstd stream is closed");
      await start();
      contentBytes += chunk.length;
      hash?.update(chunk);
      let o = 0;
      while (o < chunk.length) {
        if (pendingLength === RAW_BLOCK) {
          await out(block(pending, false));
          pending = new Uint8Array(RAW_BLOCK);
          pendingLength = 0;
        }
        const take = Math.min(RAW_BLOCK - pendingLength, chunk.length - o);
        pending.set(chunk.subarray(o, o + take), pendingLength);
        pendingLength += take;
        o += take;
      }
    },
    async end() {
      if (closed) throw new Error("zstd stream is closed");
      closed = true;
      await start();
      await out(block(pending.subarray(0, pendingLength), true));
      if (hash) {
        const trailer = new Uint8Array(4);
        new DataView(trailer.buffer).setUint32(0, hash.digest()[1], true);
        await out(trailer);
      }
      return { method: "raw", engine: "raw", contentBytes, frameBytes };
    },
    abort() {
      closed = true;
    },
  };
}
