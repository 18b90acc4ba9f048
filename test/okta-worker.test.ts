/**
 * The okta plugin in the bundled Worker on workerd (`wrangler dev`), syncing the local
 * Okta over HTTPS through the HTTP API: workerd's own fetch, trusting the test CA that
 * miniflare reads from NODE_EXTRA_CA_CERTS. We read the c1z the Worker serves.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openC1z } from "../src/c1z/index.ts";
import { repoRoot } from "./cli-support.ts";
import { authEnv, mintJwt, startProcess, waitForOutput } from "./runtime-support.ts";
import { buildWorker, syncThroughWorker, writeWorkerConfig } from "./runtime-worker-support.ts";
import { factsOf } from "./support/okta-c1z.ts";
import { type LocalOkta, startLocalOkta } from "./support/okta-harness.ts";
import { freePort } from "./upload-support.ts";

const wrangler = join(repoRoot, "node_modules/.bin/wrangler");
if (!existsSync(wrangler)) console.warn("okta workerd test skipped: wrangler not installed");

describe.skipIf(!existsSync(wrangler))("okta plugin on workerd", () => {
  let local: LocalOkta;
  const scratch = mkdtempSync(join(tmpdir(), "baton-edge-okta-worker-"));
  beforeAll(async () => {
    local = await startLocalOkta({ maxPageSize: 100 });
  });
  afterAll(async () => {
    await local?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("the bundled Worker syncs the local Okta through the HTTP API", async () => {
    await buildWorker(repoRoot, scratch);
    const config = writeWorkerConfig(scratch, {
      vars: { ...authEnv(), BATON_DOMAIN: local.server.domain, BATON_API_TOKEN: local.server.token },
    });
    const port = await freePort();
    const server = startProcess(
      wrangler,
      ["dev", "-c", config, "--ip", "127.0.0.1", "--port", String(port), "--persist-to", join(scratch, "state")],
      {
        cwd: scratch,
        env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1", NODE_EXTRA_CA_CERTS: local.ca.caFile },
      },
    );
    try {
      await waitForOutput(server, /Ready on http/);
      const base = `http://127.0.0.1:${port}`;
      const headers = { authorization: `Bearer ${await mintJwt()}` };
      const facts = factsOf(await openC1z(await syncThroughWorker(base, "okta", headers)));
      expect(facts.resourceTypeIds).toEqual(["app", "device", "group", "role", "user"]);
      expect(facts.resourceIds.get("user")?.length).toBe(local.server.org.users.length);
      expect(facts.resourceIds.get("group")?.length).toBe(local.server.org.groups.length);
      expect(facts.grantIds.length).toBeGreaterThan(1000);
      expect(local.server.requests.some((r) => r.startsWith("GET /api/v1/users?") && r.includes("after="))).toBe(true);
      // wrangler prints the vars table at start; nothing after that may show the token.
      expect(server.output().split("Ready on")[1]).not.toContain(local.server.token);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- wrangler output ---\n${server.output().slice(-4000)}`);
    } finally {
      await server.stop();
    }
  });
});
