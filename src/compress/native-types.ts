export interface NativeZstd {
  readonly name: string;
  /** One frame; `checksum` asks for the XXH64 content checksum where the binding can. */
  compress(data: Uint8Array, options: { level: number; checksum: boolean }): Uint8Array;
  /** Throws if the output would pass `maxOutputLength`. Absent for compress-only bindings (fzstd decodes then). */
  decompress?(frame: Uint8Array, maxOutputLength: number): Uint8Array;
}

/**
 * One zstd frame written piece by piece (libzstd's `ZSTD_compressStream2`). Output goes to
 * `emit` as it is produced; `write` resolves when its input may be reused.
 */
export interface ZstdFrameStream {
  write(chunk: Uint8Array): Promise<void>;
  end(): Promise<void>;
  /** Frees the compressor after a failure; nothing more is emitted. */
  abort(): void;
}

export interface StreamingZstd {
  readonly name: string;
  /** Whether the frames it writes carry the XXH64 content checksum itself when asked. */
  readonly writesChecksum: boolean;
  open(
    emit: (chunk: Uint8Array) => Promise<void>,
    options: { level: number; checksum: boolean; windowLog?: number },
  ): ZstdFrameStream;
}
