/**
 * baton-edge's c1z against independent tools: the zstd and sqlite3 command lines,
 * protoc with our .proto files, the baton-sdk DDL (reference §2.2 and baton-sdk
 * v0.8.0 itself), and baton-sdk v0.8.0's own reader (`pkg/dotc1z`) via the Go
 * program in test/interop/go.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readC1zFile, writeC1zFile, writeFileAtomic } from "../src/c1z/file.ts";
import { nativeEngine } from "../src/storage/index.ts";
import { ourListing } from "./interop/our-listing.ts";
import { SAMPLE_COUNTS, writeSample } from "./interop/sample.ts";
import {
  batonSdkDdlFile,
  findCommand,
  findProtoc,
  goInterop,
  goList,
  goRun,
  type Listing,
  protocDecode,
  repoRoot,
  run,
  runOk,
  schemaRows,
  sqlite3,
  unknownFieldLines,
  vectorsDir,
  zstdDecompress,
} from "./interop/tools.ts";

const zstd = findCommand("zstd");
const sqlite = findCommand("sqlite3");
const protoc = findProtoc();
const go = goInterop();
for (const tool of [zstd, sqlite, protoc, go])
  if (!tool.ok) console.warn(`c1z-interop: skipping checks: ${tool.reason}`);
const hasNative = (await nativeEngine()) !== undefined;
if (!hasNative) console.warn("c1z-interop: no native SQLite engine on this runtime; sql.js only");

const work = mkdtempSync(path.join(tmpdir(), "c1z-interop-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** baton-sdk's DDL (reference §2.2, baton-sdk HEAD; test/fixtures/go), run by sqlite3 into an empty database. */
function referenceSchema(sqliteBin: string): string[] {
  const db = path.join(work, "reference.db");
  rmSync(db, { force: true });
  runOk(sqliteBin, ["-bail", db], { input: readFileSync(batonSdkDdlFile, "utf8") });
  return schemaRows(sqliteBin, db);
}

/** Columns of HEAD's v1_sync_runs (reference §2.4) that the `baton` CLI's reader, v0.7.27, lacks. */
const HEAD_ONLY_SYNC_RUN_COLUMNS = [
  "grants_backfilled",
  "stats",
  "ingest_invariant_generation",
  "ingest_invariant_coverage",
  "ingest_invariant_mode",
];

/** sqlite_master rows with some v1_sync_runs column definitions taken out. */
function withoutSyncRunColumns(rows: string[], columns: string[]): string[] {
  return rows.map((row) =>
    row.startsWith("table v1_sync_runs ")
      ? columns.reduce((out, column) => out.replace(new RegExp(`, ${column} [^,)]*`), ""), row)
      : row,
  );
}

function dataHex(sqliteBin: string, dbFile: string, sql: string): Uint8Array[] {
  return sqlite3(sqliteBin, dbFile, sql)
    .split("\n")
    .filter(Boolean)
    .map((line) => new Uint8Array(Buffer.from(line, "hex")));
}

/** protoc's text format escapes bytes C-style; this undoes it (octal, hex and the named escapes). */
function unescapeProtoText(text: string): Uint8Array {
  const out: number[] = [];
  const named: Record<string, number> = { n: 10, r: 13, t: 9, '"': 34, "'": 39, "\\": 92, a: 7, b: 8, f: 12, v: 11 };
  const utf8 = new TextEncoder();
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch !== "\\") {
      out.push(...utf8.encode(ch));
      continue;
    }
    const next = text[++i];
    if (/[0-7]/.test(next)) {
      let digits = next;
      while (digits.length < 3 && /[0-7]/.test(text[i + 1])) digits += text[++i];
      out.push(Number.parseInt(digits, 8));
    } else if (next === "x") {
      let digits = "";
      while (digits.length < 2 && /[0-9a-fA-F]/.test(text[i + 1])) digits += text[++i];
      out.push(Number.parseInt(digits, 16));
    } else {
      out.push(named[next] ?? next.charCodeAt(0));
    }
  }
  return Uint8Array.from(out);
}

