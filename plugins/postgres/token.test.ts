import { describe, expect, it } from "vitest";
import { decodeToken, encodeToken, nextToken } from "./token.ts";

describe("page tokens", () => {
  it("round-trip a cursor and are URL-safe", () => {
    const token = encodeToken({ after: "4294967295" });
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeToken(token)).toEqual({ after: "4294967295" });
    expect(decodeToken("")).toBeUndefined();
  });

  it("reject tokens that are not ours", () => {
    expect(() => decodeToken("%%%")).toThrow(/invalid page token/);
    expect(() => decodeToken(btoa(JSON.stringify({ after: "1; drop" })))).toThrow(/bad cursor/);
  });

  it("ends a listing when a page is not over-full", () => {
    const rows = [{ oid: "1" }, { oid: "2" }, { oid: "3" }];
    expect(nextToken(rows, 3, (r) => r.oid)).toEqual({ rows });
    const page = nextToken(rows, 2, (r) => r.oid);
    expect(page.rows).toEqual(rows.slice(0, 2));
    expect(decodeToken(page.next as string)).toEqual({ after: "2" });
  });
});
