import { describe, expect, it } from "vitest";
import { hasTool, pseudoRandom, run } from "../../test/support/compress-tools.ts";
import { XXH64_ENGINES, Xxh64, xxh64, xxh64Hex, zstdContentChecksum } from "./xxh64.ts";

const text = (s: string) => new TextEncoder().encode(s);

describe("xxh64", () => {
  it("matches the published XXH64 test values", () => {
    // Reference values from the xxHash project and the python-xxhash documentation.
    expect(xxh64Hex(text(""))).toBe("ef46db3751d8e999");
    expect(xxh64Hex(text("a"))).toBe("d24ec4f1a98c6e5b");
    expect(xxh64Hex(text("abc"))).toBe("44bc2cf5ad770999");
    expect(xxh64Hex(text("Nobody inspects the spammish repetition"))).toBe("fbcea83c8a378bf1");
  });

  it.skipIf(!hasTool("zstd"))("equals the content checksum the zstd CLI writes, for every tail length", () => {
    for (const length of [0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 31, 32, 33, 63, 64, 65, 100, 1000, 65_537, 300_001]) {
      const data = pseudoRandom(length, length + 7);
      const frame = run("zstd", ["-q", "--check", "-c"], data);
      const stored = new DataView(frame.buffer, frame.byteOffset + frame.length - 4, 4).getUint32(0, true);
      expect(zstdContentChecksum(data), `length ${length}`).toBe(stored);
    }
  });

  it("has the wasm stripe loop on Node, so the fast path is the one tested by default", () => {
    expect(XXH64_ENGINES).toEqual(["wasm", "js"]);
  });

  it.each(XXH64_ENGINES)(
    "%s: gives the published values and the one-shot hash when fed in pieces of any size",
    (engine) => {
      const hex = ([h, l]: [number, number]) => h.toString(16).padStart(8, "0") + l.toString(16).padStart(8, "0");
      const sentence = text("Nobody inspects the spammish repetition");
      const byteByByte = new Xxh64(0, engine);
      for (const byte of sentence) byteByByte.update(Uint8Array.of(byte));
      expect(hex(byteByByte.digest())).toBe("fbcea83c8a378bf1");
      const data = pseudoRandom(200_003, 11);
      const whole = xxh64(data);
      for (const piece of [1, 7, 31, 32, 33, 64, 4095, 65_536]) {
        const hash = new Xxh64(0, engine);
        for (let o = 0; o < data.length; o += piece) hash.update(data.subarray(o, o + piece));
        expect(hash.digest(), `pieces of ${piece}`).toEqual(whole);
      }
    },
  );

  it.skipIf(!hasTool("zstd")).each(XXH64_ENGINES)(
    "%s: equals zstd's checksum across the wasm loop's 1 MiB input window",
    (engine) => {
      // Lengths around the window, fed whole and in pieces that straddle it.
      for (const length of [1024 * 1024 - 1, 1024 * 1024, 1024 * 1024 + 33, 3 * 1024 * 1024 + 5]) {
        const data = pseudoRandom(length, length);
        const frame = run("zstd", ["-q", "--check", "-c"], data);
        const stored = new DataView(frame.buffer, frame.byteOffset + frame.length - 4, 4).getUint32(0, true);
        expect(new Xxh64(0, engine).update(data).digest()[1], `length ${length}`).toBe(stored);
        const pieces = new Xxh64(0, engine);
        for (let o = 0; o < length; o += 700_001) pieces.update(data.subarray(o, o + 700_001));
        expect(pieces.digest()[1], `length ${length} in pieces`).toBe(stored);
      }
    },
  );
});
