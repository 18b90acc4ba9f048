import { compressStream } from "../../src/compress/stream.ts";

/** Deterministic bytes that do not compress (xorshift32), for probes on other runtimes and their checks here. */
export function probeBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let x = 2463534242;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/**
 * Deterministic bytes that compress about as a c1z's database does: 4 KiB pages, each a run
 * of text-like bytes (64 letters) of 200–3,000 bytes, then zeros.
 */
export function pageLikeBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let x = 88172645;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  for (let page = 0; page < size; page += 4096) {
    const used = Math.min(size - page, 200 + (next() % 2800));
    for (let i = 0; i < used; i++) bytes[page + i] = 0x30 + (next() & 0x3f);
  }
  return bytes;
}

/**
 * The zstd frame of `size` probe bytes streamed through the c1z encoder's compressor
 * (src/compress/stream.ts) in 1 MiB chunks, and the method it used.
 */
export function probeFrame(
  size: number,
  kind: "random" | "pages" = "random",
): Promise<{ frame: Uint8Array; method: string }> {
  return streamedFrame(kind === "pages" ? pageLikeBytes(size) : probeBytes(size));
}

/** `content` streamed through the c1z encoder's compressor in 1 MiB chunks, as a c1z's database is. */
export async function streamedFrame(
  content: Uint8Array,
  sinkDelayMs = 0,
): Promise<{ frame: Uint8Array; method: string }> {
  const parts: Uint8Array[] = [];
  const chunks = function* () {
    for (let at = 0; at < content.length; at += 1 << 20) yield content.subarray(at, at + (1 << 20));
  };
  const result = await compressStream(chunks(), async (chunk) => {
    parts.push(chunk.slice());
    if (sinkDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, sinkDelayMs));
  });
  // Not compress-tools' concatBytes: this module runs on workerd too, which has no child_process.
  const frame = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    frame.set(part, offset);
    offset += part.length;
  }
  return { frame, method: result.method };
}
