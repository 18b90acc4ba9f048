/**
 * The reviewer's tools at size: XLSX and CSV export, the diff of two syncs, and
 * an explorer search page, each in its own child process so its peak RSS is its
 * own. The store is built first; `rssOverStoreMiB` is how far the operation
 * raised the peak above the built store, the number that must not grow with the
 * grant count. Prints JSON lines; never passes or fails on time.
 *
 *   npx tsx bench/review.ts                           # 100k and 1M grants
 *   npx tsx bench/review.ts --grants=100000 --cases=export-xlsx,diff
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createC1z, type SqliteC1zStore } from "../src/c1z/index.ts";
import { entitlement, grant, group, resourceType, user } from "../src/model/builders.ts";
import type { Grant, Resource } from "../src/model/types.ts";
import { resourcesOfType } from "../src/review/browse.ts";
import { csvChunks } from "../src/review/csv.ts";
import { diffCounts } from "../src/review/diff.ts";
import { exportRows } from "../src/review/export-rows.ts";
import { xlsxChunks } from "../src/review/xlsx.ts";

const GROUPS = 100;
const BATCH = 10_000;
const CASES = ["export-xlsx", "export-csv", "diff", "explorer-search"] as const;
type Case = (typeof CASES)[number];

const print = (line: Record<string, unknown>) => console.log(JSON.stringify(line));
const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const seconds = (from: number) => Math.round((performance.now() - from) / 10) / 100;

function argList(name: string, fallback: string): string[] {
  const flag = process.argv.find((arg) => arg.startsWith(`--${name}=`));
  return (flag?.slice(name.length + 3) ?? fallback).split(",").filter(Boolean);
}

/** One full sync: `grants / perUser` users, each a member of `perUser` groups; variant 1 changes a few. */
function fillSync(store: SqliteC1zStore, grants: number, variant: number, perUser = GROUPS): void {
  const users = Math.ceil(grants / perUser);
  store.startSync("full");
  const userType = resourceType({ displayName: "User", traits: ["user"] });
  store.putResourceTypes([userType, resourceType({ displayName: "Group", traits: ["group"] })]);
  const groups: Resource[] = [];
  for (let g = 0; g < GROUPS; g++) groups.push(group({ id: `group-${g}`, displayName: `Group ${g}` }));
  store.putResources(groups);
  store.putEntitlements(groups.map((g) => entitlement(g, "member", { grantableTo: [userType] })));
  let resources: Resource[] = [];
  let batch: Grant[] = [];
  for (let u = 0; u < users; u++) {
    // The second sync renames every 100th user and drops every 1000th one's last membership.
    const renamed = variant === 1 && u % 100 === 0;
    const person = user({
      id: `user-${u}`,
      displayName: renamed ? `User ${u} (renamed)` : `User ${u}`,
      emails: [{ address: `user-${u}@example.com`, primary: true }],
      profile: { first_name: `First${u}`, last_name: `Last${u}`, user_id: `U${u}` },
    });
    resources.push(person);
    for (let g = 0; g < perUser && u * perUser + g < grants; g++) {
      if (variant === 1 && u % 1000 === 0 && g === perUser - 1) continue;
      batch.push(grant(groups[(u + g) % GROUPS], "member", person.id!));
    }
    if (resources.length === BATCH) {
      store.putResources(resources);
      resources = [];
    }
    if (batch.length >= BATCH) {
      store.putGrants(batch);
      batch = [];
    }
  }
  store.putResources(resources);
  store.putGrants(batch);
  store.markSupportsDiff();
  store.endSync();
}

async function runCase(kind: Case, grants: number): Promise<void> {
  const store = await createC1z({ engine: "sqljs" });
  // The explorer case: as many users (resources) as grants, one membership each.
  fillSync(store, grants, 0, kind === "explorer-search" ? 1 : GROUPS);
  if (kind === "diff") fillSync(store, grants, 1);
  const runs = store.listSyncs();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage().rss);
  };
  const started = performance.now();
  const line: Record<string, unknown> = { bench: "review", case: kind, grants, engine: store.engine };
  if (kind === "export-xlsx" || kind === "export-csv") {
    let bytes = 0;
    let chunks = 0;
    const source =
      kind === "export-xlsx" ? xlsxChunks(exportRows(store, runs[0].syncId)) : csvChunks(store, runs[0].syncId);
    for (const chunk of source) {
      bytes += typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.length;
      if (++chunks % 64 === 0) sample();
    }
    line.outputMiB = mib(bytes);
  } else if (kind === "diff") {
    const counts = diffCounts({ store, syncId: runs[0].syncId }, { store, syncId: runs[1].syncId });
    line.counts = counts;
  } else {
    // The worst search: no resource matches; the first one also builds the type's name index.
    const searchStarted = performance.now();
    const found = resourcesOfType(store, runs[0].syncId, "user", { query: "no such user", limit: 50 });
    line.resources = found.total;
    line.firstSearchMs = Math.round(performance.now() - searchStarted);
    const againStarted = performance.now();
    const again = resourcesOfType(store, runs[0].syncId, "user", { query: "User 4242", limit: 50 });
    line.nextSearchMs = Math.round(performance.now() - againStarted);
    line.nextSearchItems = again.items.length;
    const first = resourcesOfType(store, runs[0].syncId, "user", { limit: 50 });
    const pageStarted = performance.now();
    const far = resourcesOfType(store, runs[0].syncId, "user", { after: "user:user-9", limit: 50 });
    line.laterPageMs = Math.round(performance.now() - pageStarted);
    line.firstPageItems = first.items.length;
    line.laterPageItems = far.items.length;
  }
  sample();
  line.seconds = seconds(started);
  line.storeRssMiB = mib(baseline);
  line.rssOverStoreMiB = mib(peak - baseline);
  try {
    line.peakRssMiB = mib(process.resourceUsage().maxRSS * 1024);
  } catch {
    // resourceUsage is not everywhere
  }
  print(line);
  store.close();
}

const child = process.argv.find((arg) => arg.startsWith("--child="));
if (child) {
  const [kind, grants] = child.slice(8).split(":");
  await runCase(kind as Case, Number(grants));
} else {
  const self = fileURLToPath(import.meta.url);
  for (const grants of argList("grants", "100000,1000000").map(Number)) {
    for (const kind of argList("cases", CASES.join(","))) {
      const result = spawnSync(process.execPath, [...process.execArgv, self, `--child=${kind}:${grants}`], {
        stdio: ["ignore", "inherit", "inherit"],
        env: process.env,
        timeout: 60 * 60_000,
      });
      if (result.status !== 0) print({ bench: "review", case: kind, grants, error: `exit ${result.status}` });
    }
  }
}
