/**
 * The README quickstart and the provisioning round trip, through the real
 * `node bin/baton-edge.js` process in a temp directory. The files it writes are
 * checked with our reader, the zstd and sqlite3 command lines and, when Go is
 * present, baton-sdk's own reader.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readC1zFile } from "../src/c1z/file.ts";
import { cleanEnv, repoRoot, runCli, tempDir } from "./cli-support.ts";
import { ourListing } from "./interop/our-listing.ts";
import { findCommand, goInterop, goList, sqlite3, zstdDecompress } from "./interop/tools.ts";

const zstd = findCommand("zstd");
const sqlite = findCommand("sqlite3");
const go = goInterop();
for (const tool of [zstd, sqlite, go]) if (!tool.ok) console.warn(`cli-demo: skipping a check: ${tool.reason}`);

const work = tempDir("quickstart");
afterAll(() => work.cleanup());
const file = path.join(work.dir, "sync.c1z");

async function grantIds(entitlementId: string): Promise<string[]> {
  const store = await readC1zFile(file);
  try {
    const ids: string[] = [];
    let pageToken = "";
    do {
      const page = store.listGrants({ entitlementId, pageToken });
      ids.push(...page.items.map((g) => g.id));
      pageToken = page.nextPageToken;
    } while (pageToken);
    return ids;
  } finally {
    store.close();
  }
}

describe("README quickstart: npx baton-edge demo", () => {
  let first: Awaited<ReturnType<typeof runCli>>;
  beforeAll(async () => {
    first = await runCli(["demo"], { cwd: work.dir });
  });

  it("writes sync.c1z in the working directory with the demo organisation", async () => {
    expect(first.code, first.stderr).toBe(0);
    const bytes = readFileSync(file);
    expect(bytes.subarray(0, 5).toString("latin1")).toBe("C1ZF\0");
    const store = await readC1zFile(file);
    try {
      const syncs = store.listSyncs();
      expect(syncs).toHaveLength(1);
      expect(syncs[0].syncType).toBe("full");
      expect(syncs[0].endedAt).not.toBeNull();
      const listing = ourListing(store);
      // Default size: 25 users, 6 groups, 3 roles, 1 app and ceil(6/2) = 3 projects under the app.
      expect(listing.resources).toHaveLength(38);
      expect(listing.resourceTypes.map((rt) => rt.id).sort()).toEqual(["app", "group", "project", "role", "user"]);
      const projects = listing.resources.filter((r) => r.resourceType === "project");
      expect(projects.map((p) => `${p.parentResourceType}:${p.parentResource}`)).toEqual([
        "app:demo",
        "app:demo",
        "app:demo",
      ]);
      // 6 group members + 3 role assignments + 1 app access + 2 static slugs × 3 projects.
      expect(listing.entitlements).toHaveLength(16);
      // Nested groups make expansion matter. The demo nests group i inside group floor(i/2), so every
      // source of an expanded group membership must be a group nested (transitively) under the target.
      const groupNumber = (entitlementId: string) => Number(/^group:g-(\d+):member$/.exec(entitlementId)?.[1]);
      const nestedUnder = (inner: number, outer: number) => {
        for (let n = inner; n >= 1; n = Math.floor(n / 2)) if (n === outer) return true;
        return false;
      };
      const expandedMemberships = listing.grants.filter(
        (g) => g.entitlementId?.startsWith("group:") && Object.keys(g.sources).some((s) => s !== g.entitlementId),
      );
      expect(expandedMemberships.length).toBeGreaterThan(0);
      for (const g of expandedMemberships) {
        for (const source of Object.keys(g.sources).filter((s) => s !== g.entitlementId)) {
          expect(nestedUnder(groupNumber(source), groupNumber(g.entitlementId!)), `${g.id} from ${source}`).toBe(true);
        }
      }
      // Group 1 (the root) reaches members of every other group through expansion.
      const rootMembers = new Set(
        listing.grants
          .filter((g) => g.entitlementId === "group:g-01:member")
          .map((g) => `${g.principalType}:${g.principal}`),
      );
      const anyGroupMembers = new Set(
        listing.grants
          .filter((g) => g.entitlementId?.startsWith("group:") && g.principalType === "user")
          .map((g) => `${g.principalType}:${g.principal}`),
      );
      expect([...anyGroupMembers].filter((m) => !rootMembers.has(m))).toEqual([]);
    } finally {
      store.close();
    }
  });

  it.skipIf(!zstd.ok || !sqlite.ok)("is a zstd frame of a SQLite database whose counts match the log line", () => {
    if (!zstd.ok || !sqlite.ok) return;
    const db = path.join(work.dir, "quickstart.db");
    writeFileSync(db, zstdDecompress(zstd.value, readFileSync(file)));
    const count = (table: string) => Number(sqlite3(sqlite.value, db, `SELECT count(*) FROM ${table}`).trim());
    const finished = JSON.parse(first.stderr.trim().split("\n").at(-1)!) as Record<string, number | string>;
    expect(finished.msg).toBe("sync finished");
    expect(count("v1_resources")).toBe(38);
    expect(count("v1_resources")).toBe(finished.resources);
    expect(count("v1_entitlements")).toBe(finished.entitlements);
    expect(count("v1_grants")).toBe(finished.grants);
    expect(sqlite3(sqlite.value, db, "PRAGMA integrity_check").trim()).toBe("ok");
  });

  it("is read by our inspector with the same counts as the reader", async () => {
    const result = await runCli(["stats", "-f", file, "--output", "json"], { cwd: work.dir });
    expect(result.code, result.stderr).toBe(0);
    const stats = JSON.parse(result.stdout).stats as Record<string, string>;
    const store = await readC1zFile(file);
    try {
      const listing = ourListing(store);
      expect(Number(stats.resources)).toBe(listing.resources.length);
      expect(Number(stats.entitlements)).toBe(listing.entitlements.length);
      expect(Number(stats.grants)).toBe(listing.grants.length);
    } finally {
      store.close();
    }
  });

  it.skipIf(!go.ok)("reads the same through baton-sdk's Go reader", async () => {
    const theirs = goList(file);
    const store = await readC1zFile(file);
    try {
      expect(theirs).toEqual(ourListing(store));
    } finally {
      store.close();
    }
  });
});

describe("the literal README command", () => {
  const npx = path.join(path.dirname(process.execPath), "npx");
  it.skipIf(!existsSync(npx))(
    "npx baton-edge demo (npm exec of this package, offline) writes sync.c1z in the working directory",
    async () => {
      const dir = tempDir("npx");
      try {
        const { spawnSync } = await import("node:child_process");
        const result = spawnSync(npx, ["--prefix", repoRoot, "--offline", "baton-edge", "demo"], {
          cwd: dir.dir,
          encoding: "utf8",
          env: cleanEnv(),
          timeout: 120_000,
        });
        expect(result.status, result.stderr).toBe(0);
        const store = await readC1zFile(path.join(dir.dir, "sync.c1z"));
        try {
          expect(store.listSyncs().map((s) => s.syncType)).toEqual(["full"]);
          expect(store.stats().resources).toBe(38);
        } finally {
          store.close();
        }
      } finally {
        dir.cleanup();
      }
    },
  );
});

describe("grant → sync → revoke → sync, through the CLI", () => {
  const grantArgs = [
    "demo",
    "--grant-entitlement",
    "role:auditor:assigned",
    "--grant-principal",
    "u-0005",
    "--grant-principal-type",
    "user",
    "--log-format",
    "json",
  ];
  const grant = "role:auditor:assigned:user:u-0005";

  it("shows a granted entitlement in the next sync, and reports a repeat as already done", async () => {
    expect(await grantIds("role:auditor:assigned")).not.toContain(grant);
    const granted = await runCli(grantArgs, { cwd: work.dir });
    expect(granted.code, granted.stderr).toBe(0);
    expect(granted.stderr).toMatch(/"msg":"grant created"/);
    // Before the next sync the file is unchanged: grants come from the application, not from our write.
    expect(await grantIds("role:auditor:assigned")).not.toContain(grant);

    const again = await runCli(grantArgs, { cwd: work.dir });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/GrantAlreadyExists/);

    const synced = await runCli(["demo"], { cwd: work.dir });
    expect(synced.code, synced.stderr).toBe(0);
    expect(await grantIds("role:auditor:assigned")).toContain(grant);
  });

  it("drops a revoked grant in the next sync, and reports a repeat as already done", async () => {
    const revoked = await runCli(["demo", "--revoke-grant", grant, "--log-format", "json"], { cwd: work.dir });
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stderr).toMatch(/"msg":"grant revoked"/);
    const again = await runCli(["demo", "--revoke-grant", grant], { cwd: work.dir });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/GrantAlreadyRevoked/);

    const synced = await runCli(["demo"], { cwd: work.dir });
    expect(synced.code, synced.stderr).toBe(0);
    expect(await grantIds("role:auditor:assigned")).not.toContain(grant);
  });

  it("fails a grant of an entitlement the c1z does not hold with exit 1, naming it", async () => {
    const result = await runCli(
      [
        "demo",
        "--grant-entitlement",
        "role:nope:assigned",
        "--grant-principal",
        "u-0001",
        "--grant-principal-type",
        "user",
      ],
      { cwd: work.dir },
    );
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/entitlement role:nope:assigned not found in the c1z/);
  });

  it("creates an account that the next sync lists, without printing its password", async () => {
    const created = await runCli(
      [
        "demo",
        "--create-account-login",
        "newbie",
        "--create-account-email",
        "newbie@example.com",
        "--log-format",
        "json",
      ],
      { cwd: work.dir },
    );
    expect(created.code, created.stderr).toBe(0);
    const line = JSON.parse(created.stderr.trim().split("\n").at(-1)!) as Record<string, unknown>;
    expect(line).toMatchObject({ msg: "account success", credentials: 1, resource: "user:u-newbie" });
    expect(created.stdout).toBe("");
    const deleted = await runCli(["demo", "--delete-resource", "u-0001", "--delete-resource-type", "user"], {
      cwd: work.dir,
    });
    expect(deleted.code, deleted.stderr).toBe(0);
    expect((await runCli(["demo"], { cwd: work.dir })).code).toBe(0);
    const store = await readC1zFile(file);
    try {
      const ids = store.listResources({ resourceTypeId: "user" }).items.map((r) => r.id!.resource);
      expect(ids).toContain("u-newbie");
      expect(ids).not.toContain("u-0001");
    } finally {
      store.close();
    }
  });
});

describe("a failed sync never replaces the good file", () => {
  it("keeps the previous bytes when the plugin fails mid-sync", async () => {
    const dir = tempDir("failing");
    try {
      const pluginDir = path.join(dir.dir, "plugins", "flaky");
      const { mkdirSync } = await import("node:fs");
      mkdirSync(pluginDir, { recursive: true });
      writeFileSync(path.join(dir.dir, "package.json"), '{ "type": "module" }\n');
      writeFileSync(
        path.join(pluginDir, "index.ts"),
        `import { definePlugin, resourceType, user, v } from "${path.join(import.meta.dirname, "../src/plugins/sdk.ts")}";
export default definePlugin({
  name: "flaky",
  displayName: "Flaky",
  config: v.object({ fail: v.optional(v.boolean(), false) }),
  connect: (config) => config,
  resourceTypes: [{
    resourceType: resourceType({ displayName: "User", traits: ["user"] }),
    async list(_parent, ctx) {
      if (ctx.client.fail) throw new Error("the application is down");
      return { items: [user({ id: "1", displayName: "One" })] };
    },
    entitlements: async () => ({ items: [] }),
    grants: async () => ({ items: [] }),
  }],
});
`,
      );
      const env = { BATON_PLUGINS_DIR: path.join(dir.dir, "plugins") };
      const good = await runCli(["flaky", "-f", "out.c1z"], { cwd: dir.dir, env });
      expect(good.code, good.stderr).toBe(0);
      const before = readFileSync(path.join(dir.dir, "out.c1z"));
      const failed = await runCli(["flaky", "-f", "out.c1z", "--fail"], { cwd: dir.dir, env });
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/the application is down/);
      expect(readFileSync(path.join(dir.dir, "out.c1z")).equals(before)).toBe(true);
    } finally {
      dir.cleanup();
    }
  });
});

describe("on a terminal", () => {
  const script = findCommand("script");
  if (!script.ok) console.warn(`cli-demo: skipping the TTY check: ${script.reason}`);
  it.skipIf(!script.ok)("shows a progress line and console-format logs", async () => {
    if (!script.ok) return;
    const dir = tempDir("tty");
    try {
      const { spawnSync } = await import("node:child_process");
      const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(import.meta.dirname, "../bin/baton-edge.js"))} demo -f tty.c1z --users 50`;
      // util-linux script(1) runs the command on a pseudo-terminal, so stderr.isTTY is true.
      const result = spawnSync(script.value, ["-qec", command, "/dev/null"], {
        cwd: dir.dir,
        encoding: "utf8",
        timeout: 120_000,
      });
      expect(result.status, result.stdout).toBe(0);
      expect(result.stdout).toContain("\r\x1b[2K");
      // The first progress event is always drawn; later ones at most every 100 ms, so assert only the shape.
      const drawn = result.stdout.split("\r\x1b[2K").slice(1);
      const shape = /^[a-z-]+(?: \d+%)?: \d+ resource types, \d+ resources, \d+ entitlements, \d+ grants \(\d+\/s\)/;
      expect(drawn.some((line) => shape.test(line))).toBe(true);
      expect(result.stdout).toMatch(/\tINFO\tsync finished\t/);
      expect(result.stdout).not.toMatch(/"msg":/);
    } finally {
      dir.cleanup();
    }
  });
});
