import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { concatBytes, hasTool, pseudoRandom, run, runStatus } from "../../test/support/compress-tools.ts";
import { ZstdError } from "./errors.ts";
import { locateSingleFrame } from "./frame.ts";
import { rawZstdFrame } from "./raw-frame.ts";
import { compressZstd, decompressZstd } from "./zstd.ts";

const zstd = hasTool("zstd");

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof ZstdError) return error.code;
    throw error;
  }
  return "no error";
}

const concat = (...parts: Uint8Array[]) => concatBytes(parts);

/** A frame header by hand: FHD, window descriptor, optional 8-byte FCS. */
function header(fhd: number, windowDescriptor: number | undefined, fcs?: number): Uint8Array {
  const bytes = [0x28, 0xb5, 0x2f, 0xfd, fhd];
  if (windowDescriptor !== undefined) bytes.push(windowDescriptor);
  if (fcs !== undefined) for (let i = 0; i < 8; i++) bytes.push(Math.floor(fcs / 2 ** (8 * i)) & 0xff);
  return Uint8Array.from(bytes);
}

function rleBlock(size: number, last: boolean, byte = 0): Uint8Array {
  const h = (last ? 1 : 0) | (1 << 1) | (size << 3);
  return Uint8Array.of(h & 0xff, (h >>> 8) & 0xff, (h >>> 16) & 0xff, byte);
}

describe("raw-block frame writer", () => {
  const content = pseudoRandom(300_000, 3);

  it.skipIf(!zstd)("is decoded byte-exactly by the zstd CLI, with its checksum verified", () => {
    const frame = rawZstdFrame(content);
    expect(runStatus("zstd", ["-t", "-q"], frame).status).toBe(0);
    expect(Buffer.compare(run("zstd", ["-d", "-c", "-q"], frame), Buffer.from(content))).toBe(0);
    // A damaged checksum is caught by the CLI too, so the checksum we write is the real one.
    const bad = frame.slice();
    bad[bad.length - 1] ^= 0xff;
    expect(runStatus("zstd", ["-t", "-q"], bad).status).not.toBe(0);
  });

  it("declares the content size, a 128 KiB window and one block per 128 KiB", () => {
    const info = locateSingleFrame(rawZstdFrame(content));
    expect(info.contentSize).toBe(300_000);
    expect(info.windowSize).toBe(128 * 1024);
    expect(info.blockCount).toBe(3);
    expect(info.hasChecksum).toBe(true);
    expect(info.singleSegment).toBe(false);
  });

  it.skipIf(!zstd)("handles empty content", () => {
    const frame = rawZstdFrame(new Uint8Array(0));
    expect(run("zstd", ["-d", "-c", "-q"], frame).length).toBe(0);
    expect(decompressZstd(frame).length).toBe(0);
  });
});

describe("compressZstd", () => {
  it.skipIf(!zstd)("produces one frame the zstd CLI accepts, native or raw", () => {
    const content = pseudoRandom(200_000, 9).map((b) => b & 0x0f);
    for (const mode of ["auto", "raw"] as const) {
      const { frame } = compressZstd(content, { mode });
      expect(runStatus("zstd", ["-t", "-q"], frame).status).toBe(0);
      expect(decompressZstd(frame)).toEqual(content);
    }
  });

  it.skipIf(!zstd)("declares the content size and checksum at every field width; zstd checks both", () => {
    // 2-byte FCS covers 256..65791, 4-byte the rest below 4 GiB (and sizes below 256 here).
    for (const size of [0, 1, 255, 256, 65_791, 65_792, 1_500_000]) {
      const content = pseudoRandom(size, size + 1).map((b) => b & 0x1f);
      const { frame, method } = compressZstd(content);
      if (method === "raw") continue; // raw-block frames are covered above
      const info = locateSingleFrame(frame);
      expect(info.contentSize, `size ${size}`).toBe(size);
      expect(info.hasChecksum).toBe(true);
      // libzstd fails a frame whose decoded length differs from its declared size, and a bad checksum.
      expect(runStatus("zstd", ["-t", "-q"], frame).status, `size ${size}`).toBe(0);
      expect(Buffer.compare(run("zstd", ["-d", "-c", "-q"], frame), Buffer.from(content))).toBe(0);
      expect(decompressZstd(frame)).toEqual(content);
      if (size > 0) {
        const bad = frame.slice();
        bad[bad.length - 1] ^= 0xff;
        expect(runStatus("zstd", ["-t", "-q"], bad).status).not.toBe(0);
      }
    }
  });
});

