import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir, toolsPresent } from "../../test/support/c1z-tools.ts";
import { nativeEngine, sqliteEngine } from "./index.ts";

const native = await nativeEngine();
const engines = native ? (["sqljs", "native"] as const) : (["sqljs"] as const);
const sqlite3 = toolsPresent("sqlite3");
const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe.each(engines)("SQLite engine %s", (choice) => {
  it("binds and returns text, integers, reals, blobs and NULL", async () => {
    const db = (await sqliteEngine(choice)).open();
    db.exec("create table t (a, b, c, d, e)");
    db.prepare("insert into t values (?, ?, ?, ?, ?)").run("x", 42, 1.5, Uint8Array.of(0, 255, 7), null);
    const row = db.prepare("select * from t").get()!;
    expect(row.a).toBe("x");
    expect(row.b).toBe(42);
    expect(row.c).toBe(1.5);
    expect(Array.from(row.d as Uint8Array)).toEqual([0, 255, 7]);
    expect(row.e).toBeNull();
    db.close();
  });

  it("rolls back a failed transaction, and a failed nested one to its savepoint", async () => {
    const db = (await sqliteEngine(choice)).open();
    db.exec("create table t (a integer primary key)");
    const insert = db.prepare("insert into t values (?)");
    expect(() =>
      db.transaction(() => {
        insert.run(1);
        throw new Error("boom");
      }),
    ).toThrow("boom");
    db.transaction(() => {
      insert.run(2);
      expect(() =>
        db.transaction(() => {
          insert.run(3);
          insert.run(2); // constraint violation
        }),
      ).toThrow();
    });
    expect(
      db
        .prepare("select a from t order by a")
        .all()
        .map((r) => r.a),
    ).toEqual([2]);
    db.close();
  });

  it.skipIf(!sqlite3)("serializes to a file the sqlite3 CLI reads; statements keep working afterwards", async () => {
    const engine = await sqliteEngine(choice);
    const db = engine.open();
    db.exec("create table t (a integer primary key, b text)");
    const insert = db.prepare("insert into t (b) values (?)");
    db.transaction(() => {
      for (let i = 0; i < 1000; i++) insert.run(`row ${i}`);
    });
    const bytes = db.serialize();
    insert.run("after serialize"); // sql.js frees statements on export; ours re-prepare
    expect([...db.prepare("select count(*) as n from t").iterate()][0].n).toBe(1001);
    const path = join(tmp.dir, `${choice}.db`);
    writeFileSync(path, bytes);
    expect(execFileSync("sqlite3", [path, "pragma integrity_check; select count(*) from t;"]).toString()).toBe(
      "ok\n1000\n",
    );
    const copy = engine.open(bytes);
    expect(copy.prepare("select b from t where a = ?").get(1000)?.b).toBe("row 999");
    copy.close();
    db.close();
  });
});

it("sql.js keeps its rollback journal on chunks beside the database, after a serialize too, and rolls back from it", async () => {
  const db = (await sqliteEngine("sqljs")).open();
  const mode = () => db.prepare("pragma journal_mode").get()?.journal_mode;
  expect(mode()).toBe("truncate");
  db.exec("create table t (a integer primary key, b text)");
  db.transaction(() => {
    for (let i = 0; i < 500; i++) db.prepare("insert into t (b) values (?)").run("x".repeat(200));
  });
  db.serialize();
  expect(mode()).toBe("truncate");
  // Rewrites pages that existed before the transaction: only the journal can restore them.
  expect(() =>
    db.transaction(() => {
      db.exec("update t set b = 'changed'");
      db.exec("delete from t where a > 10");
      throw new Error("boom");
    }),
  ).toThrow("boom");
  expect(db.prepare("select count(*) as n, min(b) as b from t").get()).toEqual({ n: 500, b: "x".repeat(200) });
  expect(db.prepare("pragma integrity_check").get()?.integrity_check).toBe("ok");
  db.close();
});

it("refuses a forced native engine when none exists, and falls back to sql.js by default", async () => {
  if (native) {
    expect((await sqliteEngine()).name).toBe(native.name);
  } else {
    await expect(sqliteEngine("native")).rejects.toThrow(/no native SQLite/);
    expect((await sqliteEngine()).name).toBe("sqljs");
  }
  expect((await sqliteEngine("sqljs")).name).toBe("sqljs");
});
