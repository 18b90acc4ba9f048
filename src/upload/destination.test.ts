import { describe, expect, it } from "vitest";
import {
  DestinationError,
  describeDestination,
  expandKeyTemplate,
  inlineCredentialValues,
  parseDestination,
} from "./destination.ts";

describe("parseDestination", () => {
  it("parses the Go CLI's s3:// URI with region and endpoint, path-style for custom endpoints", () => {
    expect(parseDestination("s3://my-bucket/a/b/sync.c1z?region=eu-west-1&endpoint=http://127.0.0.1:9000")).toEqual({
      kind: "s3",
      bucket: "my-bucket",
      key: "a/b/sync.c1z",
      region: "eu-west-1",
      endpoint: "http://127.0.0.1:9000",
      forcePathStyle: true,
      credentials: undefined,
    });
    const aws = parseDestination("s3://my-bucket/sync.c1z");
    expect(aws).toMatchObject({ kind: "s3", forcePathStyle: false, region: undefined, endpoint: undefined });
    expect(parseDestination("s3://my-bucket/k?endpoint=https://x.example&pathStyle=false")).toMatchObject({
      forcePathStyle: false,
    });
  });

  it("takes inline credentials and never prints them", () => {
    const d = parseDestination("s3://AKID:se%2Fcret@my-bucket/sync.c1z?region=us-east-1");
    expect(d).toMatchObject({ credentials: { accessKeyId: "AKID", secretAccessKey: "se/cret" }, key: "sync.c1z" });
    expect(describeDestination(d)).toBe("s3://my-bucket/sync.c1z?region=us-east-1");
  });

  it("treats plain paths as files and r2:// as a Workers binding", () => {
    expect(parseDestination("out/sync.c1z")).toEqual({ kind: "file", path: "out/sync.c1z" });
    expect(parseDestination("r2://C1Z_BUCKET/x/{connector}.c1z")).toEqual({
      kind: "r2",
      binding: "C1Z_BUCKET",
      key: "x/{connector}.c1z",
    });
  });

  it.each([
    ["s3://Bad_Bucket/k", /invalid S3 bucket name "Bad_Bucket"/],
    ["s3://bucket", /has no object key/],
    ["s3://bucket/k?regoin=x", /unknown s3:\/\/ URI parameter "regoin"/],
    ["s3://bucket/k?endpoint=localhost:9000", /endpoint must be an http\(s\) URL/],
    ["gs://bucket/k", /unsupported c1z location scheme in "gs:\/\/…"/],
    ["r2://bad-name/k", /invalid R2 binding name/],
    ["", /empty c1z location/],
  ])("rejects %s with a message naming the problem", (input, message) => {
    expect(() => parseDestination(input)).toThrow(DestinationError);
    expect(() => parseDestination(input)).toThrow(message);
  });
});

describe("expandKeyTemplate", () => {
  it("fills {connector}, {syncId} and {date}", () => {
    expect(
      expandKeyTemplate("c1z/{connector}/{date}/{syncId}.c1z", {
        connector: "demo",
        syncId: "2abc",
        date: new Date("2026-11-28T23:59:59Z"),
      }),
    ).toBe("c1z/demo/2026-11-28/2abc.c1z");
  });

  it("never echoes the location (it may carry inline credentials) in its error", () => {
    const attempt = () => expandKeyTemplate("s3://AKID:topsecret@bucket/{tenant}.c1z", { connector: "a", syncId: "b" });
    expect(attempt).toThrow(/unknown placeholder \{tenant\}/);
    expect(attempt).not.toThrow(/topsecret/);
  });

  it("rejects unknown placeholders", () => {
    expect(() => expandKeyTemplate("{tenant}/x", { connector: "a", syncId: "b" })).toThrow(
      /unknown placeholder \{tenant\}/,
    );
  });
});

describe("inlineCredentialValues", () => {
  it("gives the key and secret as written and percent-decoded, for the redactor", () => {
    expect(inlineCredentialValues("s3://AKIAEXAMPLE:se%2Fcret@bucket/a@b.c1z?region=x").sort()).toEqual(
      ["AKIAEXAMPLE", "se%2Fcret", "se/cret"].sort(),
    );
    expect(inlineCredentialValues("s3://bucket/a@b.c1z")).toEqual([]);
    expect(inlineCredentialValues("/tmp/user:pw@host/x.c1z")).toEqual([]);
  });
});