/** Decodes every Any in protoc's output by its type URL, recursively; returns all texts. */
function decodeWithAnys(tool: Parameters<typeof protocDecode>[0], typeName: string, bytes: Uint8Array): string[] {
  const text = protocDecode(tool, typeName, bytes);
  const texts = [text];
  const anyPattern = /type_url: "type\.googleapis\.com\/([\w.]+)"\n\s*value: "((?:[^"\\]|\\.)*)"/g;
  for (const match of text.matchAll(anyPattern)) {
    texts.push(...decodeWithAnys(tool, match[1], unescapeProtoText(match[2])));
  }
  return texts;
}

const engines = [
  { engine: "sqljs" as const, present: true },
  { engine: "native" as const, present: hasNative },
  // File-backed native: the c1z is streamed from a packed copy of the work file (src/c1z/pack.ts).
  { engine: "file" as const, present: hasNative },
];

/** The sample's c1z bytes, written the way each store writes them when a sync is saved. */
async function sampleC1z(engine: (typeof engines)[number]["engine"], name: string): Promise<Uint8Array> {
  if (engine !== "file") {
    const store = await writeSample(engine);
    const bytes = store.toBytes();
    store.close();
    return bytes;
  }
  const store = await writeSample(undefined, path.join(work, `${name}.work.db`));
  const file = path.join(work, `${name}.written.c1z`);
  await writeC1zFile(file, store);
  store.close();
  return new Uint8Array(readFileSync(file));
}

