/**
 * Writes the interop sample to a file with this runtime's defaults (native engine and
 * native zstd where present): `bun test/interop/write-sample.ts out.c1z`.
 * Prints the engine and the compression used, as JSON.
 */
import { writeFileAtomic } from "../../src/c1z/file.ts";
import { writeSample } from "./sample.ts";

const out = process.argv[2];
if (!out) throw new Error("usage: write-sample.ts <out.c1z>");
const store = await writeSample();
const encoded = store.encode();
store.close();
await writeFileAtomic(out, encoded.bytes);
console.log(JSON.stringify({ engine: store.engine, compression: encoded.compression }));
