export { ZstdError, type ZstdErrorCode } from "./errors.ts";
export { type FrameInfo, locateSingleFrame, readFrameInfo } from "./frame.ts";
export { rawZstdFrame } from "./raw-frame.ts";
export {
  type ChunkSink,
  compressStream,
  createZstdEncoder,
  streamingZstd,
  type ZstdStreamEncoder,
  type ZstdStreamOptions,
  type ZstdStreamResult,
} from "./stream.ts";
export { Xxh64, xxh64, xxh64Hex, zstdContentChecksum } from "./xxh64.ts";
export {
  type Compressed,
  type CompressOptions,
  compressZstd,
  DEFAULT_MAX_DECODED_SIZE,
  DEFAULT_MAX_WINDOW_SIZE,
  decompressZstd,
  decompressZstdTo,
  type ZstdLimits,
} from "./zstd.ts";
