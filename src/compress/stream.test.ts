import { describe, expect, it } from "vitest";
import { concatBytes, hasTool, pseudoRandom, run, runStatus } from "../../test/support/compress-tools.ts";
import { locateSingleFrame } from "./frame.ts";
import { type ChunkSink, compressStream, createZstdEncoder, streamingZstd } from "./stream.ts";
import { decompressZstd } from "./zstd.ts";

const zstdCli = hasTool("zstd");
const binding = await streamingZstd();
if (!binding) console.warn("no streaming libzstd on this runtime: only the raw-block stream is tested");
const modes = binding ? (["auto", "raw"] as const) : (["raw"] as const);

/** Half pseudo-random bytes, half SQLite-like runs and repeats: compressible, but not trivially. */
function content(length: number): Uint8Array {
  const out = pseudoRandom(length, 5);
  for (let o = 0; o < length; o += 4096) {
    const page = out.subarray(o, o + 4096);
    page.fill(0, 2048);
    if (o >= 8192) page.copyWithin(1024, 0, 512);
  }
  return out;
}

const concat = concatBytes;

function* pieces(data: Uint8Array, sizes: number[]): Generator<Uint8Array> {
  let o = 0;
  for (let i = 0; o < data.length; i++) {
    const size = sizes[i % sizes.length];
    // A fresh copy each time, overwritten after the write: the encoder must not keep it.
    const piece = data.slice(o, o + size);
    yield piece;
    piece.fill(0xee);
    o += size;
  }
}

describe.each(modes)("streaming zstd encoder (mode %s)", (mode) => {
  const data = content(3 * 1024 * 1024 + 777);

  it.skipIf(!zstdCli)("writes one frame with a checksum that the zstd CLI verifies and decodes exactly", async () => {
    const out: Uint8Array[] = [];
    const result = await compressStream(pieces(data, [1, 4096, 65_537, 1_500_000, 3]), (c) => void out.push(c), {
      mode,
    });
    const frame = concat(out);
    expect(result.contentBytes).toBe(data.length);
    expect(result.frameBytes).toBe(frame.length);
    expect(result.method).toBe(mode === "raw" ? "raw" : binding?.name === "node:zlib" ? "native" : "wasm");
    const info = locateSingleFrame(frame);
    expect(info.hasChecksum).toBe(true);
    expect(info.end).toBe(frame.length);
    expect(runStatus("zstd", ["-t", "-q"], frame).status).toBe(0);
    expect(Buffer.compare(run("zstd", ["-d", "-c", "-q"], frame), Buffer.from(data))).toBe(0);
    expect(Buffer.compare(Buffer.from(decompressZstd(frame)), Buffer.from(data))).toBe(0);
    if (mode === "auto") expect(frame.length).toBeLessThan(data.length * 0.75);
    // The checksum is the real one: a flipped bit in it fails the CLI's test.
    const bad = frame.slice();
    bad[bad.length - 1] ^= 1;
    expect(runStatus("zstd", ["-t", "-q"], bad).status).not.toBe(0);
  });

  it.skipIf(!zstdCli)("encodes empty content as one valid frame", async () => {
    const out: Uint8Array[] = [];
    await compressStream([], (c) => void out.push(c), { mode });
    const frame = concat(out);
    expect(runStatus("zstd", ["-t", "-q"], frame).status).toBe(0);
    expect(run("zstd", ["-d", "-c", "-q"], frame).length).toBe(0);
  });

  it("waits for a slow asynchronous sink and delivers chunks in order", async () => {
    const out: Uint8Array[] = [];
    let inSink = 0;
    let overlapped = false;
    const slow: ChunkSink = async (chunk) => {
      inSink++;
      if (inSink > 1) overlapped = true;
      await new Promise((resolve) => setTimeout(resolve, 1));
      out.push(chunk);
      inSink--;
    };
    await compressStream(pieces(data, [256 * 1024]), slow, { mode });
    expect(overlapped).toBe(false);
    expect(Buffer.compare(Buffer.from(decompressZstd(concat(out))), Buffer.from(data))).toBe(0);
  });

  it("passes a sink failure to the writer and stops", async () => {
    const encoder = await createZstdEncoder(
      () => {
        throw new Error("upload refused");
      },
      { mode },
    );
    await expect(
      (async () => {
        for (const piece of pieces(data, [512 * 1024])) await encoder.write(piece);
        await encoder.end();
      })(),
    ).rejects.toThrow("upload refused");
    encoder.abort();
  });
});
