/**
 * The web explorer in a real headless Chromium (Debian's `chromium`, driven by
 * playwright-core; no browser download): sign-in with a JWT, type → resource →
 * grants with counts that sqlite3 computes from the same c1z, the coloured diff
 * page, an export download, the sign-in page (and no data) without a token, and
 * hostile names rendering as text on every page. Screenshots go to
 * .tmp/artifacts/explorer/.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { serve } from "@hono/node-server";
import { SignJWT } from "jose";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import demo from "../plugins/demo/index.ts";
import { createAppWithServices } from "../src/http/app.ts";
import { createMemoryStateStore } from "../src/http/state/memory.ts";
import type { SyncRecord } from "../src/http/state/store.ts";
import { repoRoot } from "./cli-support.ts";
import { findCommand, sqlite3, zstdDecompress } from "./interop/tools.ts";
import { HOSTILE, hostileStore } from "./support/hostile-c1z.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const zstd = findCommand("zstd");
const sqlite = findCommand("sqlite3");
const missing = !existsSync(CHROMIUM)
  ? `${CHROMIUM} is not installed (Debian: apt-get install chromium)`
  : !zstd.ok
    ? zstd.reason
    : !sqlite.ok
      ? sqlite.reason
      : undefined;
if (missing) console.warn(`review-explorer-browser: skipping: ${missing}`);

const SECRET = "explorer-test-secret-of-at-least-32-bytes";
const auth = { mode: "jwt" as const, issuer: "https://issuer.test", audience: "baton-edge", hsSecret: SECRET };
const artifacts = path.join(repoRoot, ".tmp/artifacts/explorer");

function jwt(scope: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: auth.issuer, aud: auth.audience, sub: "reviewer", iat: now, exp: now + 900, scope })
    .setProtectedHeader({ alg: "HS256" })
    .sign(new TextEncoder().encode(SECRET));
}

function record(connector: string, id: string, c1zSyncId: string, bytes: number): SyncRecord {
  const at = "2026-12-01T10:00:00.000Z";
  return {
    id,
    connector,
    state: "succeeded",
    phase: "done",
    request: {},
    counts: { resourceTypes: 2, resources: 5, entitlements: 2, grants: 4 },
    expandedGrants: 0,
    warnings: [HOSTILE.script],
    error: null,
    phases: [{ phase: "done", at }],
    createdAt: at,
    startedAt: at,
    endedAt: at,
    durationMs: 1200,
    c1zSyncId,
    c1zBytes: bytes,
    c1zAvailable: true,
  };
}

describe.skipIf(missing !== undefined)("the explorer in headless Chromium", () => {
  const state = createMemoryStateStore();
  const { app } = createAppWithServices({
    connectors: [
      { name: "demo", plugin: demo, config: { users: 25, groups: 6, grants: 60 }, provisioning: true },
      { name: "hostile", plugin: demo, config: { users: 1, groups: 1, grants: 1 } },
    ],
    auth,
    state,
    log: () => {},
  });
  let server: ReturnType<typeof serve>;
  let base = "";
  let context: BrowserContext;
  let page: Page;
  let token = "";
  let profile = "";
  let demoDb = "";
  let latest = "";
  const errors: string[] = [];

  const api = async (pathname: string, init: RequestInit = {}) =>
    fetch(base + pathname, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) } });
  const sync = async () => {
    const started = await api("/v1/connectors/demo/syncs", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    const { location, id } = (await started.json()) as { location: string; id: string };
    await (await api(`${location}/events`)).text();
    return id;
  };
  const shot = (name: string) => page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
  let c1zSyncId = "";
  /** sqlite3 on the latest sync's c1z, restricted to that sync (the file keeps the previous one too). */
  const count = (table: string, where: string) =>
    Number(
      sqlite.ok
        ? sqlite3(
            sqlite.value,
            demoDb,
            `select count(*) from ${table} where sync_id = '${c1zSyncId}' and ${where}`,
          ).trim()
        : "0",
    );

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => {
        base = `http://127.0.0.1:${info.port}`;
        resolve();
      });
    });
    token = await jwt("sync:read sync:write provision");
    await sync();
    const grant = await api("/v1/connectors/demo/grants", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        entitlementId: "role:auditor:assigned",
        principal: { resourceType: "user", resource: "u-0005" },
      }),
    });
    expect(grant.status).toBe(201);
    latest = await sync();
    c1zSyncId = ((await (await api(`/v1/connectors/demo/syncs/${latest}`)).json()) as SyncRecord).c1zSyncId ?? "";
    const bytes = new Uint8Array(await (await api(`/v1/connectors/demo/syncs/${latest}/c1z`)).arrayBuffer());
    demoDb = path.join(mkdtempSync(path.join(tmpdir(), "explorer-db-")), "demo.db");
    if (zstd.ok) writeFileSync(demoDb, zstdDecompress(zstd.value, bytes));

    const hostile = await hostileStore();
    const hostileBytes = hostile.toBytes();
    const [older, newer] = hostile.listSyncs().map((run) => run.syncId);
    hostile.close();
    await state.putC1z("hostile", "h-1", hostileBytes);
    await state.putC1z("hostile", "h-2", hostileBytes);
    await state.putSync(record("hostile", "h-1", older, hostileBytes.length));
    await state.putSync({
      ...record("hostile", "h-2", newer, hostileBytes.length),
      createdAt: "2026-12-01T11:00:00.000Z",
    });

    profile = mkdtempSync(path.join(tmpdir(), "explorer-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      acceptDownloads: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("dialog", (dialog) => {
      errors.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
  }, 180_000);

  afterAll(async () => {
    await context?.close();
    await new Promise<void>(
      (resolve) => (server as unknown as Server | undefined)?.close(() => resolve()) ?? resolve(),
    );
    rmSync(profile, { recursive: true, force: true });
  });

  it("without a token: the sign-in page and no data, in the browser and over plain HTTP", async () => {
    await page.goto(`${base}/ui/c/demo`);
    await page.locator("#signin").waitFor();
    await shot("01-sign-in");
    expect(await page.locator("table").count()).toBe(0);
    expect(await page.locator("main").textContent()).not.toContain(latest);
    const shell = await fetch(`${base}/ui/c/demo/s/${latest}`);
    expect(shell.status).toBe(200);
    const shellText = await shell.text();
    expect(shellText).toContain('id="signin-template"');
    expect(shellText).not.toContain(latest);
    expect(shellText).not.toContain("User 1");
    const fragment = await fetch(`${base}/ui/f/c/demo/s/${latest}`);
    expect(fragment.status).toBe(401);
    expect(await fragment.text()).not.toContain("User");
    const download = await fetch(`${base}/ui/f/c/demo/s/${latest}/export.csv`);
    expect(download.status).toBe(401);
    const noReadScope = await fetch(`${base}/ui/f/c/demo`, {
      headers: { authorization: `Bearer ${await jwt("provision")}` },
    });
    expect(noReadScope.status).toBe(403);
  });

  it("signs in with a JWT and walks sync → type → resource → grants with sqlite3's counts", async () => {
    await page.locator("#token").fill(await jwt("sync:read"));
    await page.locator("#signin button").click();
    await page.locator('[data-testid="syncs"]').waitFor();
    expect(await page.locator('[data-testid="syncs"] tbody tr').count()).toBe(2);
    await shot("02-sync-history");

    await page.locator(`a[href="/ui/c/demo/s/${latest}"]`).first().click();
    await page.locator('[data-testid="types"]').waitFor();
    expect(page.url()).toBe(`${base}/ui/c/demo/s/${latest}`);
    for (const type of ["user", "group", "role"]) {
      const cell = page.locator(`tr[data-type="${type}"] [data-testid="resources"]`);
      expect(Number(await cell.textContent())).toBe(count("v1_resources", `resource_type_id = '${type}'`));
    }
    await shot("03-resource-types");

    await page.locator('tr[data-type="group"] a').click();
    await page.locator('[data-testid="resources"] tbody tr').first().waitFor();
    expect(Number(await page.locator('[data-testid="total"]').textContent())).toBe(
      count("v1_resources", "resource_type_id = 'group'"),
    );
    await page.locator('input[name="q"]').fill("Group 1");
    await page.locator('form[role="search"] button').click();
    await page.waitForURL(/q=Group\+1/);
    expect(await page.locator('[data-testid="resources"] tbody tr').count()).toBe(1);
    await shot("04-group-search");

    await page.locator('[data-testid="resources"] tbody a').first().click();
    await page.locator('[data-testid="grant-count"]').waitFor();
    const grants = count("v1_grants", "resource_type_id = 'group' and resource_id = 'g-01'");
    expect(grants).toBeGreaterThan(0);
    expect(Number(await page.locator('[data-testid="grant-count"]').textContent())).toBe(grants);
    expect(await page.locator('[data-testid="grants"] tbody tr').count()).toBe(Math.min(grants, 50));
    expect(Number(await page.locator('[data-testid="entitlement-count"]').textContent())).toBe(
      count("v1_entitlements", "resource_type_id = 'group' and resource_id = 'g-01'"),
    );
    await shot("05-group-grants");

    await page.locator('[data-testid="grants"] tbody a').first().click();
    await page.locator('[data-testid="access-count"]').waitFor();
    const principal = decodeURIComponent(new URL(page.url()).pathname.split("/").at(-1)!);
    expect(Number(await page.locator('[data-testid="access-count"]').textContent())).toBe(
      count("v1_grants", `principal_resource_id = '${principal}'`),
    );
    await shot("06-principal-access");
    await page.goBack();
    await page.locator('[data-testid="grant-count"]').waitFor();
  });

  it("opens the diff page with counts and colour, and downloads an export", async () => {
    await page.goto(`${base}/ui/c/demo`);
    await page.locator('[data-testid="syncs"]').waitFor();
    await page.locator('form[data-nav] button[type="submit"]').click();
    await page.locator('[data-testid="diff-counts"]').waitFor();
    const created = page.locator('tr[data-section="grants"] td[data-kind="created"]');
    expect(await created.textContent()).toBe("1");
    expect(await created.evaluate((cell) => getComputedStyle(cell).backgroundColor)).toBe("rgb(218, 251, 225)");
    expect(await page.locator('tr[data-section="resources"] td[data-kind="created"]').textContent()).toBe("0");
    expect(await page.locator('[data-testid="diff-grants"] tr.created').textContent()).toContain(
      "role:auditor:assigned:user:u-0005",
    );
    await shot("07-diff");

    await page.goto(`${base}/ui/c/demo/s/${latest}`);
    await page.locator('[data-testid="types"]').waitFor();
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.locator("a[data-download$='.csv']").click(),
    ]);
    const saved = path.join(profile, "export.csv");
    await download.saveAs(saved);
    expect(download.suggestedFilename()).toBe(`demo-${latest}.csv`);
    expect(readFileSync(saved, "utf8").split("\n")[0]).toMatch(/^Type,Last Name,First Name/);
  });

  it("renders hostile names as text on every page", async () => {
    const pages = [
      ["/ui/c/hostile", '[data-testid="syncs"]'],
      ["/ui/c/hostile/s/h-2", '[data-testid="types"]'],
      ["/ui/c/hostile/s/h-2/t/group", '[data-testid="resources"]'],
      ["/ui/c/hostile/s/h-2/t/user", '[data-testid="resources"]'],
      [`/ui/c/hostile/s/h-2/r/group/g-admins`, '[data-testid="grants"]'],
      [`/ui/c/hostile/s/h-2/r/group/${encodeURIComponent(HOSTILE.unicode)}`, '[data-testid="grants"]'],
      ["/ui/c/hostile/s/h-2/p/user/u-1", '[data-testid="grants"]'],
      ["/ui/c/hostile/diff", '[data-testid="diff-counts"]'],
    ] as const;
    const seen = new Set<string>();
    for (const [index, [url, ready]] of pages.entries()) {
      await page.goto(base + url);
      await page.locator(ready).waitFor();
      await shot(`hostile-${index + 1}`);
      const text = (await page.locator("main").textContent()) ?? "";
      for (const value of Object.values(HOSTILE)) if (text.includes(value.split("\n")[0])) seen.add(value);
      expect(await page.locator("main script, main img, main b").count(), url).toBe(0);
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), url).toBeUndefined();
    }
    for (const value of [
      HOSTILE.script,
      HOSTILE.img,
      HOSTILE.quoted,
      HOSTILE.unicode,
      HOSTILE.entities,
      HOSTILE.hyperlink,
    ]) {
      expect(seen, value).toContain(value);
    }
    expect(errors).toEqual([]);
  });
});