describe.each(engines)("a c1z written by baton-edge ($engine)", ({ engine, present }) => {
  let file = "";
  let bytes: Uint8Array = new Uint8Array();
  let dbFile = "";

  beforeAll(async () => {
    if (!present) return;
    bytes = await sampleC1z(engine, `ours-${engine}`);
    file = path.join(work, `ours-${engine}.c1z`);
    await writeFileAtomic(file, bytes);
    if (zstd.ok) {
      dbFile = path.join(work, `ours-${engine}.db`);
      writeFileSync(dbFile, zstdDecompress(zstd.value, bytes));
    }
  });

  it.skipIf(!present || !zstd.ok)("is C1ZF\\0 and then exactly one valid zstd frame (zstd -t, zstd -l)", () => {
    if (!zstd.ok) return;
    expect(Buffer.from(bytes.subarray(0, 5)).toString("latin1")).toBe("C1ZF\0");
    expect(run(zstd.value, ["-t", "-q"], { input: bytes.subarray(5) }).status).toBe(0);
    const frameFile = path.join(work, `ours-${engine}.zst`);
    writeFileSync(frameFile, bytes.subarray(5));
    const listing = runOk(zstd.value, ["-lv", frameFile]).toString("utf8");
    expect(listing).toMatch(/# Zstandard Frames: 1\b/);
    expect(listing).toMatch(/DictID: 0\b/);
    expect(listing).toMatch(/Check: XXH64 [0-9a-f]{8}/);
    // Go's decoder refuses windows over 128 MiB (reference §1.4).
    const window = /Window Size: .*\((\d+) B\)/.exec(listing);
    expect(Number(window?.[1])).toBeLessThanOrEqual(128 * 1024 * 1024);
  });

  it.skipIf(!present || !zstd.ok || !sqlite.ok)("passes sqlite3's PRAGMA integrity_check", () => {
    if (!sqlite.ok) return;
    expect(sqlite3(sqlite.value, dbFile, "PRAGMA integrity_check").trim()).toBe("ok");
  });

  it.skipIf(!present || !zstd.ok || !sqlite.ok)(
    "has the sqlite_master of baton-sdk's DDL (reference §2.2) with v1_sync_runs as the baton CLI's reader has it",
    () => {
      if (!sqlite.ok) return;
      const expected = withoutSyncRunColumns(referenceSchema(sqlite.value), HEAD_ONLY_SYNC_RUN_COLUMNS);
      expect(expected.find((row) => row.startsWith("table v1_sync_runs "))).toMatch(/supports_diff [^,]*\)$/);
      expect(schemaRows(sqlite.value, dbFile)).toEqual(expected);
    },
  );

  it.skipIf(!present || !zstd.ok || !sqlite.ok || !go.ok)(
    "has the sqlite_master baton-sdk v0.8.0 creates, minus grants_backfilled, plus HEAD's grants index",
    () => {
      if (!sqlite.ok || !zstd.ok) return;
      const goFile = path.join(work, `go-fresh-for-${engine}.c1z`);
      goRun(["create", goFile]);
      const goDb = path.join(work, `go-fresh-for-${engine}.db`);
      writeFileSync(goDb, zstdDecompress(zstd.value, readFileSync(goFile)));
      // Reference §2.4: HEAD added this grants index after v0.8.0; v0.8.0's grants_backfilled is
      // left out because the baton CLI's reader (v0.7.27) cannot clone a file that has it.
      const expected = withoutSyncRunColumns(schemaRows(sqlite.value, goDb), ["grants_backfilled"])
        .concat(
          "index idx_grants_entitlement_sync_grant_v1 v1_grants: CREATE INDEX idx_grants_entitlement_sync_grant_v1 on v1_grants (entitlement_id, sync_id, id)",
        )
        .sort();
      expect(schemaRows(sqlite.value, dbFile)).toEqual(expected);
    },
  );

  it.skipIf(!present || !zstd.ok || !sqlite.ok || !protoc.ok)(
    "protoc decodes every data blob, Any payload and expansion with our .proto and finds no unknown field",
    () => {
      if (!sqlite.ok || !protoc.ok) return;
      const tables: [string, string, number][] = [
        ["c1.connector.v2.ResourceType", "select hex(data) from v1_resource_types", SAMPLE_COUNTS.resourceTypes],
        ["c1.connector.v2.Resource", "select hex(data) from v1_resources", SAMPLE_COUNTS.resources],
        ["c1.connector.v2.Entitlement", "select hex(data) from v1_entitlements", SAMPLE_COUNTS.entitlements],
        ["c1.connector.v2.Grant", "select hex(data) from v1_grants", SAMPLE_COUNTS.grants],
        ["c1.connector.v2.GrantExpandable", "select hex(expansion) from v1_grants where expansion is not null", 1],
      ];
      const anyTypes = new Set<string>();
      for (const [typeName, sql, count] of tables) {
        const blobs = dataHex(sqlite.value, dbFile, sql);
        expect(blobs.length, typeName).toBe(count);
        for (const blob of blobs) {
          for (const text of decodeWithAnys(protoc.value, typeName, blob)) {
            expect(unknownFieldLines(text), `${typeName}:\n${text}`).toEqual([]);
            for (const m of text.matchAll(/type\.googleapis\.com\/([\w.]+)/g)) anyTypes.add(m[1]);
          }
        }
      }
      // Every kind of annotation the sample carries was decoded by protoc.
      expect([...anyTypes].sort()).toEqual(
        [
          "c1.connector.v2.AppTrait",
          "c1.connector.v2.ChildResourceType",
          "c1.connector.v2.GrantMetadata",
          "c1.connector.v2.GroupTrait",
          "c1.connector.v2.RoleTrait",
          "c1.connector.v2.SecretTrait",
          "c1.connector.v2.SkipEntitlementsAndGrants",
          "c1.connector.v2.UserTrait",
        ].sort(),
      );
      const grantText = protocDecode(
        protoc.value,
        "c1.connector.v2.GrantExpandable",
        dataHex(sqlite.value, dbFile, "select hex(expansion) from v1_grants where expansion is not null")[0],
      );
      expect(grantText).toContain('entitlement_ids: "group:eng:member"');
      expect(grantText).toContain('resource_type_ids: "user"');
    },
  );

  it.skipIf(!present || !go.ok)("is listed by baton-sdk's reader exactly as by ours", async () => {
    const theirs = goList(file);
    const store = await readC1zFile(file);
    const ours = ourListing(store);
    store.close();
    expect(theirs).toEqual(ours);
    expect(theirs.resourceTypes).toHaveLength(SAMPLE_COUNTS.resourceTypes);
    expect(theirs.resources).toHaveLength(SAMPLE_COUNTS.resources);
    expect(theirs.entitlements).toHaveLength(SAMPLE_COUNTS.entitlements);
    expect(theirs.grants).toHaveLength(SAMPLE_COUNTS.grants);
    expect(theirs.syncs).toEqual([expect.objectContaining({ type: "full", finished: true })]);
    // `baton resources/entitlements/grants` would find every object they look up, and `baton stats` counts:
    expect(theirs.missing).toEqual([]);
    expect(theirs.stats).toEqual({
      resource_types: 6,
      user: 2,
      group: 2,
      role: 1,
      app: 1,
      project: 1,
      "api-key": 1,
      entitlements: 5,
      grants: 6,
    });
    // baton v0.7.27 dereferences these directly, and resolves every Any for `-o json`.
    for (const g of theirs.grants) {
      expect([g.entitlementId, g.entitlementResource, g.principal]).not.toContain(null);
      expect(g.annotations.filter((name) => name.startsWith("?"))).toEqual([]);
      expect(g.annotations).not.toContain("c1.connector.v2.GrantExpandable");
    }
    for (const r of [...theirs.resources, ...theirs.resourceTypes]) {
      expect(r.annotations.filter((name) => name.startsWith("?"))).toEqual([]);
    }
    expect(theirs.resources.find((r) => r.resource === "p-1")).toMatchObject({
      parentResourceType: "app",
      parentResource: "crm",
    });
    expect(theirs.expandable).toEqual([
      {
        grantId: "group:admins:member:group:eng",
        sourceEntitlementIds: ["group:eng:member"],
        shallow: false,
        resourceTypeIds: ["user"],
      },
    ]);
  });
});

