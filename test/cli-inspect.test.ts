/**
 * The inspector commands over a c1z the Go SDK wrote (go-36zf-expanded.c1z),
 * through the real CLI process; every count is compared with sqlite3 on the
 * file decompressed by the zstd command line.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, tempDir } from "./cli-support.ts";
import { findCommand, sqlite3, vectorsDir, zstdDecompress } from "./interop/tools.ts";

const zstd = findCommand("zstd");
const sqlite = findCommand("sqlite3");
const missing = [zstd, sqlite].find((tool) => !tool.ok);
if (missing && !missing.ok) console.warn(`cli-inspect: skipping: ${missing.reason}`);
const vector = path.join(vectorsDir, "go-36zf-expanded.c1z");

const work = tempDir("inspect");
afterAll(() => work.cleanup());
const db = path.join(work.dir, "go.db");
const sql = (query: string) => (sqlite.ok ? sqlite3(sqlite.value, db, query) : "");
const count = (query: string) => Number(sql(query).trim());

async function json(args: string[]): Promise<Record<string, unknown>> {
  const result = await runCli([...args, "-f", vector, "--output", "json"], { cwd: work.dir });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

/** Data rows of a table printout: everything after the header and its rule. */
function tableRows(stdout: string): string[] {
  return stdout.trimEnd().split("\n").slice(2);
}

