/**
 * A corpus of broken c1z files: each must be rejected with its own C1zError code
 * (never another exception, never a hang), plus a bounded, seeded mutation test.
 *
 * Two valid bases: a file from our writer (raw-block zstd on runtimes without native
 * zstd) and a Go-written vector (a real compressed klauspost frame with XXH64).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import initSqlJs from "sql.js";
import { beforeAll, describe, expect, it } from "vitest";
import { C1zError, type C1zErrorCode, decodeC1z, encodeC1z, openC1z } from "../src/c1z/index.ts";
import { V1_DDL, V1_TABLES } from "../src/c1z/schema.ts";
import { ourListing } from "./interop/our-listing.ts";
import { writeSample } from "./interop/sample.ts";
import { findCommand, type Listing, repoRoot, runOk, vectorsDir } from "./interop/tools.ts";
import { concatBytes } from "./support/compress-tools.ts";

const MiB = 1024 * 1024;
const zstdCli = findCommand("zstd");
const bun = findCommand("bun", [path.join(repoRoot, "node_modules/.bin/bun")]);
if (!bun.ok) console.warn(`c1z-corrupt: skipping mutants of a Bun-written file: ${bun.reason}`);
if (!zstdCli.ok) console.warn(`c1z-corrupt: skipping the zstd-CLI-made bomb: ${zstdCli.reason}`);

/** mulberry32: a tiny seeded PRNG, so every run sees the same corpus. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBytes(random: () => number, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => Math.floor(random() * 256));
}

const concat = (...parts: Uint8Array[]) => concatBytes(parts);
const ascii = (text: string) => new TextEncoder().encode(text);
const C1ZF = Uint8Array.of(0x43, 0x31, 0x5a, 0x46, 0x00);
const ZSTD_MAGIC = Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd);

function flip(bytes: Uint8Array, offset: number, mask = 0xff): Uint8Array {
  const copy = bytes.slice();
  copy[offset] ^= mask;
  return copy;
}

async function rejection(bytes: Uint8Array, options?: Parameters<typeof openC1z>[1]): Promise<C1zError> {
  try {
    const store = await openC1z(bytes.slice(), options);
    store.close();
  } catch (error) {
    if (error instanceof C1zError) return error;
    throw new Error(`expected a C1zError, got ${String(error)}`, { cause: error });
  }
  throw new Error("expected the file to be rejected, but it opened");
}

async function expectCode(
  bytes: Uint8Array,
  code: C1zErrorCode | C1zErrorCode[],
  options?: { maxDecodedSize?: number },
) {
  const error = await rejection(bytes, options ? { limits: options } : undefined);
  expect(Array.isArray(code) ? code : [code], `${error.code}: ${error.message}`).toContain(error.code);
  expect(error.message.length).toBeGreaterThan(10);
  return error;
}

/** Offsets inside a v1 file's zstd frame, read from the RFC 8878 header by hand. */
function frameLayout(file: Uint8Array) {
  const fhd = file[9];
  const singleSegment = (fhd & 0x20) !== 0;
  const fcsBytes = [singleSegment ? 1 : 0, 2, 4, 8][fhd >> 6];
  const dictBytes = [0, 1, 2, 4][fhd & 3];
  const firstBlock = 10 + (singleSegment ? 0 : 1) + dictBytes + fcsBytes;
  const header = file[firstBlock] | (file[firstBlock + 1] << 8) | (file[firstBlock + 2] << 16);
  return {
    fhd,
    hasChecksum: (fhd & 0x04) !== 0,
    firstBlock,
    firstBlockType: (header >> 1) & 3,
    firstBlockSize: header >> 3,
  };
}

let ours: Uint8Array;
let oursSqlite: Uint8Array;
let goVector: Uint8Array;
let SQL: Awaited<ReturnType<typeof initSqlJs>>;

beforeAll(async () => {
  const store = await writeSample();
  ours = store.toBytes();
  store.close();
  oursSqlite = decodeC1z(ours.slice());
  goVector = new Uint8Array(readFileSync(path.join(vectorsDir, "go-sync-in-progress.c1z")));
  SQL = await initSqlJs();
});

