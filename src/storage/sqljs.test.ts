import { describe, expect, it } from "vitest";
import { sqlJsEngine } from "./sqljs-engine.ts";

describe("sql.js in memory: vacuum()", () => {
  it("packs the file, keeps the data and the journal mode (a file on chunks)", async () => {
    const db = (await sqlJsEngine()).open();
    db.exec("create table t (id integer primary key, v blob)");
    const insert = db.prepare("insert into t (v) values (randomblob(2000))");
    db.transaction(() => {
      for (let i = 0; i < 500; i++) insert.run();
    });
    db.exec("delete from t where id > 250");
    const one = (sql: string) => Object.values(db.prepare(sql).get() ?? {})[0];
    expect(Number(one("pragma freelist_count"))).toBeGreaterThan(100);
    const before = Number(one("pragma page_count"));
    db.vacuum();
    expect(Number(one("pragma freelist_count"))).toBe(0);
    expect(Number(one("pragma page_count"))).toBeLessThan(before * 0.7);
    expect(one("select count(*) from t")).toBe(250);
    expect(one("pragma integrity_check")).toBe("ok");
    expect(one("pragma journal_mode")).toBe("truncate");
    // A failing transaction still rolls back after it (the journal is back).
    expect(() =>
      db.transaction(() => {
        db.exec("delete from t");
        throw new Error("undo");
      }),
    ).toThrow("undo");
    expect(one("select count(*) from t")).toBe(250);
    db.close();
  });
});