describe.skipIf(missing !== undefined)("inspector on Go's go-36zf-expanded.c1z", () => {
  beforeAll(() => {
    if (zstd.ok) writeFileSync(db, zstdDecompress(zstd.value, readFileSync(vector)));
  });

  it("stats: totals and per-type counts equal sqlite3's", async () => {
    const stats = (await json(["stats"])) as { id: string; syncType: string; stats: Record<string, unknown> };
    expect(stats.id).toBe(sql("SELECT sync_id FROM v1_sync_runs WHERE ended_at IS NOT NULL").trim());
    expect(stats.syncType).toBe("full");
    const s = stats.stats as Record<string, string | Record<string, string>>;
    expect(Number(s.resourceTypes)).toBe(count("SELECT count(*) FROM v1_resource_types"));
    expect(Number(s.resources)).toBe(count("SELECT count(*) FROM v1_resources"));
    expect(Number(s.entitlements)).toBe(count("SELECT count(*) FROM v1_entitlements"));
    expect(Number(s.grants)).toBe(count("SELECT count(*) FROM v1_grants"));
    expect(Number(s.grants)).toBe(14981);
    const byType = (table: string) =>
      Object.fromEntries(
        sql(`SELECT resource_type_id, count(*) FROM ${table} GROUP BY 1`)
          .trim()
          .split("\n")
          .map((line) => line.split("|")),
      );
    const nonZero = (map: Record<string, string>) =>
      Object.fromEntries(Object.entries(map).filter(([, n]) => n !== "0"));
    expect(nonZero(s.resourcesByResourceType as Record<string, string>)).toEqual(byType("v1_resources"));
    expect(nonZero(s.grantsByResourceType as Record<string, string>)).toEqual(byType("v1_grants"));
    expect(nonZero(s.entitlementsByResourceType as Record<string, string>)).toEqual(byType("v1_entitlements"));
  });

  it("syncs, resource-types, resources and entitlements list what the tables hold", async () => {
    const syncs = (await json(["syncs"])).syncs as { id: string }[];
    expect(syncs.map((s) => s.id)).toEqual(sql("SELECT sync_id FROM v1_sync_runs ORDER BY id").trim().split("\n"));
    const types = (await json(["resource-types"])).resourceTypes as { resourceType: { id: string } }[];
    expect(types.map((t) => t.resourceType.id).sort()).toEqual(
      sql("SELECT external_id FROM v1_resource_types ORDER BY 1").trim().split("\n"),
    );
    const users = await runCli(["resources", "-f", vector, "-t", "user"], { cwd: work.dir });
    expect(users.code, users.stderr).toBe(0);
    expect(tableRows(users.stdout)).toHaveLength(
      count("SELECT count(*) FROM v1_resources WHERE resource_type_id='user'"),
    );
    const all = await runCli(["resources", "-f", vector], { cwd: work.dir });
    expect(all.code, all.stderr).toBe(0);
    expect(tableRows(all.stdout)).toHaveLength(count("SELECT count(*) FROM v1_resources"));
    const ents = (await json(["entitlements", "-t", "project"])).entitlements as unknown[];
    expect(ents).toHaveLength(count("SELECT count(*) FROM v1_entitlements WHERE resource_type_id='project'"));
  });

  it("grants, principals and access agree with sqlite3 for one entitlement and one principal", async () => {
    const entitlement = sql(
      "SELECT entitlement_id FROM v1_grants GROUP BY entitlement_id ORDER BY count(*) DESC, entitlement_id LIMIT 1",
    ).trim();
    const grants = await runCli(["grants", "-f", vector, "-e", entitlement], { cwd: work.dir });
    expect(grants.code, grants.stderr).toBe(0);
    const expectedIds = sql(`SELECT external_id FROM v1_grants WHERE entitlement_id='${entitlement}' ORDER BY 1`)
      .trim()
      .split("\n");
    expect(
      tableRows(grants.stdout)
        .map((row) => row.split(" | ")[0].trim())
        .sort(),
    ).toEqual(expectedIds);

    const principals = (await json(["principals", "-e", entitlement])).resources as {
      resource: { id: { resource: string } };
    }[];
    expect(principals.map((p) => p.resource.id.resource).sort()).toEqual(
      sql(`SELECT DISTINCT principal_resource_id FROM v1_grants WHERE entitlement_id='${entitlement}' ORDER BY 1`)
        .trim()
        .split("\n"),
    );

    const user = sql(
      "SELECT principal_resource_id FROM v1_grants WHERE principal_resource_type_id='user' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
    ).trim();
    const access = (await json(["access", "-t", "user", "-r", user])) as {
      access: { entitlements: { id: string }[] }[];
    };
    const held = access.access.flatMap((a) => a.entitlements.map((e) => e.id)).sort();
    expect(held).toEqual(
      sql(
        `SELECT entitlement_id FROM v1_grants WHERE principal_resource_type_id='user' AND principal_resource_id='${user}' ORDER BY 1`,
      )
        .trim()
        .split("\n"),
    );
    const allGrants = await runCli(["grants", "-f", vector], { cwd: work.dir });
    expect(allGrants.code, allGrants.stderr).toBe(0);
    expect(tableRows(allGrants.stdout)).toHaveLength(14981);
  });

  it("principals without -e or -t/-r lists every principal of a grant once, as `baton principals` does", async () => {
    const principals = (await json(["principals"])).resources as {
      resource: { id: { resourceType: string; resource: string } };
    }[];
    const ids = principals.map((p) => `${p.resource.id.resourceType}:${p.resource.id.resource}`);
    expect(new Set(ids).size).toBe(ids.length);
    // Principals that are resources in the file (the CLI looks each one up, as Baton's storecache does).
    const expected = sql(
      `SELECT DISTINCT g.principal_resource_type_id || ':' || g.principal_resource_id FROM v1_grants g
       JOIN v1_resources r ON r.resource_type_id = g.principal_resource_type_id AND r.external_id = g.principal_resource_type_id || ':' || g.principal_resource_id
       ORDER BY 1`,
    )
      .trim()
      .split("\n");
    expect(ids.sort()).toEqual(expected);
    expect(expected.length).toBeGreaterThan(1);
    const partial = await runCli(["principals", "-f", vector, "-t", "user"], { cwd: work.dir });
    expect(partial.code).toBe(2);
    expect(partial.stderr).toContain("--resource-type (-t) and --resource (-r) are required together");
  });

  it("a missing file is a one-line error with exit 1; a bad --output is exit 2", async () => {
    const missingFile = await runCli(["stats", "-f", path.join(work.dir, "nope.c1z")], { cwd: work.dir });
    expect(missingFile.code).toBe(1);
    expect(missingFile.stderr.trim().split("\n")).toHaveLength(1);
    const badOutput = await runCli(["stats", "-f", vector, "--output", "xml"], { cwd: work.dir });
    expect(badOutput.code).toBe(2);
    expect(badOutput.stderr).toMatch(/--output \(\$BATON_OUTPUT\)/);
  });
});
