import { ZstdError } from "./errors.ts";

export const ZSTD_MAGIC = 0xfd2fb528;
const MAX_BLOCK_SIZE = 128 * 1024;

/** What the headers of one zstd frame declare, read without decoding anything (RFC 8878 §3.1.1). */
export interface FrameInfo {
  /** Offset of the frame's magic number. */
  start: number;
  /** Offset just past the frame (after the checksum, if any). */
  end: number;
  /** Offset of the first block header. */
  blocksStart: number;
  singleSegment: boolean;
  windowSize: number;
  contentSize: number | undefined;
  hasChecksum: boolean;
  dictionaryId: number;
  blockCount: number;
  /** Decoded bytes the raw and RLE blocks alone produce (a lower bound of the content size). */
  minContentSize: number;
  /** Largest content the blocks can produce. */
  maxContentSize: number;
}

function u32le(data: Uint8Array, i: number): number {
  return (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)) >>> 0;
}

function need(data: Uint8Array, end: number, what: string): void {
  if (end > data.length)
    throw new ZstdError("truncated", `zstd data ends inside the ${what} (needs ${end} bytes, has ${data.length})`);
}

export function isSkippableMagic(magic: number): boolean {
  return magic >>> 4 === 0x184d2a5;
}

/** Reads one frame's header and walks its block headers. */
export function readFrameInfo(data: Uint8Array, start: number): FrameInfo {
  need(data, start + 4, "frame magic number");
  const magic = u32le(data, start);
  if (magic !== ZSTD_MAGIC) {
    throw new ZstdError(
      "corrupt-zstd",
      `not a zstd frame at offset ${start} (magic 0x${magic.toString(16).padStart(8, "0")})`,
    );
  }
  let i = start + 4;
  need(data, i + 1, "frame header");
  const descriptor = data[i++];
  const fcsFlag = descriptor >>> 6;
  const singleSegment = (descriptor & 0x20) !== 0;
  if (descriptor & 0x08) throw new ZstdError("corrupt-zstd", "zstd frame header has the reserved bit set");
  const hasChecksum = (descriptor & 0x04) !== 0;
  const dictFlag = descriptor & 0x03;
  let windowSize = 0;
  if (!singleSegment) {
    need(data, i + 1, "frame header");
    const wd = data[i++];
    const windowLog = 10 + (wd >>> 3);
    const base = 2 ** windowLog;
    windowSize = base + (base / 8) * (wd & 7);
  }
  const dictBytes = [0, 1, 2, 4][dictFlag];
  need(data, i + dictBytes, "frame header");
  let dictionaryId = 0;
  for (let k = 0; k < dictBytes; k++) dictionaryId += data[i + k] * 2 ** (8 * k);
  i += dictBytes;
  const fcsBytes = fcsFlag === 0 ? (singleSegment ? 1 : 0) : [0, 2, 4, 8][fcsFlag];
  need(data, i + fcsBytes, "frame header");
  let contentSize: number | undefined;
  if (fcsBytes > 0) {
    contentSize = 0;
    for (let k = 0; k < fcsBytes; k++) contentSize += data[i + k] * 2 ** (8 * k);
    if (fcsBytes === 2) contentSize += 256;
  }
  i += fcsBytes;
  if (singleSegment) windowSize = contentSize ?? 0;
  if (dictionaryId !== 0) {
    throw new ZstdError("corrupt-zstd", `zstd frame needs dictionary ${dictionaryId}; c1z frames use none`);
  }
  const blocksStart = i;
  const blockMax = Math.min(windowSize, MAX_BLOCK_SIZE);
  let minContentSize = 0;
  let maxContentSize = 0;
  let blockCount = 0;
  for (;;) {
    need(data, i + 3, "block header");
    const header = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16);
    i += 3;
    const last = header & 1;
    const type = (header >>> 1) & 3;
    const size = header >>> 3;
    blockCount++;
    if (type === 3) throw new ZstdError("corrupt-zstd", `zstd block ${blockCount} has the reserved block type`);
    if (size > blockMax && !(type === 0 && size === 0)) {
      throw new ZstdError(
        "corrupt-zstd",
        `zstd block ${blockCount} is larger (${size}) than the block maximum ${blockMax}`,
      );
    }
    const stored = type === 1 ? 1 : size;
    need(data, i + stored, `block ${blockCount}`);
    i += stored;
    if (type === 2) maxContentSize += blockMax;
    else {
      minContentSize += size;
      maxContentSize += size;
    }
    if (last) break;
  }
  if (hasChecksum) {
    need(data, i + 4, "content checksum");
    i += 4;
  }
  return {
    start,
    end: i,
    blocksStart,
    singleSegment,
    windowSize,
    contentSize,
    hasChecksum,
    dictionaryId,
    blockCount,
    minContentSize,
    maxContentSize,
  };
}

/**
 * Finds the one zstd frame in `data`. Skippable frames may come before or after it;
 * a second zstd frame or anything else after it is an error.
 */
export function locateSingleFrame(data: Uint8Array): FrameInfo {
  let i = 0;
  let frame: FrameInfo | undefined;
  while (i < data.length) {
    if (data.length - i < 4) {
      if (!frame)
        throw new ZstdError("truncated", `zstd data ends after ${data.length} byte(s), inside the frame magic`);
      throw new ZstdError("trailing-bytes", `${data.length - i} trailing byte(s) after the zstd frame at offset ${i}`);
    }
    const magic = u32le(data, i);
    if (isSkippableMagic(magic)) {
      need(data, i + 8, "skippable frame header");
      const size = u32le(data, i + 4);
      need(data, i + 8 + size, "skippable frame");
      i += 8 + size;
      continue;
    }
    if (frame) {
      if (magic === ZSTD_MAGIC) {
        throw new ZstdError("trailing-bytes", `a second zstd frame starts at offset ${i}; a c1z holds exactly one`);
      }
      throw new ZstdError("trailing-bytes", `${data.length - i} trailing byte(s) after the zstd frame at offset ${i}`);
    }
    frame = readFrameInfo(data, i);
    i = frame.end;
  }
  if (!frame) throw new ZstdError("truncated", "no zstd frame found (the compressed data is empty)");
  return frame;
}