describe("the bases are valid", () => {
  it("both open", async () => {
    for (const file of [ours, goVector]) {
      const store = await openC1z(file.slice());
      expect(store.listResourceTypes().items.length).toBeGreaterThan(0);
      store.close();
    }
    expect(frameLayout(ours).hasChecksum).toBe(true);
    expect(frameLayout(goVector).hasChecksum).toBe(true);
    expect(frameLayout(goVector).firstBlockType).toBe(2); // a compressed block
  });
});

describe("not a c1z at all", () => {
  it("empty file", async () => {
    await expectCode(new Uint8Array(), "not-c1z");
  });

  it("random bytes", async () => {
    const error = await expectCode(randomBytes(prng(7), 4096), "not-c1z");
    expect(error.message).toMatch(/C1ZF/);
  });

  it("the v3 (Pebble) header says how to get a v1 file", async () => {
    const v3 = concat(ascii("C1Z3\0"), Uint8Array.of(0, 0, 0, 4), randomBytes(prng(3), 64));
    const error = await expectCode(v3, "v3-pebble");
    expect(error.message).toContain("--storage-engine sqlite");
  });

  it("a plain SQLite file (no envelope)", async () => {
    const error = await expectCode(oursSqlite, "not-c1z");
    expect(error.message).toMatch(/SQLite/);
  });
});

describe("truncated", () => {
  for (const base of ["ours", "go"] as const) {
    it(`${base}: cut at several offsets`, async () => {
      const file = base === "ours" ? ours : goVector;
      const { firstBlock } = frameLayout(file);
      const cuts = [
        1,
        3,
        5,
        7,
        9,
        firstBlock + 1,
        firstBlock + 3 + 10,
        file.length >> 1,
        file.length - 4,
        file.length - 1,
      ];
      for (const cut of cuts) {
        const error = await rejection(file.subarray(0, cut));
        expect(error.code, `cut at ${cut}: ${error.message}`).toBe("truncated");
      }
    });
  }
});

describe("flipped bytes", () => {
  it("in the C1ZF header", async () => {
    for (const offset of [0, 3, 4]) await expectCode(flip(ours, offset), "not-c1z");
  });

  it("in the zstd frame header", async () => {
    await expectCode(flip(ours, 5), "corrupt-zstd"); // frame magic
    await expectCode(flip(ours, 9, 0x08), "corrupt-zstd"); // reserved bit of the frame header descriptor
    await expectCode(flip(goVector, 9, 0x03), "corrupt-zstd"); // asks for a dictionary
  });

  it("in a block header", async () => {
    for (const file of [ours, goVector]) {
      const { firstBlock } = frameLayout(file);
      // Set both Block_Type bits: type 3 is reserved, whatever type the block had.
      await expectCode(flip(file, firstBlock, (file[firstBlock] & 0x06) ^ 0x06), "corrupt-zstd");
    }
  });

  it("in raw block data: the content checksum catches it", async () => {
    // The raw-block writer's output, whatever compressor this runtime has.
    const raw = encodeC1z(oursSqlite, { mode: "raw" });
    const { firstBlock, firstBlockType } = frameLayout(raw);
    expect(firstBlockType).toBe(0);
    for (const offset of [firstBlock + 3, firstBlock + 3 + 200, raw.length - 10]) {
      await expectCode(flip(raw, offset, 0x10), "checksum");
    }
  });

  it("in compressed block data", async () => {
    const { firstBlock } = frameLayout(goVector);
    for (const offset of [firstBlock + 4, firstBlock + 100, (goVector.length >> 1) + 7, goVector.length - 12]) {
      await expectCode(flip(goVector, offset, 0x41), ["corrupt-zstd", "checksum", "truncated"]);
    }
  });

  it("in the XXH64 checksum itself", async () => {
    for (const file of [ours, goVector]) {
      await expectCode(flip(file, file.length - 1, 0x01), "checksum");
      await expectCode(flip(file, file.length - 4, 0x80), "checksum");
    }
  });
});

