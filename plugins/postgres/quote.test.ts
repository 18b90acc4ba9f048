import { describe, expect, it } from "vitest";
import { assertNameLength, quoteIdent, quoteLiteral, quoteQualified } from "./quote.ts";

describe("quoteIdent", () => {
  it("doubles quotes and keeps dots, spaces and unicode inside one identifier", () => {
    expect(quoteIdent('x"; DROP TABLE orders; --')).toBe('"x""; DROP TABLE orders; --"');
    expect(quoteIdent("a.b")).toBe('"a.b"');
    expect(quoteIdent("Ünïcødé ☃ rôle")).toBe('"Ünïcødé ☃ rôle"');
    expect(quoteQualified('we"ird schema', "a.b")).toBe('"we""ird schema"."a.b"');
  });

  it("refuses empty names and NUL", () => {
    expect(() => quoteIdent("")).toThrow(/empty/);
    expect(() => quoteIdent("a\0b")).toThrow(/NUL/);
  });
});

describe("quoteLiteral", () => {
  it("doubles single quotes and refuses backslashes and NUL", () => {
    expect(quoteLiteral("O'Brien")).toBe("'O''Brien'");
    expect(() => quoteLiteral("a\\b")).toThrow(/backslash/);
    expect(() => quoteLiteral("a\0")).toThrow(/NUL/);
  });
});

describe("assertNameLength", () => {
  it("counts bytes, as NAMEDATALEN does", () => {
    expect(() => assertNameLength("a".repeat(63), "x")).not.toThrow();
    expect(() => assertNameLength("é".repeat(32), "the login")).toThrow(/64 bytes/);
  });
});
