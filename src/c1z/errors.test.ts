import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir, toolsPresent, vectorFiles } from "../../test/support/c1z-tools.ts";
import { rawZstdFrame } from "../compress/raw-frame.ts";
import { decodeC1z, encodeC1z } from "./envelope.ts";
import { C1zError } from "./errors.ts";
import { openC1z } from "./open.ts";

const tools = toolsPresent("zstd", "sqlite3");
const tmp = tempDir();
afterAll(() => tmp.cleanup());
const vector = vectorFiles().find((path) => path.endsWith("sync-in-progress.c1z"));

async function codeOf(bytes: Uint8Array, limits?: Parameters<typeof decodeC1z>[1]): Promise<string> {
  try {
    const store = await openC1z(bytes, { engine: "sqljs", limits });
    store.close();
  } catch (error) {
    if (error instanceof C1zError) return error.code;
    throw error;
  }
  return "no error";
}

function header(...rest: Uint8Array[]): Uint8Array {
  return Uint8Array.from([0x43, 0x31, 0x5a, 0x46, 0x00, ...rest.flatMap((r) => Array.from(r))]);
}

/** A SQLite file made by the sqlite3 CLI. */
function sqliteFile(name: string, sql: string): Uint8Array {
  const path = join(tmp.dir, `${name}.db`);
  execFileSync("sqlite3", [path, sql]);
  return new Uint8Array(readFileSync(path));
}

describe("c1z errors name the problem", () => {
  it("not a c1z: empty, random bytes, other magic", async () => {
    expect(await codeOf(new Uint8Array(0))).toBe("not-c1z");
    expect(await codeOf(Uint8Array.from({ length: 64 }, (_, i) => (i * 37) & 0xff))).toBe("not-c1z");
    expect(await codeOf(new TextEncoder().encode("PK\u0003\u0004 a zip file"))).toBe("not-c1z");
  });

  it("a v3/Pebble file: says baton-sdk >= 0.25 writes v3 and how to get v1", async () => {
    const v3 = Uint8Array.from([0x43, 0x31, 0x5a, 0x33, 0x00, 0, 0, 0, 4, 1, 2, 3, 4]);
    expect(await codeOf(v3)).toBe("v3-pebble");
    expect(() => decodeC1z(v3)).toThrow(/0\.25.*--storage-engine sqlite.*BATON_STORAGE_ENGINE=sqlite/s);
  });

  it.skipIf(!tools)(
    "a plain SQLite file (no envelope) is `not-c1z`; SQLite without c1z tables is `missing-tables`",
    async () => {
      const plain = sqliteFile("plain", "create table t(a); insert into t values (1);");
      expect(await codeOf(plain)).toBe("not-c1z");
      expect(() => decodeC1z(plain)).toThrow(/plain SQLite/);
      expect(await codeOf(encodeC1z(plain))).toBe("missing-tables");
      const partial = sqliteFile(
        "partial",
        "create table v1_resource_types (id integer primary key, external_id text not null, data blob not null, sync_id text not null, discovered_at datetime not null);",
      );
      await expect(openC1z(encodeC1z(partial), { engine: "sqljs" })).rejects.toThrow(
        /v1_resources.*v1_entitlements.*v1_grants/,
      );
      const missingColumn = sqliteFile(
        "missing-column",
        [
          "create table v1_resource_types (id integer primary key, external_id text, data blob, sync_id text, discovered_at datetime)",
          "create table v1_resources (id integer primary key, resource_type_id text, external_id text, data blob, sync_id text, discovered_at datetime)",
          "create table v1_entitlements (id integer primary key, resource_type_id text, resource_id text, external_id text, data blob, sync_id text, discovered_at datetime)",
          "create table v1_grants (id integer primary key, resource_type_id text, resource_id text, entitlement_id text, principal_resource_type_id text, principal_resource_id text, external_id text, data blob, sync_id text, discovered_at datetime)",
        ].join(";"),
      );
      await expect(openC1z(encodeC1z(missingColumn), { engine: "sqljs" })).rejects.toThrow(
        /v1_resources lacks the column\(s\) parent_resource_type_id, parent_resource_id/,
      );
    },
  );

  it("a payload that is not SQLite, or a cut-off SQLite file, is `not-sqlite`", async () => {
    expect(await codeOf(encodeC1z(new TextEncoder().encode("hello, not a database")))).toBe("not-sqlite");
    expect(await codeOf(header(rawZstdFrame(new Uint8Array(0))))).toBe("not-sqlite");
    if (vector) {
      const sqlite = decodeC1z(new Uint8Array(readFileSync(vector)));
      expect(await codeOf(encodeC1z(sqlite.subarray(0, 4096 * 3)))).toBe("not-sqlite");
    }
  });

  it.skipIf(!vector)("truncated at several offsets, flipped checksum, trailing bytes, bomb past the cap", async () => {
    const good = new Uint8Array(readFileSync(vector!));
    for (const cut of [2, 5, 6, 9, 100, 2000, good.length - 4, good.length - 1]) {
      expect(await codeOf(good.subarray(0, cut)), `cut at ${cut}`).toBe("truncated");
    }
    const flipped = good.slice();
    flipped[flipped.length - 1] ^= 0x55; // the XXH64 content checksum
    expect(await codeOf(flipped)).toBe("checksum");
    expect(() => decodeC1z(flipped)).toThrow(/checksum mismatch/);
    const trailing = new Uint8Array(good.length + 8);
    trailing.set(good);
    expect(await codeOf(trailing)).toBe("trailing-bytes");
    // The decoded file is 139264 bytes; a smaller cap rejects it as a bomb would be.
    expect(await codeOf(good, { maxDecodedSize: 100_000 })).toBe("too-large");
    expect(await codeOf(good)).toBe("no error");
  });

  it("a declared size over the cap is refused before decoding (3 GiB claim in a few bytes)", async () => {
    const fcs = 3 * 1024 ** 3;
    const bomb = header(
      Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd, 0xc0, 0x38),
      Uint8Array.from({ length: 8 }, (_, i) => Math.floor(fcs / 2 ** (8 * i)) & 0xff),
      Uint8Array.of(0x03, 0x00, 0x00, 0x00), // one empty last raw block
    );
    expect(await codeOf(bomb)).toBe("too-large");
    expect(() => decodeC1z(bomb)).toThrow(/declared decoded size 3221225472 exceeds the cap/);
  });
});