describe("zstd bombs and oversized windows", () => {
  it("a tiny frame declaring a 1 TiB content size is refused before decoding", async () => {
    // FHD 0xc4: 8-byte FCS, checksum; window 1 MiB; FCS 2^40; one empty last raw block; checksum.
    const frame = concat(
      ZSTD_MAGIC,
      Uint8Array.of(0xc4, 0x50),
      Uint8Array.of(0, 0, 0, 0, 0, 1, 0, 0),
      Uint8Array.of(0x01, 0, 0),
      Uint8Array.of(0, 0, 0, 0),
    );
    const error = await expectCode(concat(C1ZF, frame), "too-large");
    expect(error.message).toMatch(/1099511627776/);
  });

  it("hand-made RLE blocks that expand 64 MiB from 2 KiB, over a 1 MiB cap", async () => {
    // No FCS; window 128 KiB; 512 RLE blocks of 128 KiB zeros.
    const blocks: Uint8Array[] = [];
    for (let i = 0; i < 512; i++) {
      const header = ((128 * 1024) << 3) | (1 << 1) | (i === 511 ? 1 : 0);
      blocks.push(Uint8Array.of(header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff, 0));
    }
    const bomb = concat(C1ZF, ZSTD_MAGIC, Uint8Array.of(0x00, 0x38), ...blocks);
    expect(bomb.length).toBeLessThan(2100);
    await expectCode(bomb, "too-large", { maxDecodedSize: MiB });
  });

  it.skipIf(!zstdCli.ok)("real zstd frames of 64 MiB of zeros, with and without FCS, over a 1 MiB cap", async () => {
    if (!zstdCli.ok) return;
    const zeros = new Uint8Array(64 * MiB);
    const streamed = runOk(zstdCli.value, ["-q", "-c", "-19"], { input: zeros }); // stdin: no FCS
    const sized = runOk(zstdCli.value, ["-q", "-c", "-19", `--stream-size=${zeros.length}`], { input: zeros });
    expect(streamed.length).toBeLessThan(64 * 1024);
    for (const frame of [streamed, sized]) {
      await expectCode(concat(C1ZF, new Uint8Array(frame)), "too-large", { maxDecodedSize: MiB });
    }
  });

  it("a window over 128 MiB (Go's decoder limit)", async () => {
    // FHD 0x04 (checksum, no FCS); window descriptor 0xf8 = 2^41.
    const frame = concat(ZSTD_MAGIC, Uint8Array.of(0x04, 0xf8), Uint8Array.of(0x01, 0, 0), Uint8Array.of(0, 0, 0, 0));
    await expectCode(concat(C1ZF, frame), "too-large");
    // Single segment: the window is the content size, here 200 MiB.
    const single = concat(
      ZSTD_MAGIC,
      Uint8Array.of(0xa4), // FCS 4 bytes, single segment, checksum
      Uint32Bytes(200 * MiB),
      Uint8Array.of(0x01, 0, 0),
      Uint8Array.of(0, 0, 0, 0),
    );
    await expectCode(concat(C1ZF, single), "too-large");
  });
});

function Uint32Bytes(value: number): Uint8Array {
  return Uint8Array.of(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24);
}

describe("wrong things after or inside a valid envelope", () => {
  it("trailing garbage after the frame", async () => {
    await expectCode(concat(ours, ascii("JUNK")), "trailing-bytes");
    await expectCode(concat(goVector, Uint8Array.of(0, 0)), "trailing-bytes");
    await expectCode(concat(goVector, randomBytes(prng(11), 300)), "trailing-bytes");
  });

  it("a valid envelope around bytes that are not SQLite", async () => {
    await expectCode(encodeC1z(randomBytes(prng(5), 8192)), "not-sqlite");
    await expectCode(encodeC1z(ascii("hello, not a database")), "not-sqlite");
  });

  it("a valid envelope around a cut-off SQLite file", async () => {
    await expectCode(encodeC1z(oursSqlite.slice(0, 4096)), "not-sqlite");
  });

  it("SQLite without the v1 tables", async () => {
    const db = new SQL.Database();
    db.run("create table notes (id integer primary key, body text)");
    const error = await expectCode(encodeC1z(db.export()), "missing-tables");
    expect(error.message).toContain("v1_grants");
    db.close();
  });

  it("SQLite with the v1 tables but one missing, or one lacking a column", async () => {
    const without = (skip: string, replace?: [string, string]) => {
      const db = new SQL.Database();
      for (const table of V1_TABLES) {
        if (table === skip) continue;
        for (const statement of V1_DDL[table]) db.run(replace && table === replace[0] ? replace[1] : statement);
      }
      const bytes = db.export();
      db.close();
      return bytes;
    };
    const noGrants = await expectCode(encodeC1z(without("v1_grants")), "missing-tables");
    expect(noGrants.message).toContain("v1_grants");
    const thinResources = without("", [
      "v1_resources",
      "create table if not exists v1_resources (id integer primary key, resource_type_id text not null, external_id text not null, data blob not null, sync_id text not null, discovered_at datetime not null)",
    ]);
    const lacking = await expectCode(encodeC1z(thinResources), "missing-tables");
    expect(lacking.message).toContain("parent_resource_id");
  });
});

