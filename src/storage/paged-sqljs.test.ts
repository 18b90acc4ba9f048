import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PagedDatabase } from "./paged-sqljs.ts";
import {
  DurableObjectPageStore,
  type DurableStorageLike,
  MemoryPageStore,
  MemoryScratchStore,
  type PageStore,
  readPagedFile,
} from "./paged-store.ts";
import { sqlJsEngine } from "./sqljs-engine.ts";
import type { SqliteDatabase } from "./types.ts";

const scratch = mkdtempSync(join(tmpdir(), "paged-sqljs-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface BetterSqlite3Db {
  prepare(sql: string): { reader: boolean; all(...a: unknown[]): unknown[]; run(...a: unknown[]): unknown };
  transaction<T>(fn: () => T): () => T;
  close(): void;
}
type BetterSqlite3 = new (path: string) => BetterSqlite3Db;

let Better: BetterSqlite3 | undefined;
try {
  Better = createRequire(import.meta.url)("better-sqlite3") as BetterSqlite3;
} catch {
  console.log("better-sqlite3 is not installed: the native-SQLite page store tests are skipped");
}

/** A Durable Object's `ctx.storage` shape over a native SQLite file (better-sqlite3). */
function nativeStorage(path: string): { storage: DurableStorageLike; close(): void } {
  if (!Better) throw new Error("better-sqlite3 missing");
  const db = new Better(path);
  const bind = (values: unknown[]) => values.map((v) => (v instanceof ArrayBuffer ? Buffer.from(v) : v));
  return {
    storage: {
      sql: {
        exec(query, ...bindings) {
          const statement = db.prepare(query);
          if (!statement.reader) {
            statement.run(...bind(bindings));
            return { toArray: () => [] };
          }
          const rows = statement.all(...bind(bindings)) as Record<string, unknown>[];
          return { toArray: () => rows };
        },
      },
      transactionSync: (fn) => db.transaction(fn)(),
    },
    close: () => db.close(),
  };
}

/**
 * Rows `start…start+rows` in `commits` commits (0: inside the caller's open transaction):
 * tables, indexes and overflow pages.
 */
function fill(db: SqliteDatabase, rows: number, commits = 10, start = 0): void {
  db.exec(`create table if not exists grants (id integer primary key, external_id text unique, entitlement text,
    principal text, data blob); create index if not exists grants_by_principal on grants (principal, entitlement)`);
  const insert = db.prepare("insert into grants (external_id, entitlement, principal, data) values (?, ?, ?, ?)");
  const per = Math.ceil(rows / Math.max(1, commits));
  let n = start;
  const end = start + rows;
  const wrap = (fn: () => void) => (commits === 0 ? fn() : db.transaction(fn));
  for (let c = 0; c < Math.max(1, commits); c++) {
    wrap(() => {
      for (let i = 0; i < per && n < end; i++, n++) {
        // Every 97th row has a blob larger than a page (overflow chains).
        const size = n % 97 === 0 ? 9000 : 60 + (n % 50);
        const data = new Uint8Array(size).map((_, k) => (n * 31 + k) & 0xff);
        insert.run(`grant-${(n * 7919) % 100003}-${n}`, `ent-${n % 40}`, `user-${(n * 13) % 997}`, data);
      }
    });
  }
  db.prepare(`delete from grants where id % 11 = 0 and id > ${start}`).run();
}

function dump(db: SqliteDatabase): string {
  return JSON.stringify(
    db.prepare("select id, external_id, entitlement, principal, hex(data) as data from grants order by id").all(),
  );
}

function integrity(db: SqliteDatabase): string {
  return String(db.prepare("pragma integrity_check").get()?.integrity_check);
}

/** Counts page writes and can fail the n-th one: a Worker dying in the middle of a commit. */
class FailingStore implements PageStore {
  writes = 0;
  failAt = Number.POSITIVE_INFINITY;
  constructor(readonly inner: MemoryPageStore) {}
  get pageSize() {
    return this.inner.pageSize;
  }
  size() {
    return this.inner.size();
  }
  readPage(index: number) {
    return this.inner.readPage(index);
  }
  writePage(index: number, page: Uint8Array) {
    if (++this.writes >= this.failAt) throw new Error("storage went away");
    this.inner.writePage(index, page);
  }
  setSize(bytes: number) {
    this.inner.setSize(bytes);
  }
  sync() {
    this.inner.sync();
  }
  rollback() {
    this.inner.rollback();
  }
}

describe("sql.js on a paged FS node", () => {
  it("builds the same database as in-memory sql.js, and the file is valid SQLite to other readers", async () => {
    const store = new MemoryPageStore();
    const paged = await PagedDatabase.open(store);
    const plain = (await sqlJsEngine()).open();
    fill(paged, 3000);
    fill(plain, 3000);
    expect(dump(paged)).toBe(dump(plain));
    expect(integrity(paged)).toBe("ok");

    // The bytes in the store, read by sql.js's ordinary in-memory engine.
    const bytes = paged.serialize();
    expect(bytes.length).toBe(store.size());
    expect(bytes.length % 4096).toBe(0);
    const reread = (await sqlJsEngine()).open(bytes);
    expect(dump(reread)).toBe(dump(plain));
    expect(integrity(reread)).toBe("ok");

    // And by the sqlite3 CLI, where installed.
    try {
      const file = join(scratch, "paged.db");
      writeFileSync(file, bytes);
      const out = execFileSync("sqlite3", [file, "pragma integrity_check; select count(*) from grants;"], {
        encoding: "utf8",
      });
      expect(out.trim().split("\n")).toEqual(["ok", String(plain.prepare("select count(*) n from grants").get()?.n)]);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      console.log("sqlite3 CLI not found: skipped the independent integrity check");
    }
    paged.close();
    plain.close();
    reread.close();
  });

  it("commits to the store once per SQLite commit, and only then", async () => {
    const store = new MemoryPageStore();
    const db = await PagedDatabase.open(store);
    db.exec("create table t (v text)");
    const before = store.syncs;
    db.transaction(() => {
      const insert = db.prepare("insert into t values (?)");
      for (let i = 0; i < 500; i++) insert.run(`row ${i}`);
    });
    expect(store.syncs).toBe(before + 1);
    db.exec("begin");
    db.prepare("insert into t values ('open')").run();
    expect(store.syncs).toBe(before + 1);
    db.exec("commit");
    expect(store.syncs).toBe(before + 2);
    db.close();
  });

  it("a process that dies mid-transaction leaves the last commit, even after the cache spilled", async () => {
    const store = new MemoryPageStore();
    // A 256 KiB page cache: the big transaction below must spill pages into the file.
    const db = await PagedDatabase.open(store, { cacheKiB: 256 });
    fill(db, 2000, 4);
    const committed = dump(db);
    db.exec("begin");
    fill(db, 4000, 0, 2000);
    db.prepare("update grants set principal = 'everyone'").run();
    // The spill reached the store (staged) but not its committed state.
    const died = store.committed();
    expect(store.size()).toBeGreaterThan(died.size());
    const reopened = await PagedDatabase.open(died);
    expect(integrity(reopened)).toBe("ok");
    expect(dump(reopened)).toBe(committed);
    reopened.close();
    db.exec("rollback");
    expect(dump(db)).toBe(committed);
    db.close();
  });

  it("a commit that fails half-written leaves the previous commit", async () => {
    const inner = new MemoryPageStore();
    const store = new FailingStore(inner);
    const db = await PagedDatabase.open(store);
    fill(db, 1500, 3);
    const committed = dump(db);
    store.failAt = store.writes + 5; // five pages into the next commit
    expect(() => fill(db, 3000, 1, 1500)).toThrow(/disk I\/O error: the page store failed: storage went away/);
    const reopened = await PagedDatabase.open(inner.committed());
    expect(integrity(reopened)).toBe("ok");
    expect(dump(reopened)).toBe(committed);
    reopened.close();
    // The same connection recovers once the store works again.
    store.failAt = Number.POSITIVE_INFINITY;
    expect(dump(db)).toBe(committed);
    fill(db, 300, 1, 1500);
    const expected = (await sqlJsEngine()).open();
    fill(expected, 1500, 3);
    fill(expected, 300, 1, 1500);
    expect(dump(db)).toBe(dump(expected));
    expect(integrity(db)).toBe("ok");
    expected.close();
    db.close();
  });

  it("keeps sql.js's heap bounded while the database grows far past it", async () => {
    const store = new MemoryPageStore();
    const db = await PagedDatabase.open(store, { cacheKiB: 2048 });
    const heapBefore = await PagedDatabase.heapBytes();
    fill(db, 60_000, 30);
    const heapAfter = await PagedDatabase.heapBytes();
    expect(store.size()).toBeGreaterThan(8 * 1024 * 1024);
    // The heap grows by SQLite's cache and statement memory, not by the file.
    expect(heapAfter - heapBefore).toBeLessThan(store.size() / 2);
    expect(integrity(db)).toBe("ok");
    db.close();
  });

  it("puts the rollback journal and temp files (VACUUM's copy) on scratch stores, released when closed", async () => {
    const store = new MemoryPageStore();
    const opened: MemoryScratchStore[] = [];
    let peakScratchBytes = 0;
    const scratchStores = () => {
      const scratchStore = new MemoryScratchStore();
      const write = scratchStore.writePage.bind(scratchStore);
      scratchStore.writePage = (index, page) => {
        write(index, page);
        peakScratchBytes = Math.max(peakScratchBytes, scratchStore.size(), (index + 1) * page.length);
      };
      opened.push(scratchStore);
      return scratchStore;
    };
    const db = await PagedDatabase.open(store, { cacheKiB: 512, scratch: scratchStores });
    fill(db, 30_000, 3);
    const fresh = store.size();
    const before = dump(db);
    // Half the rows gone: VACUUM rewrites the file through a temp copy and the journal.
    const count = (of: SqliteDatabase) => Number(of.prepare("select count(*) as n from grants").get()?.n);
    db.exec("delete from grants where id % 2 = 0");
    const left = count(db);
    expect(left).toBeGreaterThan(10_000);
    peakScratchBytes = 0;
    const heapBefore = db.memory().heapBytes;
    db.exec("VACUUM");
    expect(store.size()).toBeLessThan(fresh * 0.75);
    // The journal holds the old copy of the pages VACUUM rewrote: that much went to scratch, not the heap.
    expect(peakScratchBytes).toBeGreaterThan(store.size() / 2);
    expect(db.memory().heapBytes - heapBefore).toBeLessThan(store.size() / 4);
    expect(integrity(db)).toBe("ok");
    expect(dump(db)).not.toBe(before);
    expect(count(db)).toBe(left);
    db.close();
    // Every scratch file was closed and dropped (the journal too, when the database closed).
    expect(opened.length).toBeGreaterThanOrEqual(2);
    for (const scratchStore of opened) expect(scratchStore.size()).toBe(0);
    // The committed file opens again as the same database.
    const reopened = await PagedDatabase.open(store.committed());
    expect(count(reopened)).toBe(left);
    expect(integrity(reopened)).toBe("ok");
    reopened.close();
  });
});

describe.skipIf(!Better)("the Durable Object page store over native SQLite", () => {
  it("holds the database across reopen, and drops a dead writer's uncommitted pages", async () => {
    const path = join(scratch, "do-storage.sqlite");
    const first = nativeStorage(path);
    const store = new DurableObjectPageStore(first.storage, "c1z");
    const db = await PagedDatabase.open(store, { cacheKiB: 256 });
    const plain = (await sqlJsEngine()).open();
    fill(db, 2500, 5);
    fill(plain, 2500, 5);
    const committed = dump(db);
    expect(committed).toBe(dump(plain));
    // An invocation that dies mid-transaction: its spilled pages are staged rows.
    db.exec("begin");
    fill(db, 3000, 0, 2500);
    first.close();

    const second = nativeStorage(path);
    const reopenedStore = new DurableObjectPageStore(second.storage, "c1z");
    const reopened = await PagedDatabase.open(reopenedStore);
    expect(integrity(reopened)).toBe("ok");
    expect(dump(reopened)).toBe(committed);
    // It carries on where the last commit left off.
    fill(reopened, 500, 1, 2500);
    fill(plain, 500, 1, 2500);
    expect(dump(reopened)).toBe(dump(plain));
    const bytes = reopened.serialize();
    const reread = (await sqlJsEngine()).open(bytes);
    expect(dump(reread)).toBe(dump(plain));
    reopened.close();
    reread.close();
    plain.close();
    expect(() => new DurableObjectPageStore(second.storage, "c1z", 8192)).toThrow(/4096-byte pages/);
    reopenedStore.clear();
    expect(new DurableObjectPageStore(second.storage, "c1z").size()).toBe(0);
    second.close();
  });

  it("reads the file in chunks of whole pages through one array, zeros where no page was written", () => {
    const opened = nativeStorage(join(scratch, "do-chunks.sqlite"));
    const stores: PageStore[] = [new MemoryPageStore(512), new DurableObjectPageStore(opened.storage, "c1z", 512)];
    const size = 40 * 512 + 100; // a short last page: the file size need not be whole pages
    const gaps = new Set([3, 6, 10, 33]);
    const pageOf = (index: number, seed: number) =>
      Uint8Array.from({ length: 512 }, (_, i) => (index * 13 + i + seed) & 0xff || 1);
    const read = (store: PageStore, chunkBytes: number) => {
      const joined = new Uint8Array(store.size());
      let at = 0;
      const lengths: number[] = [];
      for (const chunk of readPagedFile(store, chunkBytes)) {
        joined.set(chunk, at);
        at += chunk.length;
        lengths.push(chunk.length);
      }
      return { joined, lengths };
    };
    for (const store of stores) {
      const expected = new Uint8Array(size);
      for (let index = 0; index <= 40; index++) {
        if (gaps.has(index)) continue;
        const page = pageOf(index, 0);
        store.writePage(index, page);
        expected.set(page.subarray(0, Math.min(512, size - index * 512)), index * 512);
      }
      store.setSize(size);
      store.sync();
      const small = read(store, 3 * 512);
      expect(small.lengths).toEqual([...Array(13).fill(1536), 512 + 100]);
      // The gaps read as zeros, even where the reused array held a page before.
      expect(small.joined).toEqual(expected);
      // One chunk of more pages than one query of the Durable Object store reads.
      expect(read(store, 64 * 512).joined).toEqual(expected);
      // A page staged by a transaction in progress is what a reader sees.
      const staged = pageOf(5, 77);
      store.writePage(5, staged);
      expected.set(staged, 5 * 512);
      expect(read(store, 64 * 512).joined).toEqual(expected);
      store.rollback();
    }
    opened.close();
  });
});
