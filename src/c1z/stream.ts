/**
 * The c1z envelope written as a stream: `C1ZF\0`, then one zstd frame of the SQLite
 * file, produced chunk by chunk from any source (a database file read in pieces,
 * sql.js pages) into any sink (a file, a multipart upload). Memory stays bounded by
 * the compressor's window and one chunk, whatever the database size.
 */
import {
  type ChunkSink,
  createZstdEncoder,
  type ZstdStreamOptions,
  type ZstdStreamResult,
} from "../compress/stream.ts";
import { C1Z_V1_HEADER } from "./envelope.ts";

export type { ChunkSink } from "../compress/stream.ts";

export interface C1zStreamResult extends ZstdStreamResult {
  /** Bytes given to the sink: the 5-byte header plus the frame. */
  c1zBytes: number;
}

/** Reads the content in the order given; each chunk may be reused by the source after it was written. */
export async function encodeC1zStream(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  sink: ChunkSink,
  options: ZstdStreamOptions = {},
): Promise<C1zStreamResult> {
  await sink(C1Z_V1_HEADER.slice());
  const encoder = await createZstdEncoder(sink, options);
  try {
    for await (const chunk of source) await encoder.write(chunk);
    const result = await encoder.end();
    return { ...result, c1zBytes: C1Z_V1_HEADER.length + result.frameBytes };
  } catch (error) {
    encoder.abort();
    throw error;
  }
}

/** Views of `bytes` in pieces of `size`: an in-memory database (sql.js `export()`) as a source. */
export function* chunksOf(bytes: Uint8Array, size = 1024 * 1024): Generator<Uint8Array> {
  for (let o = 0; o < bytes.length; o += size) yield bytes.subarray(o, Math.min(bytes.length, o + size));
}
