/**
 * Writes src/compress/xxh64-stripes.gen.ts: the bytes of src/compress/xxh64-stripes.wat,
 * assembled by wabt (a dev dependency). The bytes are committed, so nothing is assembled at
 * install or at run time; src/compress/xxh64-stripes.test.ts checks they match the source.
 * Run: node scripts/gen-xxh64-wasm.mjs
 */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { assembleStripes, renderStripesModule } from "./xxh64-wasm.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
writeFileSync(join(root, "src/compress/xxh64-stripes.gen.ts"), renderStripesModule(await assembleStripes()));
