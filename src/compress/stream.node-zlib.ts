import * as zlib from "node:zlib";
import type { StreamingZstd, ZstdFrameStream } from "./native-types.ts";

// Node 22.15+, Deno 2.6.9+, Bun and workerd (nodejs_compat) stream zstd through node:zlib.
interface ZstdTransform {
  write(chunk: Uint8Array, callback: (error?: Error | null) => void): boolean;
  flush(kind: number, callback: () => void): void;
  destroy(error?: Error): void;
  readonly readableLength: number;
  on(event: "data", listener: (chunk: Uint8Array) => void): void;
  on(event: "error", listener: (error: Error) => void): void;
  pause(): void;
  resume(): void;
}

interface ZstdStreamZlib {
  createZstdCompress(options: { params: Record<number, number>; chunkSize?: number }): ZstdTransform;
  constants: Record<string, number>;
}

const z = zlib as unknown as Partial<ZstdStreamZlib>;

/** A Block_Header (RFC 8878 §3.1.1.2): Last_Block set, Raw_Block, Block_Size 0. */
const EMPTY_LAST_BLOCK = Uint8Array.of(0x01, 0x00, 0x00);

/**
 * libzstd inside the runtime, as a Transform stream: output flows to `emit` with backpressure.
 *
 * The frame is never ended with `ZSTD_e_end`: workerd's node:zlib (1.20260426) reports an
 * `e_end` call whose output does not fit the rest of its output chunk as "Unexpected end of
 * file" (Z_BUF_ERROR, cloudflare/workerd#6769): an upload of a 400k-grant sync failed at its
 * last step every time. And where the end fills the chunk exactly, Node's and workerd's loops
 * call once more and start a second, empty frame, while a c1z is exactly one frame. So the
 * stream is flushed (`ZSTD_e_flush`: every byte in complete blocks, the frame still open) and
 * closed here with an empty last block; the content checksum comes from the caller
 * (`writesChecksum: false`), as for bindings that cannot write one.
 */
export function nodeZlibStreamingZstd(): StreamingZstd | undefined {
  if (typeof z.createZstdCompress !== "function" || !z.constants) return undefined;
  const c = z.constants;
  if (c.ZSTD_c_compressionLevel === undefined || c.ZSTD_e_flush === undefined) return undefined;
  const flushKind = c.ZSTD_e_flush;
  return {
    name: "node:zlib",
    writesChecksum: false,
    open(emit, { level, windowLog }): ZstdFrameStream {
      const params: Record<number, number> = { [c.ZSTD_c_compressionLevel]: level };
      if (windowLog !== undefined && c.ZSTD_c_windowLog !== undefined) params[c.ZSTD_c_windowLog] = windowLog;
      const transform = z.createZstdCompress!({ params, chunkSize: 256 * 1024 });
      let failure: Error | undefined;
      let emitting: Promise<void> = Promise.resolve();
      let failed: (error: Error) => void = () => {};
      // Rejects on the first failure, so a flush whose callback never comes cannot hang `end`.
      const failedEarly = new Promise<never>((_, reject) => {
        failed = reject;
      });
      failedEarly.catch(() => {});
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
      transform.on("error", (error) => {
        failure ??= error;
        failed(error);
      });
      /** Until every chunk the compressor produced went to `emit` (some may wait in the paused stream). */
      const drained = async () => {
        for (;;) {
          const last = emitting;
          await last;
          if (failure) throw failure;
          if (last === emitting && transform.readableLength === 0) return;
          // A resumed stream delivers what it holds on a later turn.
          await new Promise((resolve) => setTimeout(resolve, 0));
        }
      };
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
          await Promise.race([new Promise<void>((resolve) => transform.flush(flushKind, resolve)), failedEarly]);
          await drained();
          await emit(EMPTY_LAST_BLOCK);
          // The frame is complete; the compressor's context is freed without ending it.
          transform.destroy();
        },
        abort() {
          failure ??= new Error("zstd stream aborted");
          transform.destroy();
        },
      };
    },
  };
}