describe.each(engines)(
  "`baton export c1z` (baton-sdk's CloneSync) on a file of ours ($engine)",
  ({ engine, present }) => {
    it.skipIf(!present || !go.ok)(
      "clones the latest full sync into a file both readers list as the original",
      async () => {
        const source = path.join(work, `clone-source-${engine}.c1z`);
        await writeFileAtomic(source, await sampleC1z(engine, `clone-source-${engine}`));
        const written = await readC1zFile(source);
        const syncId = written.latestFinishedSync("full")?.syncId;
        written.close();
        const cloned = path.join(work, `cloned-${engine}.c1z`);
        goRun(["clone", source, cloned]);
        const original = goList(source);
        const theirs = goList(cloned);
        expect(theirs.syncs).toEqual([{ id: syncId, type: "full", finished: true }]);
        expect({ ...theirs, syncs: [] }).toEqual({ ...original, syncs: [] });
        const reread = await readC1zFile(cloned);
        expect(ourListing(reread)).toEqual(theirs);
        reread.close();
      },
    );

    // The column is added to the store's database: the in-memory stores show it is enough.
    it.skipIf(!present || !go.ok || engine === "file")(
      "fails, as it does for the baton CLI, once the file has HEAD's stats column",
      async () => {
        if (engine === "file") return;
        const store = await writeSample(engine);
        store.db.exec("alter table v1_sync_runs add column stats text");
        const source = path.join(work, `clone-stats-${engine}.c1z`);
        await writeFileAtomic(source, store.toBytes());
        store.close();
        if (!go.ok) return;
        const result = run(go.value, ["clone", source, path.join(work, `cloned-stats-${engine}.c1z`)]);
        expect(result.status).not.toBe(0);
        expect(result.stderr).toContain("clone.v1_sync_runs has no column named stats");
      },
    );
  },
);

const bun = findCommand("bun", [path.join(repoRoot, "node_modules/.bin/bun")]);
if (!bun.ok) console.warn(`c1z-interop: skipping the Bun-written file: ${bun.reason}`);

