export type C1zErrorCode =
  | "not-c1z"
  | "v3-pebble"
  | "truncated"
  | "corrupt-zstd"
  | "checksum"
  | "too-large"
  | "trailing-bytes"
  | "not-sqlite"
  | "missing-tables";

/** A c1z that cannot be read; `code` says which problem, the message names it for people. */
export class C1zError extends Error {
  override readonly name = "C1zError";
  constructor(
    readonly code: C1zErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const V3_PEBBLE_MESSAGE =
  "this is a c1z v3 file (header C1Z3, a Pebble store); baton-edge reads and writes only c1z v1 (SQLite). " +
  "baton-sdk >= 0.25 writes v3/Pebble by default: run the connector with `--storage-engine sqlite` " +
  "(or BATON_STORAGE_ENGINE=sqlite) to get a v1 file";
