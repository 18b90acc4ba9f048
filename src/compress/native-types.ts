export interface NativeZstd {
  readonly name: string;
  /** One frame; `checksum` asks for the XXH64 content checksum where the binding can. */
  compress(data: Uint8Array, options: { level: number; checksum: boolean }): Uint8Array;
  /** Throws if the output would pass `maxOutputLength`. Absent for compress-only bindings (fzstd decodes then). */
  decompress?(frame: Uint8Array, maxOutputLength: number): Uint8Array;
}
