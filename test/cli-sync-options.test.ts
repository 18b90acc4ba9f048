/**
 * The sync-shaping flags of a `baton-<app>` binary, through the real CLI process,
 * checked on the written file with our reader: resources-only, type filter,
 * targeted sync, empty full sync, and BATON_FILE from the environment.
 */
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readC1zFile } from "../src/c1z/file.ts";
import { runCli, tempDir } from "./cli-support.ts";

const work = tempDir("sync-options");
afterAll(() => work.cleanup());

async function inspect(file: string) {
  const store = await readC1zFile(path.join(work.dir, file));
  try {
    const sync = store.listSyncs().at(-1)!;
    const ids = (list: { items: { id?: { resourceType: string } }[] }) => list.items.map((r) => r.id!.resourceType);
    return {
      type: sync.syncType,
      finished: sync.endedAt !== null,
      resourceTypes: store
        .listResourceTypes({ syncId: sync.syncId })
        .items.map((rt) => rt.id)
        .sort(),
      resourceTypeOfResources: [...new Set(ids(store.listResources({ syncId: sync.syncId })))].sort(),
      resources: store
        .listResources({ syncId: sync.syncId })
        .items.map((r) => `${r.id!.resourceType}:${r.id!.resource}`),
      entitlements: store.listEntitlements({ syncId: sync.syncId }).items.length,
      grants: store.listGrants({ syncId: sync.syncId }).items.length,
    };
  } finally {
    store.close();
  }
}

describe("sync flags", () => {
  it("--skip-entitlements-and-grants writes a resources_only sync", async () => {
    const result = await runCli(["demo", "-f", "ro.c1z", "--skip-entitlements-and-grants"], { cwd: work.dir });
    expect(result.code, result.stderr).toBe(0);
    const got = await inspect("ro.c1z");
    expect(got).toMatchObject({ type: "resources_only", finished: true, entitlements: 0, grants: 0 });
    expect(got.resources).toHaveLength(38);
  });

  it("--sync-resource-types (env form) limits the sync to those types", async () => {
    const result = await runCli(["demo", "-f", "types.c1z"], {
      cwd: work.dir,
      env: { BATON_SYNC_RESOURCE_TYPES: "user,group" },
    });
    expect(result.code, result.stderr).toBe(0);
    const got = await inspect("types.c1z");
    expect(got.resourceTypes).toEqual(["group", "user"]);
    expect(got.resourceTypeOfResources).toEqual(["group", "user"]);
  });

  it("--sync-resources runs a partial sync of the named resources", async () => {
    const result = await runCli(
      ["demo", "-f", "partial.c1z", "--sync-resources", "group:g-02", "--sync-resources", "bid:r:user/u-0003"],
      {
        cwd: work.dir,
      },
    );
    expect(result.code, result.stderr).toBe(0);
    const got = await inspect("partial.c1z");
    expect(got.type).toBe("partial");
    expect(got.resources).toEqual(expect.arrayContaining(["group:g-02", "user:u-0003"]));
    expect(got.resources).not.toContain("user:u-0004");
  });

  it("--skip-full-sync ends an empty full sync; BATON_FILE picks the file", async () => {
    const result = await runCli(["demo", "--skip-full-sync"], { cwd: work.dir, env: { BATON_FILE: "empty.c1z" } });
    expect(result.code, result.stderr).toBe(0);
    expect(await inspect("empty.c1z")).toMatchObject({ type: "full", finished: true, resources: [], grants: 0 });
  });
});
