import { Decompress } from "fzstd";
import { nativeZstd } from "#zstd-native";
import { ZstdError } from "./errors.ts";
import { type FrameInfo, locateSingleFrame, readFrameInfo } from "./frame.ts";
import { rawZstdFrame } from "./raw-frame.ts";
import { Xxh64, zstdContentChecksum } from "./xxh64.ts";

const MiB = 1024 * 1024;

export interface ZstdLimits {
  /** Largest decoded content accepted. Go's reader allows 10 GiB; we default to 2 GiB (it must fit in memory). */
  maxDecodedSize?: number;
  /** Largest window accepted, as Go's `WithDecoderMaxMemory(128 MiB)`. */
  maxWindowSize?: number;
}

export const DEFAULT_MAX_DECODED_SIZE = 2048 * MiB;
export const DEFAULT_MAX_WINDOW_SIZE = 128 * MiB;

export interface CompressOptions {
  /** `auto`: native zstd where present, else (or if it fails) raw blocks. `raw`: always raw blocks. */
  mode?: "auto" | "raw";
  level?: number;
  /** XXH64 content checksum (Go's writers set it). Default true. */
  checksum?: boolean;
  /** Bytes placed before the frame in the same buffer (the c1z header). */
  prefix?: Uint8Array;
}

export interface Compressed {
  frame: Uint8Array;
  method: "native" | "raw";
  /** Why native zstd was not used although present. */
  fallbackReason?: string;
}

