/**
 * Run by runtime.test.ts under Bun and Deno (and Node): which engines the conditional
 * imports pick, and a c1z round trip through them. Prints one JSON line.
 */
import { nativeZstd } from "#zstd-native";
import { createC1z, openC1z } from "../../src/c1z/open.ts";
import { decompressZstd } from "../../src/compress/zstd.ts";
import { user } from "../../src/model/builders.ts";
import { nativeEngine, sqlJsEngine } from "../../src/storage/index.ts";

const vectorPath = process.argv[2] ?? "";
const outPath = process.argv[3] ?? "";
const { readFile, writeFile } = await import("node:fs/promises");

const native = await nativeEngine();
const result: Record<string, unknown> = {
  nativeSqlite: native?.name ?? null,
  sqljs: (await sqlJsEngine()).name,
  nativeZstd: nativeZstd?.name ?? null,
};

for (const engine of ["sqljs", "native"] as const) {
  if (engine === "native" && !native) continue;
  const vector = await openC1z(new Uint8Array(await readFile(vectorPath)), { engine });
  result[`${engine}Resources`] = vector.listResources().items.length;
  vector.close();
  const store = await createC1z({ engine });
  store.startSync("full");
  store.putResources([user({ id: "u1", displayName: "One" }), user({ id: "u2", displayName: "Two" })]);
  store.endSync();
  const encoded = store.encode();
  const reopened = await openC1z(encoded.bytes, { engine });
  result[`${engine}Roundtrip`] = reopened.listResources().items.map((r) => r.displayName);
  result[`${engine}Compression`] = encoded.compression;
  result[`${engine}SqliteBytes`] = decompressZstd(encoded.bytes.subarray(5)).length;
  if (engine === "native") await writeFile(outPath, encoded.bytes);
  reopened.close();
  store.close();
}
console.log(JSON.stringify(result));
