import { describe, expect, it } from "vitest";
import { parseArgs, UsageError } from "./args.ts";
import { RUN_FLAGS } from "./flags.ts";
import { parseResourceRef } from "./run-plugin.ts";

describe("parseArgs (pflag conventions)", () => {
  it("reads long, long=, short, bundled short and repeated list flags", () => {
    const parsed = parseArgs(
      [
        "-pf",
        "out.c1z",
        "--log-level=debug",
        "--sync-resource-types",
        "user",
        "--sync-resource-types=group",
        "--workers",
        "4",
        "extra",
      ],
      RUN_FLAGS,
    );
    expect(parsed.flags).toEqual({
      provisioning: true,
      file: "out.c1z",
      "log-level": "debug",
      "sync-resource-types": ["user", "group"],
      workers: "4",
    });
    expect(parsed.positionals).toEqual(["extra"]);
    expect(parseArgs(["-fsync2.c1z", "--provisioning=false"], RUN_FLAGS).flags).toEqual({
      file: "sync2.c1z",
      provisioning: "false",
    });
  });

  it("rejects unknown flags and missing values with the flag and its env var", () => {
    expect(() => parseArgs(["--nope"], RUN_FLAGS)).toThrow(new UsageError("unknown flag --nope"));
    expect(() => parseArgs(["-z"], RUN_FLAGS)).toThrow("unknown shorthand flag -z in -z");
    expect(() => parseArgs(["--workers"], RUN_FLAGS)).toThrow("flag --workers ($BATON_WORKERS) needs a value");
    expect(() => parseArgs(["-f"], RUN_FLAGS)).toThrow("flag -f, --file ($BATON_FILE) needs a value");
  });

  it("parses --sync-resources as type:id or a Baton resource id", () => {
    expect(parseResourceRef("user:42")).toMatchObject({ resourceType: "user", resource: "42" });
    expect(parseResourceRef("bid:r:group/eng")).toMatchObject({ resourceType: "group", resource: "eng" });
    expect(parseResourceRef("bid:r:org/o1/team/a\\/b")).toMatchObject({ resourceType: "team", resource: "a/b" });
    expect(() => parseResourceRef("nocolon")).toThrow(/--sync-resources \(\$BATON_SYNC_RESOURCES\)/);
  });
});
