/**
 * `baton-edge export xlsx|csv` read back by independent readers: Python's
 * openpyxl (from PyPI, scripts/setup-test-tools.sh) and Python's csv module.
 * The expected rows are built here from our reader's listings with Baton's
 * rules (cmd/baton/xlsx.go, csv.go), on Go's expanded vector and on a file of
 * hostile names.
 */
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readC1zFile, writeFileAtomic } from "../src/c1z/file.ts";
import type { SqliteC1zStore } from "../src/c1z/index.ts";
import { findAnnotation } from "../src/model/annotations.ts";
import { type Entitlement, type Grant, type Resource, UserTraitSchema } from "../src/model/types.ts";
import { repoRoot, runCli, tempDir } from "./cli-support.ts";
import { vectorsDir } from "./interop/tools.ts";
import { HOSTILE_VALUES, hostileStore } from "./support/hostile-c1z.ts";

const python = path.join(repoRoot, ".tmp/tools/venv/bin/python");
const hasOpenpyxl =
  existsSync(python) &&
  (() => {
    try {
      execFileSync(python, ["-c", "import openpyxl"], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  })();
if (!hasOpenpyxl) console.warn("review-export: skipping the openpyxl checks: run scripts/setup-test-tools.sh");
const pythonBin = existsSync(python) ? python : "python3";

const work = tempDir("export");
afterAll(() => work.cleanup());

const HEADERS = [
  "Type",
  "Last Name",
  "First Name",
  "User ID",
  "User Status",
  "Email Address",
  "Entitlement Display Name",
  "Entitlement",
  "Resource Type",
  "Resource Name",
  "Entitlement Description",
  "Entitlement Slug",
];

function all<T>(page: (token: string) => { items: T[]; nextPageToken: string }): T[] {
  const out: T[] = [];
  let token = "";
  do {
    const result = page(token);
    out.push(...result.items);
    token = result.nextPageToken;
  } while (token);
  return out;
}

/** Baton's rows, written out plainly from our reader's listings of the latest full sync. */
function expectedRows(store: SqliteC1zStore): string[][] {
  const syncId = store.latestFinishedSync("full")!.syncId;
  const types = all((pageToken) => store.listResourceTypes({ syncId, pageToken }));
  const resources = all((pageToken) => store.listResources({ syncId, pageToken }));
  const entitlements = all((pageToken) => store.listEntitlements({ syncId, pageToken }));
  const grants = all((pageToken) => store.listGrants({ syncId, pageToken }));
  const trait = (r: Resource | undefined) => (r ? findAnnotation(r.annotations, UserTraitSchema) : undefined);
  const profile = (r: Resource, key: string) => {
    const value = trait(r)?.profile?.[key];
    return typeof value === "string" ? value : "";
  };
  const email = (r: Resource) => trait(r)?.emails.find((e) => e.isPrimary)?.address ?? "";
  const statusName = (r: Resource) => {
    const status = trait(r)?.status;
    if (!status) return "Enabled";
    return ["Unknown", "Enabled", "Disabled", "Deleted"][status.status] ?? "Unknown";
  };
  const entitlementCells = (e: Entitlement) => [
    e.displayName,
    e.id,
    e.resource?.id?.resourceType ?? "",
    e.resource?.displayName ?? "",
    e.description,
    e.slug,
  ];
  const rows: string[][] = [HEADERS];
  const userTypes = types.filter((t) => t.traits.includes(1)).map((t) => t.id);
  for (const type of userTypes) {
    for (const r of resources.filter((x) => x.id?.resourceType === type && trait(x))) {
      rows.push([
        "Identity",
        profile(r, "last_name"),
        profile(r, "first_name"),
        profile(r, "user_id"),
        statusName(r),
        email(r),
        "",
        "",
        "",
        "",
        "",
        "",
      ]);
    }
  }
  for (const e of entitlements) rows.push(["Entitlement", "", "", "", "", "", ...entitlementCells(e)]);
  const byKey = new Map(resources.map((r) => [`${r.id?.resourceType}:${r.id?.resource}`, r]));
  const entitlementById = new Map(entitlements.map((e) => [e.id, e]));
  for (const g of grants as Grant[]) {
    const principal = byKey.get(`${g.principal?.id?.resourceType}:${g.principal?.id?.resource}`);
    if (!principal || !trait(principal)) continue;
    const e = entitlementById.get(g.entitlement!.id) ?? g.entitlement!;
    rows.push([
      "Grant",
      profile(principal, "last_name"),
      profile(principal, "first_name"),
      profile(principal, "user_id"),
      "",
      email(principal),
      ...entitlementCells(e),
    ]);
  }
  return rows;
}

const FORMULA_START = /^[=+\-@\t\r]/;

interface WorkbookDump {
  sheets: string[];
  rows: (string | null)[][];
  types: string[];
  freeze: string | null;
  widths: Record<string, number>;
  headerBold: boolean;
  quotePrefixed: string[];
}

function readXlsx(file: string): WorkbookDump {
  const script = `
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb[wb.sheetnames[0]]
rows, types, quoted = [], set(), []
for row in ws.iter_rows(max_col=12):
    rows.append([c.value for c in row])
    for c in row:
        if c.value is not None:
            types.add(c.data_type)
            if c.quotePrefix: quoted.append(c.value)
print(json.dumps({"sheets": wb.sheetnames, "rows": rows, "types": sorted(types), "freeze": ws.freeze_panes,
  "widths": {k: v.width for k, v in ws.column_dimensions.items()}, "headerBold": all(c.font.b for c in ws[1]),
  "quotePrefixed": quoted}))
`;
  return JSON.parse(
    execFileSync(pythonBin, ["-c", script, file], { encoding: "utf8", maxBuffer: 1 << 30 }),
  ) as WorkbookDump;
}

function readCsv(file: string): string[][] {
  const script = `
import csv, json, sys
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    print(json.dumps(list(csv.reader(f))))
`;
  return JSON.parse(
    execFileSync(pythonBin, ["-c", script, file], { encoding: "utf8", maxBuffer: 1 << 30 }),
  ) as string[][];
}

async function exportFile(c1z: string, format: "xlsx" | "csv"): Promise<string> {
  const out = path.join(work.dir, `${path.basename(c1z, ".c1z")}.${format}`);
  const result = await runCli(["export", format, "-f", c1z, "--out", out], { cwd: work.dir });
  expect(result.code, result.stderr).toBe(0);
  return out;
}

const cases = [
  { name: "Go's go-36zf-expanded.c1z", file: () => path.join(vectorsDir, "go-36zf-expanded.c1z") },
  { name: "a file of hostile names", file: () => path.join(work.dir, "hostile.c1z") },
];

beforeAll(async () => {
  const store = await hostileStore();
  await writeFileAtomic(path.join(work.dir, "hostile.c1z"), store.toBytes());
  store.close();
});

describe.each(cases)("export of $name", ({ file }) => {
  let expected: string[][] = [];
  beforeAll(async () => {
    const store = await readC1zFile(file());
    expected = expectedRows(store);
    store.close();
  });

  it.skipIf(!hasOpenpyxl)("openpyxl opens the XLSX: Sheet1, Baton's header, every row, text cells only", async () => {
    const dump = readXlsx(await exportFile(file(), "xlsx"));
    expect(dump.sheets).toEqual(["Sheet1"]);
    expect(dump.rows.map((row) => row.map((cell) => cell ?? ""))).toEqual(expected);
    expect(dump.types).toEqual(["s"]); // never a formula, a number or a date
    expect(dump.freeze).toBe("A2");
    expect(dump.headerBold).toBe(true);
    expect(Object.keys(dump.widths).sort()).toEqual("ABCDEFGHIJKL".split(""));
    const formulaLike = expected
      .slice(1)
      .flat()
      .filter((cell) => FORMULA_START.test(cell));
    expect([...dump.quotePrefixed].sort()).toEqual([...formulaLike].sort());
  });

  it("Python's csv module reads the CSV: the same rows, formula starts prefixed with an apostrophe", async () => {
    const rows = readCsv(await exportFile(file(), "csv"));
    expect(rows).toEqual(expected.map((row) => row.map((cell) => (FORMULA_START.test(cell) ? `'${cell}` : cell))));
  });
});

describe("the hostile file's export cells", () => {
  it("carry every hostile value verbatim, and the grant rows cover only user principals", async () => {
    const store = await readC1zFile(path.join(work.dir, "hostile.c1z"));
    const rows = expectedRows(store);
    store.close();
    const cells = new Set(rows.flat());
    for (const value of [HOSTILE_VALUES[0], HOSTILE_VALUES[4], HOSTILE_VALUES[5]]) expect(cells).toContain(value);
    expect(rows.filter((row) => row[0] === "Grant")).toHaveLength(2);
    expect(rows.filter((row) => row[0] === "Identity").map((row) => row[4])).toEqual(["Enabled", "Disabled"]);
  });

  it("--out - prints CSV; an unknown format is a usage error", async () => {
    const printed = await runCli(["export", "csv", "-f", path.join(work.dir, "hostile.c1z"), "--out", "-"], {
      cwd: work.dir,
    });
    expect(printed.code, printed.stderr).toBe(0);
    writeFileSync(path.join(work.dir, "printed.csv"), printed.stdout);
    expect(readCsv(path.join(work.dir, "printed.csv"))[0]).toEqual(HEADERS);
    const bad = await runCli(["export", "pdf"], { cwd: work.dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown export format "pdf"');
  });
});