export function compressZstd(content: Uint8Array, options: CompressOptions = {}): Compressed {
  const checksum = options.checksum ?? true;
  let fallbackReason: string | undefined;
  if (options.mode !== "raw" && nativeZstd) {
    try {
      const frame = nativeZstd.compress(content, { level: options.level ?? 3, checksum });
      fallbackReason = nativeFrameProblem(frame, content.length);
      if (!fallbackReason) return { frame: withPrefix(options.prefix, frame), method: "native" };
    } catch (error) {
      // workerd 2026-04-26 throws on some inputs (cloudflare/workerd#6769); raw blocks always work.
      fallbackReason = `${nativeZstd.name} failed: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  const frame = rawZstdFrame(content, { checksum, prefix: options.prefix });
  return fallbackReason ? { frame, method: "raw", fallbackReason } : { frame, method: "raw" };
}

function withPrefix(prefix: Uint8Array | undefined, frame: Uint8Array): Uint8Array {
  if (!prefix || prefix.length === 0) return frame;
  const out = new Uint8Array(prefix.length + frame.length);
  out.set(prefix, 0);
  out.set(frame, prefix.length);
  return out;
}

/** Go's reader rejects windows over 128 MiB (a single-segment frame's window is its content size). */
function nativeFrameProblem(frame: Uint8Array, contentLength: number): string | undefined {
  try {
    const info = locateSingleFrame(frame);
    if (info.windowSize > DEFAULT_MAX_WINDOW_SIZE) return `native frame window ${info.windowSize} is over 128 MiB`;
    if ((info.contentSize ?? contentLength) !== contentLength) return "native frame declares a wrong content size";
    return undefined;
  } catch (error) {
    return `native frame is not one valid zstd frame: ${(error as Error).message}`;
  }
}

/** The frame header alone; lets callers check limits before reading anything else. */
export function peekFrame(data: Uint8Array): FrameInfo {
  return readFrameInfo(data, 0);
}

/** Locates the one frame and checks Go's limits against what its headers declare. */
function checkedFrame(data: Uint8Array, limits: ZstdLimits): FrameInfo {
  const maxDecoded = limits.maxDecodedSize ?? DEFAULT_MAX_DECODED_SIZE;
  const maxWindow = limits.maxWindowSize ?? DEFAULT_MAX_WINDOW_SIZE;
  const frame = locateSingleFrame(data);
  if (frame.windowSize > maxWindow) {
    throw new ZstdError(
      "too-large",
      `zstd window ${frame.windowSize} bytes exceeds the ${maxWindow}-byte cap${frame.singleSegment ? " (single-segment frame: window = content size)" : ""}`,
    );
  }
  if (frame.contentSize !== undefined && frame.contentSize > maxDecoded) {
    throw new ZstdError("too-large", `declared decoded size ${frame.contentSize} exceeds the cap ${maxDecoded}`);
  }
  if (frame.minContentSize > maxDecoded) {
    throw new ZstdError(
      "too-large",
      `decoded size is at least ${frame.minContentSize} bytes, over the cap ${maxDecoded}`,
    );
  }
  const declared = frame.contentSize;
  if (declared !== undefined && (declared < frame.minContentSize || declared > frame.maxContentSize)) {
    throw new ZstdError(
      "corrupt-zstd",
      `zstd frame declares ${declared} content bytes but its blocks hold ${frame.minContentSize === frame.maxContentSize ? frame.minContentSize : `${frame.minContentSize}..${frame.maxContentSize}`}`,
    );
  }
  return frame;
}

/**
 * Decodes exactly one zstd frame (skippable frames allowed) with Go's reader limits,
 * checked against the declared sizes before any decoding (a zstd bomb never expands).
 */
export function decompressZstd(data: Uint8Array, limits: ZstdLimits = {}): Uint8Array {
  const maxDecoded = limits.maxDecodedSize ?? DEFAULT_MAX_DECODED_SIZE;
  const frame = checkedFrame(data, limits);
  const declared = frame.contentSize;
  const bytes = data.subarray(frame.start, frame.end);
  let content: Uint8Array;
  const decodeHere = () =>
    declared === undefined
      ? streamWithCap(bytes, maxDecoded, "too-large")
      : streamWithCap(bytes, declared, "corrupt-zstd");
  try {
    if (nativeZstd?.decompress && (declared !== undefined || frame.maxContentSize <= maxDecoded)) {
      try {
        content = nativeZstd.decompress(bytes, Math.min(maxDecoded, declared ?? maxDecoded));
      } catch {
        // The JS decoder has the final word, with the same caps: workerd 1.20260426's
        // zstdDecompressSync rejects a maxOutputLength past its own limit (any frame without a
        // content size) and valid frames that decode to exactly 40960 × 2^k bytes (cloudflare/workerd#6769).
        content = decodeHere();
      }
    } else {
      content = decodeHere();
    }
  } catch (error) {
    if (error instanceof ZstdError) throw error;
    if (error instanceof RangeError && /max|length|size/i.test(error.message)) {
      throw new ZstdError("too-large", `decoded size exceeds the cap ${maxDecoded}`);
    }
    throw new ZstdError("corrupt-zstd", `zstd frame does not decode: ${(error as Error).message}`);
  }
  if (content.length > maxDecoded) {
    throw new ZstdError("too-large", `decoded size ${content.length} exceeds the cap ${maxDecoded}`);
  }
  if (frame.contentSize !== undefined && content.length !== frame.contentSize) {
    throw new ZstdError(
      "corrupt-zstd",
      `zstd frame declares ${frame.contentSize} content bytes but decodes to ${content.length}`,
    );
  }
  if (frame.hasChecksum) checkContentChecksum(data, frame, zstdContentChecksum(content));
  return content;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, "0")}`;
}

/** fzstd's streaming decoder, stopped as soon as the output passes `limit`. */
function streamWithCap(frame: Uint8Array, limit: number, code: "too-large" | "corrupt-zstd"): Uint8Array {
  const chunks: Uint8Array[] = [];
  const total = decodeWithCap(frame, limit, code, (chunk) => chunks.push(chunk.slice()));
  const out = new Uint8Array(total);
  let o = 0;
  for (const chunk of chunks) {
    out.set(chunk, o);
    o += chunk.length;
  }
  return out;
}

/** Streams the frame's content to `write`, failing with `code` once it passes `limit`; returns its length. */
function decodeWithCap(
  frame: Uint8Array,
  limit: number,
  code: "too-large" | "corrupt-zstd",
  write: (chunk: Uint8Array) => void,
): number {
  let total = 0;
  const stream = new Decompress((chunk) => {
    total += chunk.length;
    if (total > limit) {
      throw new ZstdError(
        code,
        code === "too-large"
          ? `decoded size exceeds the cap ${limit}`
          : `zstd frame decodes to more than its declared ${limit} content bytes`,
      );
    }
    write(chunk);
  });
  stream.push(frame, true);
  return total;
}

/** The frame's stored XXH64 (low 32 bits) against the content's. */
function checkContentChecksum(data: Uint8Array, frame: FrameInfo, actual: number): void {
  const stored = new DataView(data.buffer, data.byteOffset + frame.end - 4, 4).getUint32(0, true);
  if (stored !== actual) {
    throw new ZstdError(
      "checksum",
      `zstd content checksum mismatch (stored ${hex(stored)}, computed ${hex(actual)}): the data is corrupt`,
    );
  }
}

/**
 * `decompressZstd` with the content delivered to `write` in pieces instead of returned whole
 * (a large database decoded into a file): the same limits, size and checksum checks, made
 * as the data streams. Returns the content length.
 */
export function decompressZstdTo(
  data: Uint8Array,
  write: (chunk: Uint8Array) => void,
  limits: ZstdLimits = {},
): number {
  const maxDecoded = limits.maxDecodedSize ?? DEFAULT_MAX_DECODED_SIZE;
  const frame = checkedFrame(data, limits);
  const hash = frame.hasChecksum ? new Xxh64() : undefined;
  let total: number;
  try {
    total = decodeWithCap(
      data.subarray(frame.start, frame.end),
      frame.contentSize ?? maxDecoded,
      frame.contentSize === undefined ? "too-large" : "corrupt-zstd",
      (chunk) => {
        hash?.update(chunk);
        write(chunk);
      },
    );
  } catch (error) {
    if (error instanceof ZstdError) throw error;
    throw new ZstdError("corrupt-zstd", `zstd frame does not decode: ${(error as Error).message}`);
  }
  if (frame.contentSize !== undefined && total !== frame.contentSize) {
    throw new ZstdError(
      "corrupt-zstd",
      `zstd frame declares ${frame.contentSize} content bytes but decodes to ${total}`,
    );
  }
  if (hash) checkContentChecksum(data, frame, hash.digest()[1]);
  return total;
}
