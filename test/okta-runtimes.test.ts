/**
 * The okta plugin on Bun and Deno (from npm), against the local Okta over HTTPS: each
 * runtime's own fetch (trusting the test CA through NODE_EXTRA_CA_CERTS or DENO_CERT)
 * syncs the seeded org and grants and revokes a group membership, which the org shows.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "./cli-support.ts";
import { type LocalOkta, startLocalOkta } from "./support/okta-harness.ts";

const bin = (name: string) => path.join(repoRoot, "node_modules/.bin", name);
for (const tool of ["bun", "deno"]) {
  if (!existsSync(bin(tool))) console.warn(`okta runtime test for ${tool} skipped: not installed`);
}

interface ProbeOutput {
  resources: Record<string, number>;
  grants: number;
  granted?: boolean;
  revoked?: boolean;
}

function run(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, env: { ...process.env, ...env } });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += String(d);
    });
    child.stderr.on("data", (d) => {
      err += String(d);
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out, err }));
  });
}

describe("okta plugin on Bun and Deno", () => {
  let local: LocalOkta;
  beforeAll(async () => {
    local = await startLocalOkta({ maxPageSize: 50 });
  });
  afterAll(async () => {
    await local?.stop();
  });

  const probes: [string, string[]][] = [
    ["bun", ["run", "test/support/okta-runtime-probe.ts"]],
    [
      "deno",
      ["run", "--allow-net", "--allow-read", "--allow-env", "--allow-sys", "test/support/okta-runtime-probe.ts"],
    ],
  ];
  for (const [runtime, args] of probes) {
    it.skipIf(!existsSync(bin(runtime)))(
      `${runtime}: syncs the seeded org, grants and revokes a membership`,
      async () => {
        const org = local.server.org;
        const group = org.groups.find((g) => g.type === "OKTA_GROUP" && g.profile.name.includes("財務"))!;
        const user = org.users.find((u) => !org.members.get(group.id)?.includes(u.id))!;
        const before = local.server.requests.length;
        const result = await run(bin(runtime), args, {
          OKTA_PROBE_DOMAIN: local.server.domain,
          OKTA_PROBE_TOKEN: local.server.token,
          OKTA_PROBE_GROUP: group.id,
          OKTA_PROBE_USER: user.id,
          NODE_EXTRA_CA_CERTS: local.ca.caFile,
          DENO_CERT: local.ca.caFile,
          DENO_NO_UPDATE_CHECK: "1",
        });
        expect(result.code, result.err).toBe(0);
        const out = JSON.parse(result.out.trim().split("\n").pop() as string) as ProbeOutput;
        expect(out.resources.user).toBe(org.users.length);
        expect(out.resources.group).toBe(org.groups.length);
        expect(out.resources.app).toBe(org.apps.length);
        expect(out.resources.role).toBe(10);
        expect(out.grants).toBeGreaterThan(1000);
        expect(out.granted).toBe(true);
        expect(out.revoked).toBe(true);
        const seen = local.server.requests.slice(before);
        expect(seen).toContain(`PUT /api/v1/groups/${group.id}/users/${user.id}`);
        expect(seen).toContain(`DELETE /api/v1/groups/${group.id}/users/${user.id}`);
        expect(seen.some((r) => r.startsWith("GET /api/v1/users?") && r.includes("after="))).toBe(true);
        expect(org.members.get(group.id)).not.toContain(user.id);
      },
    );
  }
});
