import { describe, expect, it } from "vitest";
import { concatBytes } from "../../test/support/compress-tools.ts";
import { ChunkedPageStore } from "./chunk-store.ts";
import { PagedFile } from "./paged-fs.ts";

/** Bytes whose value depends on their position, so a misplaced copy shows. */
function pattern(length: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed * 7) & 0xff;
  return bytes;
}

const concat = concatBytes;

describe("ChunkedPageStore", () => {
  // Small chunks (4 pages of 512 bytes) so every test crosses chunk boundaries.
  const store = () => new ChunkedPageStore(512, 2048);

  it("writes and reads bytes across chunk boundaries, as one flat file", () => {
    const s = store();
    const data = pattern(5000);
    s.writeAt(data, 1000); // 1000..6000: spans chunks 0, 1 and 2
    expect(s.size()).toBe(6000);
    const back = new Uint8Array(5000);
    expect(s.readAt(back, 1000)).toBe(5000);
    expect(back).toEqual(data);
    // Before the write: zeros; past the end: nothing read, zeros in the target.
    const head = new Uint8Array(1000).fill(9);
    s.readAt(head, 0);
    expect(head).toEqual(new Uint8Array(1000));
    const tail = new Uint8Array(100).fill(9);
    expect(s.readAt(tail, 5950)).toBe(50);
    expect(tail.subarray(0, 50)).toEqual(data.subarray(4950));
  });

  it("serves pages out of the chunks, and copies what it is given", () => {
    const s = store();
    const page = pattern(512, 3);
    s.writePage(5, page); // chunk 1, second page
    page.fill(0); // the paged FS reuses one array: the store must have copied it
    expect(s.size()).toBe(0); // writePage does not grow the file: the FS sets its size
    expect(s.readPage(5)).toBeUndefined();
    s.setSize(6 * 512);
    expect(s.readPage(5)).toEqual(pattern(512, 3));
    expect(s.readPage(4)).toEqual(new Uint8Array(512)); // in an allocated chunk, never written
    expect(s.readPage(0)).toBeUndefined(); // chunk 0 never allocated
    expect(s.readPage(6)).toBeUndefined(); // past the end
    expect(() => s.writePage(0, new Uint8Array(100))).toThrow(/page size/);
  });

  it("frees the chunks past a truncation and reads zeros where the file grows again", () => {
    const s = store();
    s.writeAt(pattern(10_000), 0); // 5 chunks
    expect(s.heldBytes()).toBe(5 * 2048);
    s.setSize(3000); // inside chunk 1
    expect(s.heldBytes()).toBe(2 * 2048);
    s.setSize(7000);
    const back = new Uint8Array(7000);
    s.readAt(back, 0);
    expect(back.subarray(0, 3000)).toEqual(pattern(10_000).subarray(0, 3000));
    expect(back.subarray(3000)).toEqual(new Uint8Array(4000));
    s.release();
    expect(s.size()).toBe(0);
    expect(s.heldBytes()).toBe(0);
  });

  it("round-trips a file through from() and chunkViews(), never-written chunks as zeros", () => {
    const bytes = pattern(9000, 5);
    const s = ChunkedPageStore.from(bytes, 512, 2048);
    expect(s.size()).toBe(9000);
    const views = [...s.chunkViews()];
    expect(views.map((v) => v.length)).toEqual([2048, 2048, 2048, 2048, 808]);
    expect(concat(views)).toEqual(bytes);
    // A hole: grow past the end without writing the chunks between.
    const holed = new ChunkedPageStore(512, 2048);
    holed.writeAt(pattern(100), 3 * 2048);
    expect(holed.heldBytes()).toBe(2048);
    const flat = concat(holed.chunkViews());
    expect(flat.length).toBe(3 * 2048 + 100);
    expect(flat.subarray(0, 3 * 2048)).toEqual(new Uint8Array(3 * 2048));
    expect(flat.subarray(3 * 2048)).toEqual(pattern(100));
  });

  it("holds what the paged FS writes at odd offsets and sizes", () => {
    const s = store();
    const file = new PagedFile(s, 4);
    const expected = new Uint8Array(7777);
    for (const [at, length] of [
      [0, 700],
      [2000, 3000],
      [511, 2],
      [6000, 1777],
    ] as const) {
      const data = pattern(length, at);
      file.write(data, at);
      expected.set(data, at);
    }
    expect(s.size()).toBe(7777);
    expect(concat(s.chunkViews())).toEqual(expected);
    const back = new Uint8Array(7777);
    expect(file.read(back, 0)).toBe(7777);
    expect(back).toEqual(expected);
  });

  it("refuses page and chunk sizes that do not fit", () => {
    expect(() => new ChunkedPageStore(1000)).toThrow(/power of two/);
    expect(() => new ChunkedPageStore(4096, 5000)).toThrow(/whole number/);
  });
});
