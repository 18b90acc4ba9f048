import { type CompressOptions, compressZstd, decompressZstd, ZstdError, type ZstdLimits } from "../compress/index.ts";
import { C1zError, V3_PEBBLE_MESSAGE } from "./errors.ts";

/** `C1ZF\0`: c1z v1, one zstd frame of a SQLite database file follows. */
export const C1Z_V1_HEADER = Uint8Array.of(0x43, 0x31, 0x5a, 0x46, 0x00);
/** `C1Z3\0`: c1z v3 (Pebble), which baton-sdk >= 0.25 writes by default. */
export const C1Z_V3_HEADER = Uint8Array.of(0x43, 0x31, 0x5a, 0x33, 0x00);
const SQLITE_HEADER = new TextEncoder().encode("SQLite format 3\0");

export type C1zFormat = "v1" | "v3" | "unknown";

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

export function c1zFormat(bytes: Uint8Array): C1zFormat {
  if (startsWith(bytes, C1Z_V1_HEADER)) return "v1";
  if (startsWith(bytes, C1Z_V3_HEADER)) return "v3";
  return "unknown";
}

export interface EncodedC1z {
  bytes: Uint8Array;
  /** `native` zstd or the raw-block fallback. */
  compression: "native" | "raw";
  /** Why native zstd was not used although present. */
  fallbackReason?: string;
}

/** `C1ZF\0` + one zstd frame of the SQLite file. */
export function encodeC1z(sqlite: Uint8Array, options: CompressOptions = {}): Uint8Array {
  return encodeC1zWithInfo(sqlite, options).bytes;
}

export function encodeC1zWithInfo(sqlite: Uint8Array, options: CompressOptions = {}): EncodedC1z {
  const { frame, method, fallbackReason } = compressZstd(sqlite, { ...options, prefix: C1Z_V1_HEADER });
  return fallbackReason ? { bytes: frame, compression: method, fallbackReason } : { bytes: frame, compression: method };
}

function hexPrefix(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 5), (b) => b.toString(16).padStart(2, "0")).join(" ");
}

/** Checks the header and decodes the one zstd frame: returns the SQLite database file. */
export function decodeC1z(bytes: Uint8Array, limits: ZstdLimits = {}): Uint8Array {
  checkEnvelope(bytes);
  let sqlite: Uint8Array;
  try {
    sqlite = decompressZstd(bytes.subarray(C1Z_V1_HEADER.length), limits);
  } catch (error) {
    if (error instanceof ZstdError) throw new C1zError(error.code, `c1z: ${error.message}`, { cause: error });
    throw error;
  }
  checkSqliteFile(sqlite);
  return sqlite;
}

/** The `C1ZF\0` header and something after it, or the error that says what the bytes are instead. */
export function checkEnvelope(bytes: Uint8Array): void {
  if (bytes.length === 0) throw new C1zError("not-c1z", "not a c1z: the file is empty (0 bytes)");
  if (bytes.length < C1Z_V1_HEADER.length && startsWith(C1Z_V1_HEADER, bytes)) {
    throw new C1zError("truncated", `c1z truncated: only ${bytes.length} byte(s) of the 5-byte C1ZF header`);
  }
  if (startsWith(bytes, C1Z_V3_HEADER)) throw new C1zError("v3-pebble", V3_PEBBLE_MESSAGE);
  if (startsWith(bytes, SQLITE_HEADER)) {
    throw new C1zError(
      "not-c1z",
      "not a c1z: this is a plain SQLite database; a c1z v1 is the header C1ZF\\0 followed by the zstd-compressed database",
    );
  }
  if (!startsWith(bytes, C1Z_V1_HEADER)) {
    throw new C1zError(
      "not-c1z",
      `not a c1z: the file starts with ${hexPrefix(bytes)}, expected 43 31 5a 46 00 ("C1ZF\\0")`,
    );
  }
  if (bytes.length === C1Z_V1_HEADER.length) {
    throw new C1zError("truncated", "c1z truncated: the C1ZF header is not followed by a zstd frame");
  }
}

/** The decoded payload must be a whole SQLite database file (header, page size, page count). */
export function checkSqliteFile(sqlite: Uint8Array): void {
  checkSqliteHeader(sqlite.subarray(0, 100), sqlite.length);
}

/** `checkSqliteFile` from the first 100 bytes and the file's length (a file decoded as a stream). */
export function checkSqliteHeader(header: Uint8Array, length: number): void {
  if (!startsWith(header, SQLITE_HEADER) || header.length < 100 || length < 100) {
    throw new C1zError(
      "not-sqlite",
      `c1z payload is not a SQLite database (${length} bytes, no "SQLite format 3" header)`,
    );
  }
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const rawPageSize = view.getUint16(16, false);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) {
    throw new C1zError("not-sqlite", `c1z payload has an invalid SQLite page size ${rawPageSize}`);
  }
  if (length % pageSize !== 0) {
    throw new C1zError(
      "not-sqlite",
      `c1z payload is not a whole SQLite file: ${length} bytes is not a multiple of the page size ${pageSize}`,
    );
  }
  // The in-header page count is valid when the change counter equals version-valid-for.
  const pageCount = view.getUint32(28, false);
  if (pageCount > 0 && view.getUint32(24, false) === view.getUint32(92, false)) {
    if (length < pageCount * pageSize) {
      throw new C1zError(
        "not-sqlite",
        `c1z payload is a cut-off SQLite file: its header says ${pageCount} pages of ${pageSize} bytes, it has ${length / pageSize}`,
      );
    }
  }
}
