import type { NativeZstd } from "./native-types.ts";

/** No native zstd on this runtime. */
export const nativeZstd: NativeZstd | undefined = undefined;
