/**
 * A file's bytes in memory as fixed 1 MiB chunks: the page store under sql.js when the
 * database lives only as long as the process (Node, Bun, Deno), in place of sql.js's MEMFS.
 *
 * Why not MEMFS: it keeps a file in one ArrayBuffer that grows by copying (×1.125 at a time,
 * the old buffer garbage until V8 collects it) and is copied whole once more by `export()`.
 * Chunks are allocated once, never copied to grow, and dropped when the file shrinks, so the
 * rollback journal and VACUUM's temporary copy (scratch stores of their own) give their memory
 * back when SQLite truncates or closes them. Why not a Map of 4 KiB pages: one small
 * ArrayBuffer per page costs more than the page itself (bench/sync.ts 100k, peak RSS:
 * 927 MB over a Map, 528 MB over chunks).
 *
 * Nothing here outlives the process, so writes go straight in: `sync()` and `rollback()` do
 * nothing. A failed transaction is rolled back by SQLite from its journal (a scratch store).
 */
import { DEFAULT_PAGE_SIZE, type ScratchPageStore } from "./paged-store.ts";

export const CHUNK_BYTES = 1024 * 1024;

export class ChunkedPageStore implements ScratchPageStore {
  /** Pages are copied into the chunks: the paged FS may hand in one reused array. */
  readonly copiesPages = true;
  private chunks: (Uint8Array | undefined)[] = [];
  private bytes = 0;
  private zeros: Uint8Array | undefined;

  constructor(
    readonly pageSize = DEFAULT_PAGE_SIZE,
    readonly chunkBytes = CHUNK_BYTES,
  ) {
    if (!Number.isInteger(pageSize) || pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) {
      throw new RangeError(`page size ${pageSize} is not a power of two ≥ 512`);
    }
    if (!Number.isInteger(chunkBytes) || chunkBytes < pageSize || chunkBytes % pageSize !== 0) {
      throw new RangeError(`chunk size ${chunkBytes} is not a whole number of ${pageSize}-byte pages`);
    }
  }

  /** A store holding a copy of `bytes` (a database file), in chunks. */
  static from(bytes: Uint8Array, pageSize = DEFAULT_PAGE_SIZE, chunkBytes = CHUNK_BYTES): ChunkedPageStore {
    const store = new ChunkedPageStore(pageSize, chunkBytes);
    store.writeAt(bytes, 0);
    return store;
  }

  size(): number {
    return this.bytes;
  }

  /** Bytes of the chunks held now (what the file costs in memory). */
  heldBytes(): number {
    let n = 0;
    for (const chunk of this.chunks) if (chunk) n += chunk.length;
    return n;
  }

  /** A view into the chunk (no copy): it shows later writes, and is not to be written to. */
  readPage(index: number): Uint8Array | undefined {
    const at = index * this.pageSize;
    if (at >= this.bytes) return undefined;
    const chunk = this.chunks[Math.floor(at / this.chunkBytes)];
    if (!chunk) return undefined;
    const offset = at % this.chunkBytes;
    return chunk.subarray(offset, offset + this.pageSize);
  }

  writePage(index: number, page: Uint8Array): void {
    if (!Number.isInteger(index) || index < 0) throw new RangeError(`page index ${index} is not a whole number ≥ 0`);
    if (page.byteLength !== this.pageSize) {
      throw new RangeError(`page ${index} has ${page.byteLength} bytes, the store's page size is ${this.pageSize}`);
    }
    const at = index * this.pageSize;
    this.chunk(Math.floor(at / this.chunkBytes)).set(page, at % this.chunkBytes);
  }

  /** Copies `length` bytes from `position` into `target` (zeros past the end); returns what was in the file. */
  readAt(target: Uint8Array, position: number): number {
    const length = Math.max(0, Math.min(target.length, this.bytes - position));
    let done = 0;
    while (done < length) {
      const at = position + done;
      const offset = at % this.chunkBytes;
      const n = Math.min(this.chunkBytes - offset, length - done);
      const chunk = this.chunks[Math.floor(at / this.chunkBytes)];
      if (chunk) target.set(chunk.subarray(offset, offset + n), done);
      else target.fill(0, done, done + n);
      done += n;
    }
    return length;
  }

  /** Writes `source` at `position`, growing the file if it ends past it. */
  writeAt(source: Uint8Array, position: number): void {
    let done = 0;
    while (done < source.length) {
      const at = position + done;
      const offset = at % this.chunkBytes;
      const n = Math.min(this.chunkBytes - offset, source.length - done);
      this.chunk(Math.floor(at / this.chunkBytes)).set(source.subarray(done, done + n), offset);
      done += n;
    }
    if (position + source.length > this.bytes) this.bytes = position + source.length;
  }

  private chunk(index: number): Uint8Array {
    let chunk = this.chunks[index];
    if (!chunk) {
      chunk = new Uint8Array(this.chunkBytes);
      this.chunks[index] = chunk;
    }
    return chunk;
  }

  /**
   * A shorter file drops the chunks past its end at once, and zeros the rest of the last one,
   * so that growing the file again reads zeros there, as a file system gives.
   */
  setSize(bytes: number): void {
    if (!Number.isInteger(bytes) || bytes < 0) throw new RangeError(`file size ${bytes} is not a whole number ≥ 0`);
    if (bytes < this.bytes) {
      const keep = Math.ceil(bytes / this.chunkBytes);
      this.chunks.length = Math.min(this.chunks.length, keep);
      const tail = bytes % this.chunkBytes;
      const last = tail === 0 ? undefined : this.chunks[keep - 1];
      last?.fill(0, tail);
    }
    this.bytes = bytes;
  }

  sync(): void {}

  rollback(): void {}

  release(): void {
    this.setSize(0);
  }

  scratch(): ScratchPageStore {
    return new ChunkedPageStore(this.pageSize, this.chunkBytes);
  }

  /**
   * The file in order as views of the chunks (no copy; a never-written chunk reads as zeros),
   * each valid until the file is next written.
   */
  *chunkViews(): Generator<Uint8Array> {
    for (let at = 0; at < this.bytes; at += this.chunkBytes) {
      const n = Math.min(this.chunkBytes, this.bytes - at);
      const chunk = this.chunks[at / this.chunkBytes];
      if (chunk) yield chunk.subarray(0, n);
      else {
        this.zeros ??= new Uint8Array(this.chunkBytes);
        yield this.zeros.subarray(0, n);
      }
    }
  }
}