describe("random mutations (seeded, bounded)", () => {
  type Mutation = (file: Uint8Array, random: () => number) => Uint8Array;
  const pick = (random: () => number, n: number) => Math.floor(random() * n);
  const mutations: Record<string, Mutation> = {
    flip: (f, r) => {
      const copy = f.slice();
      for (let k = 1 + pick(r, 3); k > 0; k--) copy[pick(r, copy.length)] ^= 1 + pick(r, 255);
      return copy;
    },
    truncate: (f, r) => f.slice(0, pick(r, f.length)),
    insert: (f, r) => {
      const at = pick(r, f.length);
      return concat(f.subarray(0, at), randomBytes(r, 1 + pick(r, 16)), f.subarray(at));
    },
    delete: (f, r) => {
      const at = pick(r, f.length);
      return concat(f.subarray(0, at), f.subarray(Math.min(f.length, at + 1 + pick(r, 32))));
    },
    overwrite: (f, r) => {
      const copy = f.slice();
      const at = pick(r, copy.length);
      copy.set(randomBytes(r, Math.min(copy.length - at, 1 + pick(r, 24))), at);
      return copy;
    },
    headerOnly: (f, r) => {
      const copy = f.slice();
      copy[5 + pick(r, 12)] ^= 1 << pick(r, 8);
      return copy;
    },
  };

  async function expectMutantsConsistent(bases: Uint8Array[], count: number, seed: number) {
    const random = prng(seed);
    const outcomes: Record<string, number> = {};
    const listings: Listing[] = [];
    for (const base of bases) {
      const store = await openC1z(base.slice());
      listings.push(ourListing(store));
      store.close();
    }
    const names = Object.keys(mutations);
    for (let i = 0; i < count; i++) {
      const base = bases[i % bases.length];
      const name = names[pick(random, names.length)];
      const mutant = mutations[name](base, random);
      try {
        const store = await openC1z(mutant);
        try {
          expect(ourListing(store), `mutant ${i} (${name}) opened with different content`).toEqual(
            listings[i % bases.length],
          );
        } finally {
          store.close();
        }
        outcomes.opened = (outcomes.opened ?? 0) + 1;
      } catch (error) {
        if (!(error instanceof C1zError)) {
          throw new Error(`mutant ${i} (${name}) failed with ${String(error)}, not a C1zError`, { cause: error });
        }
        outcomes[error.code] = (outcomes[error.code] ?? 0) + 1;
      }
    }
    return outcomes;
  }

  it.skipIf(!bun.ok)(
    "150 mutants of a Bun-written file (native zstd) open to the same content or fail with a C1zError",
    async () => {
      if (!bun.ok) return;
      const file = path.join(mkdtempSync(path.join(tmpdir(), "c1z-corrupt-")), "bun.c1z");
      runOk(bun.value, [path.join(repoRoot, "test/interop/write-sample.ts"), file], { cwd: repoRoot });
      const written = new Uint8Array(readFileSync(file));
      rmSync(path.dirname(file), { recursive: true, force: true });
      expect(frameLayout(written).hasChecksum).toBe(true);
      expect(frameLayout(written).firstBlockType).toBe(2); // compressed, unlike our Node 20 raw frames
      const outcomes = await expectMutantsConsistent([written], 150, 424242);
      expect(outcomes.opened ?? 0).toBeLessThan(15);
    },
  );

  it("300 mutants each open to the same content or fail with a C1zError", async () => {
    const outcomes = await expectMutantsConsistent([ours, goVector], 300, 20261128);
    const rejected = Object.entries(outcomes)
      .filter(([key]) => key !== "opened")
      .reduce((n, [, count]) => n + count, 0);
    expect(rejected + (outcomes.opened ?? 0)).toBe(300);
    expect(rejected).toBeGreaterThan(250);
    // The corpus exercises several different failure kinds.
    expect(Object.keys(outcomes).filter((key) => key !== "opened").length).toBeGreaterThanOrEqual(4);
  });
});
