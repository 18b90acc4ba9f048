/**
 * `baton-edge diff` through the real CLI process: a grant, a revoke and a delete
 * on the demo between two syncs give exactly those changes; Go's unexpanded and
 * expanded vectors give the bucket counts sqlite3 computes from the raw tables.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, tempDir } from "./cli-support.ts";
import { findCommand, sqlite3, vectorsDir, zstdDecompress } from "./interop/tools.ts";

const zstd = findCommand("zstd");
const sqlite = findCommand("sqlite3");
const missing = [zstd, sqlite].find((tool) => !tool.ok);
if (missing && !missing.ok) console.warn(`review-diff: skipping: ${missing.reason}`);

const work = tempDir("diff");
afterAll(() => work.cleanup());

interface Message {
  id?: string | { resourceType: string; resource: string };
}
type Buckets = Partial<Record<"created" | "deleted" | "modified", Message[]>>;
type DiffOutput = Record<"resources" | "entitlements" | "grants", Buckets>;

async function cli(args: string[]) {
  const result = await runCli(args, { cwd: work.dir });
  expect(result.code, result.stderr).toBe(0);
  return result;
}

const idOf = (message: Message) =>
  typeof message.id === "string" ? message.id : `${message.id?.resourceType}:${message.id?.resource}`;
const ids = (bucket: Message[] | undefined) => (bucket ?? []).map(idOf).sort();

function lines(text: string): string[] {
  return text.trim() === "" ? [] : text.trim().split("\n");
}

describe.skipIf(missing !== undefined)("diff of two demo syncs around a grant, a revoke and a delete", () => {
  const file = path.join(work.dir, "sync.c1z");
  const before = path.join(work.dir, "before.db");
  const revoked = "role:developer:assigned:user:u-0009";
  const granted = "role:auditor:assigned:user:u-0005";
  let output: DiffOutput;
  let table = "";

  beforeAll(async () => {
    await cli(["demo"]);
    if (zstd.ok) writeFileSync(before, zstdDecompress(zstd.value, readFileSync(file)));
    await cli([
      "demo",
      "--grant-entitlement",
      "role:auditor:assigned",
      "--grant-principal",
      "u-0005",
      "--grant-principal-type",
      "user",
    ]);
    await cli(["demo", "--revoke-grant", revoked]);
    await cli(["demo", "--delete-resource", "u-0001", "--delete-resource-type", "user"]);
    await cli(["demo"]);
    output = JSON.parse((await cli(["diff", "-f", file, "--output", "json"])).stdout) as DiffOutput;
    table = (await cli(["diff", "-f", file])).stdout;
  }, 120_000);

  it("has Baton's C1ZDiffOutput shape: three sections, protojson objects in created/deleted/modified", () => {
    expect(Object.keys(output)).toEqual(["resources", "entitlements", "grants"]);
    for (const section of Object.values(output)) {
      for (const key of Object.keys(section)) expect(["created", "deleted", "modified"]).toContain(key);
    }
    const deletedUser = output.resources.deleted?.[0] as { displayName?: string; annotations?: { "@type": string }[] };
    expect(deletedUser.displayName).toBe("User 1");
    expect(deletedUser.annotations?.[0]["@type"]).toBe("type.googleapis.com/c1.connector.v2.UserTrait");
  });

  it("lists exactly the deleted user, the granted grant, and the revoked and deleted user's grants", () => {
    if (!sqlite.ok) return;
    expect(
      lines(sqlite3(sqlite.value, before, `select count(*) from v1_grants where external_id = '${revoked}'`)),
    ).toEqual(["1"]);
    expect(
      lines(sqlite3(sqlite.value, before, `select count(*) from v1_grants where external_id = '${granted}'`)),
    ).toEqual(["0"]);
    const userGrants = lines(
      sqlite3(
        sqlite.value,
        before,
        "select external_id from v1_grants where principal_resource_type_id = 'user' and principal_resource_id = 'u-0001'",
      ),
    );
    expect(userGrants.length).toBeGreaterThan(0);
    expect(ids(output.resources.deleted)).toEqual(["user:u-0001"]);
    expect(output.resources.created).toBeUndefined();
    expect(output.resources.modified).toBeUndefined();
    expect(output.entitlements).toEqual({});
    expect(ids(output.grants.created)).toEqual([granted]);
    expect(ids(output.grants.deleted)).toEqual([...userGrants, revoked].sort());
    expect(output.grants.modified).toBeUndefined();
  });

  it("prints a count table and one marked line per change by default", () => {
    expect(table).toMatch(/Resources\s+\| 0\s+\| 1\s+\| 0/);
    expect(table).toMatch(/Grants\s+\| 1\s+\| \d+\s+\| 0/);
    expect(table).toContain(`  + ${granted}  role:auditor:assigned → user:u-0005`);
    expect(table).toContain(`  - ${revoked}  role:developer:assigned → user:u-0009`);
    expect(table).toContain("  - user:u-0001  User 1");
  });

  it("--sync-id and --from-sync-id pick the syncs; a single sync cannot be diffed", async () => {
    const syncs = (JSON.parse((await cli(["syncs", "-f", file, "-o", "json"])).stdout) as { syncs: { id: string }[] })
      .syncs;
    expect(syncs).toHaveLength(2);
    const reversed = JSON.parse(
      (await cli(["diff", "-f", file, "-o", "json", "--sync-id", syncs[0].id, "--from-sync-id", syncs[1].id])).stdout,
    ) as DiffOutput;
    expect(ids(reversed.grants.deleted)).toEqual(ids(output.grants.created));
    expect(ids(reversed.resources.created)).toEqual(["user:u-0001"]);
    const single = await runCli(["diff", "-f", file, "--sync-id", syncs[0].id], { cwd: work.dir });
    expect(single.code).toBe(2);
    expect(single.stderr).toMatch(/cannot diff a single sync run/);
    const unknown = await runCli(["diff", "-f", file, "--sync-id", "nope"], { cwd: work.dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("--sync-id: no sync nope");
  });
});

describe.skipIf(missing !== undefined)("diff of Go's unexpanded and expanded vectors (two files)", () => {
  const from = path.join(vectorsDir, "go-36zf-unexpanded.c1z");
  const to = path.join(vectorsDir, "go-36zf-expanded.c1z");

  it("matches created / deleted / modified counts that sqlite3 computes on the raw tables", async () => {
    if (!zstd.ok || !sqlite.ok) return;
    const fromDb = path.join(work.dir, "unexpanded.db");
    const toDb = path.join(work.dir, "expanded.db");
    writeFileSync(fromDb, zstdDecompress(zstd.value, readFileSync(from)));
    writeFileSync(toDb, zstdDecompress(zstd.value, readFileSync(to)));
    const count = (sql: string) => Number(sqlite3(sqlite.value, fromDb, `attach '${toDb}' as newer; ${sql}`).trim());
    const expected: Record<string, Record<string, number>> = {};
    for (const [section, table] of [
      ["resources", "v1_resources"],
      ["entitlements", "v1_entitlements"],
      ["grants", "v1_grants"],
    ]) {
      expected[section] = {
        created: count(
          `select count(*) from newer.${table} n where not exists (select 1 from main.${table} o where o.external_id = n.external_id)`,
        ),
        deleted: count(
          `select count(*) from main.${table} o where not exists (select 1 from newer.${table} n where o.external_id = n.external_id)`,
        ),
        modified: count(
          `select count(*) from main.${table} o join newer.${table} n on o.external_id = n.external_id where o.data <> n.data`,
        ),
      };
    }
    expect(expected.grants.created).toBeGreaterThan(1000);
    expect(expected.grants.modified).toBeGreaterThan(0);
    const output = JSON.parse((await cli(["diff", "--from", from, "--to", to, "-o", "json"])).stdout) as DiffOutput;
    const counts = Object.fromEntries(
      Object.entries(output).map(([section, buckets]) => [
        section,
        {
          created: buckets.created?.length ?? 0,
          deleted: buckets.deleted?.length ?? 0,
          modified: buckets.modified?.length ?? 0,
        },
      ]),
    );
    expect(counts).toEqual(expected);
    const table = (await cli(["diff", "--from", from, "--to", to])).stdout;
    expect(table).toMatch(
      new RegExp(`Grants\\s+\\| ${expected.grants.created}\\s+\\| 0\\s+\\| ${expected.grants.modified}\\b`),
    );
  }, 120_000);

  it("--from without --to is a usage error", async () => {
    const result = await runCli(["diff", "--from", from], { cwd: work.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--from and --to go together");
  });
});
