import { nodeZlibZstd } from "./native.node-zlib.ts";
import type { NativeZstd } from "./native-types.ts";

export const nativeZstd: NativeZstd | undefined = nodeZlibZstd({ wholeOutputChunk: true });