describe.skipIf(!bun.ok)("a c1z written by baton-edge under Bun (bun:sqlite, native zstd)", () => {
  it.skipIf(!zstd.ok || !go.ok)("is a compressed single frame that zstd and baton-sdk read like ours", async () => {
    if (!bun.ok || !zstd.ok) return;
    const file = path.join(work, "bun-native.c1z");
    const info = JSON.parse(
      runOk(bun.value, [path.join(repoRoot, "test/interop/write-sample.ts"), file], { cwd: repoRoot }).toString("utf8"),
    ) as { engine: string; compression: string };
    expect(info).toEqual({ engine: "bun:sqlite", compression: "native" });
    const bytes = new Uint8Array(readFileSync(file));
    expect(run(zstd.value, ["-t", "-q"], { input: bytes.subarray(5) }).status).toBe(0);
    const frameFile = path.join(work, "bun-native.zst");
    writeFileSync(frameFile, bytes.subarray(5));
    const listing = runOk(zstd.value, ["-lv", frameFile]).toString("utf8");
    expect(listing).toMatch(/# Zstandard Frames: 1\b/);
    expect(listing).toMatch(/Check: XXH64 [0-9a-f]{8}/);
    const window = /Window Size: .*\((\d+) B\)/.exec(listing);
    expect(Number(window?.[1])).toBeLessThanOrEqual(128 * 1024 * 1024);
    const sqliteSize = zstdDecompress(zstd.value, bytes).length;
    expect(bytes.length).toBeLessThan(sqliteSize / 4); // really compressed, not raw blocks

    const theirs = goList(file);
    const store = await readC1zFile(file);
    const ours = ourListing(store);
    store.close();
    expectSameListing(ours, theirs);
    expect(theirs.grants).toHaveLength(SAMPLE_COUNTS.grants);
    expect(theirs.missing).toEqual([]);
  });
});

describe("c1z files written by Go", () => {
  const vectors = readdirSync(vectorsDir)
    .filter((name) => name.endsWith(".c1z"))
    .sort();

  it("are present", () => {
    expect(vectors).toEqual(["go-36zf-expanded.c1z", "go-36zf-unexpanded.c1z", "go-sync-in-progress.c1z"]);
  });

  it.skipIf(!go.ok).each(vectors)("%s: our reader lists what baton-sdk's reader lists", async (name) => {
    const file = path.join(vectorsDir, name);
    const theirs = goList(file);
    const store = await readC1zFile(file);
    const ours = ourListing(store);
    store.close();
    expectSameListing(ours, theirs);
    expect(theirs.resources.length).toBeGreaterThan(0);
  });

  it.skipIf(!go.ok).each(vectors)(
    "%s: after our read and re-write, baton-sdk lists the same as before",
    async (name) => {
      const original = path.join(vectorsDir, name);
      const store = await readC1zFile(original);
      const rewritten = path.join(work, `rewritten-${name}`);
      await writeFileAtomic(rewritten, store.toBytes());
      store.close();
      expectSameListing(goList(rewritten), goList(original));
    },
  );

  it.skipIf(!go.ok)("a fresh file from baton-sdk's writer reads the same with ours", async () => {
    const file = path.join(work, "go-fresh.c1z");
    const syncId = goRun(["create", file]).trim();
    const theirs = goList(file);
    const store = await readC1zFile(file);
    const ours = ourListing(store);
    store.close();
    expectSameListing(ours, theirs);
    expect(ours.syncs).toEqual([{ id: syncId, type: "full", finished: true }]);
    expect(ours.grants.map((g) => g.id)).toEqual(["group:admins:member:user:alice"]);
    expect(ours.expandable).toEqual([
      {
        grantId: "group:admins:member:user:alice",
        sourceEntitlementIds: ["group:admins:member"],
        shallow: false,
        resourceTypeIds: [],
      },
    ]);
  });
});

function expectSameListing(ours: Listing, theirs: Listing): void {
  // Compared part by part so a failure names the part; then as a whole.
  for (const key of Object.keys(theirs) as (keyof Listing)[]) {
    expect(ours[key], key).toEqual(theirs[key]);
  }
  expect(ours).toEqual(theirs);
}
