import { describe, expect, it } from "vitest";
import { queryNumber } from "./query.ts";
import { sqlJsEngine } from "./sqljs-engine.ts";

describe("queryNumber", () => {
  it("reads the first column of the row, binds parameters, and gives 0 for no row or NULL", async () => {
    const db = (await sqlJsEngine()).open();
    db.exec("create table t (name text, n integer); insert into t values ('a', 7), ('b', 9)");
    expect(queryNumber(db, "select n, name from t where name = ?", "b")).toBe(9);
    expect(queryNumber(db, "select max(n) from t")).toBe(9);
    expect(queryNumber(db, "select n from t where name = ?", "missing")).toBe(0);
    expect(queryNumber(db, "select max(n) from t where name = 'missing'")).toBe(0);
    expect(queryNumber(db, "pragma main.page_size")).toBe(4096);
    db.close();
  });
});
