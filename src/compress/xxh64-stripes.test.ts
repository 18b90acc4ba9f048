import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script, no types.
import { assembleStripes } from "../../scripts/xxh64-wasm.mjs";
import { XXH64_STRIPES_WASM } from "./xxh64-stripes.gen.ts";

describe("xxh64-stripes.gen.ts", () => {
  it("holds the bytes wabt assembles from xxh64-stripes.wat (run scripts/gen-xxh64-wasm.mjs after editing it)", async () => {
    const assembled: Uint8Array = await assembleStripes();
    expect(Array.from(XXH64_STRIPES_WASM)).toEqual(Array.from(assembled));
  });
});
