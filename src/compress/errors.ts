export type ZstdErrorCode = "truncated" | "corrupt-zstd" | "checksum" | "too-large" | "trailing-bytes";

export class ZstdError extends Error {
  override readonly name = "ZstdError";
  constructor(
    readonly code: ZstdErrorCode,
    message: string,
  ) {
    super(message);
  }
}
