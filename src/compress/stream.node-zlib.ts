import * as zlib from "node:zlib";
import type { StreamingZstd, ZstdFrameStream } from "./native-types.ts";

// Node 22.15+, Deno 2.6.9+, Bun and workerd (nodejs_compat) stream zstd through node:zlib.
interface ZstdTransform {
  write(chunk: Uint8Array, callback: (error?: Error | null) => void): boolean;
  end(): void;
  destroy(error?: Error): void;
  on(event: "data", listener: (chunk: Uint8Array) => void): void;
  on(event: "end", listener: () => void): void;
  on(event: "error", listener: (error: Error) => void): void;
  pause(): void;
  resume(): void;
}

interface ZstdStreamZlib {
  createZstdCompress(options: { params: Record<number, number>; chunkSize?: number }): ZstdTransform;
  constants: Record<string, number>;
}

const z = zlib as unknown as Partial<ZstdStreamZlib>;

/** libzstd inside the runtime, as a Transform stream: output flows to `emit` with backpressure. */
export function nodeZlibStreamingZstd(): StreamingZstd | undefined {
  if (typeof z.createZstdCompress !== "function" || !z.constants) return undefined;
  const c = z.constants;
  if (c.ZSTD_c_compressionLevel === undefined) return undefined;
  return {
    name: "node:zlib",
    writesChecksum: c.ZSTD_c_checksumFlag !== undefined,
    open(emit, { level, checksum, windowLog }): ZstdFrameStream {
      const params: Record<number, number> = { [c.ZSTD_c_compressionLevel]: level };
      if (checksum && c.ZSTD_c_checksumFlag !== undefined) params[c.ZSTD_c_checksumFlag] = 1;
      if (windowLog !== undefined && c.ZSTD_c_windowLog !== undefined) params[c.ZSTD_c_windowLog] = windowLog;
      const transform = z.createZstdCompress!({ params, chunkSize: 256 * 1024 });
      let failure: Error | undefined;
      let emitting: Promise<void> = Promise.resolve();
      let ended: () => void = () => {};
      let failed: (error: Error) => void = () => {};
      const finished = new Promise<void>((resolve, reject) => {
        ended = resolve;
        failed = reject;
      });
      finished.catch(() => {});
      transform.on("data", (chunk) => {
        // The sink may be slow (an upload): hold the compressor until it took the chunk.
        transform.pause();
        emitting = emitting
          .then(() => emit(chunk))
          .then(
            () => transform.resume(),
            (error: Error) => {
              failure ??= error;
              transform.destroy(error);
              failed(error);
            },
          );
      });
      transform.on("end", () => {
        emitting.then(ended, failed);
      });
      transform.on("error", (error) => {
        failure ??= error;
        failed(error);
      });
      return {
        write(chunk) {
          if (failure) return Promise.reject(failure);
          return new Promise<void>((resolve, reject) => {
            transform.write(chunk, (error) => (error ? reject(error) : resolve()));
          }).then(() => {
            if (failure) throw failure;
          });
        },
        async end() {
          if (failure) throw failure;
          transform.end();
          await finished;
        },
        abort() {
          failure ??= new Error("zstd stream aborted");
          transform.destroy();
        },
      };
    },
  };
}