describe("decompressZstd", () => {
  const content = pseudoRandom(500_000, 5).map((b) => b & 0x07);

  it.skipIf(!zstd)("decodes frames the zstd CLI writes: with/without checksum and content size, high level", () => {
    const dir = mkdtempSync(join(tmpdir(), "zstd-test-"));
    try {
      const file = join(dir, "content");
      writeFileSync(file, content);
      for (const args of [["-3"], ["--no-check"], ["-9"], ["--no-content-size"]]) {
        const frame = run("zstd", ["-q", "-c", ...args, file]);
        const info = locateSingleFrame(frame);
        expect(info.contentSize).toBe(args[0] === "--no-content-size" ? undefined : content.length);
        expect(decompressZstd(frame), args.join(" ")).toEqual(content);
      }
      expect(decompressZstd(run("zstd", ["-q", "-c"], content))).toEqual(content); // stdin: no content size
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!zstd)("rejects a damaged content checksum with `checksum`", () => {
    const frame = run("zstd", ["-q", "-c", "--check"], content);
    const bad = frame.slice();
    bad[bad.length - 2] ^= 0x01;
    expect(codeOf(() => decompressZstd(bad))).toBe("checksum");
    const raw = rawZstdFrame(content);
    raw[raw.length - 1] ^= 0x80;
    expect(codeOf(() => decompressZstd(raw))).toBe("checksum");
  });

  it.skipIf(!zstd)("rejects trailing bytes and a second frame, accepts skippable frames", () => {
    const frame = run("zstd", ["-q", "-c"], content);
    for (const extra of [1, 3, 4, 17]) {
      expect(
        codeOf(() => decompressZstd(concat(frame, pseudoRandom(extra, extra)))),
        `${extra} bytes`,
      ).toBe("trailing-bytes");
    }
    expect(codeOf(() => decompressZstd(concat(frame, frame)))).toBe("trailing-bytes");
    const skippable = Uint8Array.of(0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3);
    expect(decompressZstd(concat(skippable, frame, skippable))).toEqual(content);
  });

  it.skipIf(!zstd)("reports truncation at any offset as `truncated`", () => {
    const frame = run("zstd", ["-q", "-c"], content);
    for (const cut of [1, 4, 5, 6, 9, 100, Math.floor(frame.length / 2), frame.length - 5, frame.length - 1]) {
      expect(
        codeOf(() => decompressZstd(frame.subarray(0, cut))),
        `cut at ${cut}`,
      ).toBe("truncated");
    }
    expect(codeOf(() => decompressZstd(new Uint8Array(0)))).toBe("truncated");
  });

  it.skipIf(!zstd)("rejects a window over the cap (zstd --long=28 from stdin: 256 MiB) before decoding", () => {
    const frame = run("zstd", ["-q", "-c", "--long=28"], new Uint8Array(100_000));
    expect(locateSingleFrame(frame).windowSize).toBe(256 * 1024 * 1024);
    expect(codeOf(() => decompressZstd(frame))).toBe("too-large");
    expect(decompressZstd(frame, { maxWindowSize: 256 * 1024 * 1024 }).length).toBe(100_000);
  });

  it("rejects a declared content size over the cap without expanding anything", () => {
    // FCS says 3 GiB; the frame holds one RLE block. Nothing may be allocated for the claim.
    const bomb = concat(header(0xc0, 0x38, 3 * 1024 ** 3), rleBlock(100, true));
    expect(codeOf(() => decompressZstd(bomb))).toBe("too-large");
  });

  it("rejects a frame whose RLE blocks alone pass the cap", () => {
    const blocks = Array.from({ length: 40 }, (_, i) => rleBlock(128 * 1024, i === 39));
    const bomb = concat(header(0x00, 0x38), ...blocks); // no FCS: 5 MiB from 168 bytes
    expect(codeOf(() => decompressZstd(bomb, { maxDecodedSize: 1024 * 1024 }))).toBe("too-large");
    expect(decompressZstd(bomb).length).toBe(40 * 128 * 1024);
  });

  it.skipIf(!zstd)("stops a compressed bomb without a content size once output passes the cap", () => {
    const frame = run("zstd", ["-q", "-c", "--no-check"], new Uint8Array(8 * 1024 * 1024)); // stdin: no FCS
    expect(locateSingleFrame(frame).contentSize).toBeUndefined();
    expect(codeOf(() => decompressZstd(frame, { maxDecodedSize: 1024 * 1024 }))).toBe("too-large");
  });

  it("rejects a frame whose content size disagrees with its blocks", () => {
    const lying = concat(header(0xc0, 0x38, 50), rleBlock(100, true));
    expect(codeOf(() => decompressZstd(lying))).toBe("corrupt-zstd");
  });

  it("rejects a reserved block type and a dictionary frame as `corrupt-zstd`", () => {
    expect(codeOf(() => decompressZstd(concat(header(0x00, 0x38), Uint8Array.of(0x07, 0, 0))))).toBe("corrupt-zstd");
    expect(codeOf(() => decompressZstd(Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd, 0x01, 0x38, 7, 0x01, 0, 0)))).toBe(
      "corrupt-zstd",
    );
    expect(codeOf(() => decompressZstd(pseudoRandom(64, 1)))).toBe("corrupt-zstd");
  });

  it.skipIf(!zstd)("never hangs or throws anything but ZstdError on flipped bytes", () => {
    const frame = run("zstd", ["-q", "-c"], content.subarray(0, 20_000));
    for (let i = 0; i < 200; i++) {
      const bad = frame.slice();
      const at = (i * 7919) % bad.length;
      bad[at] ^= 1 << (i % 8);
      const code = codeOf(() => decompressZstd(bad));
      expect(["no error", "truncated", "corrupt-zstd", "checksum", "too-large", "trailing-bytes"]).toContain(code);
      if (code === "no error") expect(decompressZstd(bad)).toEqual(content.subarray(0, 20_000)); // a harmless flip
    }
  });
});
