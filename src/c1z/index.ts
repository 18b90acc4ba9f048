export {
  C1Z_V1_HEADER,
  C1Z_V3_HEADER,
  type C1zFormat,
  c1zFormat,
  decodeC1z,
  type EncodedC1z,
  encodeC1z,
} from "./envelope.ts";
export { C1zError, type C1zErrorCode } from "./errors.ts";
export {
  encodeSqliteFile,
  fileChunks,
  readC1zFile,
  writeC1zFile,
  writeC1zFileFromSqlite,
  writeFileAtomic,
} from "./file.ts";
export { isKsuid, ksuidTimestamp, newKsuid } from "./ksuid.ts";
export { type C1zOptions, createC1z, openC1z, openSqlite } from "./open.ts";
export { V1_DDL, V1_TABLES } from "./schema.ts";
export { SqliteC1zStore, type StoreOptions, statsJson } from "./sqlite-store.ts";
export type * from "./store.ts";
export { type C1zStreamResult, type ChunkSink, chunksOf, encodeC1zStream } from "./stream.ts";
export { goLocalTime } from "./time.ts";
export { openC1zWorkFile, removeC1zWorkFile } from "./work-file.ts";
