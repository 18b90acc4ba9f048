/**
 * `baton-edge okta` as an operator runs it, against the local Okta (HTTPS, test CA via
 * NODE_EXTRA_CA_CERTS): grants and revokes change Okta and show in the next sync,
 * repeats answer GrantAlreadyExists / GrantAlreadyRevoked; a bad token exits 1 with one
 * clear line, without the token, leaving the previous c1z as it was; and the seed's
 * sync.sh (BATON_API_TOKEN, BATON_DOMAIN, AWS_*, BATON_FILE=s3://…) uploads to moto.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binPath, runCli, tempDir } from "./cli-support.ts";
import { readFacts } from "./support/okta-c1z.ts";
import { type LocalOkta, startLocalOkta } from "./support/okta-harness.ts";
import { hasMoto, type Moto, motoAdmin, startMoto, testCredentials } from "./upload-support.ts";

describe("baton-edge okta through the CLI", () => {
  let local: LocalOkta;
  const work = tempDir("okta-cli");
  const file = path.join(work.dir, "sync.c1z");
  const env = () => ({
    NODE_EXTRA_CA_CERTS: local.ca.caFile,
    BATON_DOMAIN: local.server.domain,
    BATON_API_TOKEN: local.server.token,
  });
  const cli = (args: string[], extra: Record<string, string> = {}) =>
    runCli(["okta", "-f", file, ...args], { cwd: work.dir, env: { ...env(), ...extra } });
  const grantIds = async () => (await readFacts(file)).grantIds;

  beforeAll(async () => {
    local = await startLocalOkta({ maxPageSize: 100 });
  });
  afterAll(async () => {
    await local?.stop();
    work.cleanup();
  });

  it("grants and revokes group membership, app access and an admin role; repeats are already done; syncs show it", async () => {
    const org = local.server.org;
    const group = org.groups.find((g) => g.type === "OKTA_GROUP" && g.profile.name.includes('"'))!;
    const user = org.users.find((u) => u.status === "ACTIVE" && !org.members.get(group.id)?.includes(u.id))!;
    const app = org.apps.find((a) => (org.appGroups.get(a.id) ?? []).length === 0)!;
    const role = "SUPER_ADMIN";
    expect(org.userRoles.get(user.id)?.some((r) => r.type === role) ?? false).toBe(false);

    const first = await cli([]);
    expect(first.code, first.stderr).toBe(0);
    const memberGrant = `group:${group.id}:member:user:${user.id}`;
    const appGrant = `app:${app.id}:access:group:${group.id}`;
    const roleGrant = `role:${role}:assigned:user:${user.id}`;
    expect(await grantIds()).not.toContain(memberGrant);

    const grants: [string, string, string][] = [
      [`group:${group.id}:member`, user.id, "user"],
      [`app:${app.id}:access`, group.id, "group"],
      [`role:${role}:assigned`, user.id, "user"],
    ];
    for (const [entitlement, principal, type] of grants) {
      const args = [
        "--provisioning",
        "--grant-entitlement",
        entitlement,
        "--grant-principal",
        principal,
        "--grant-principal-type",
        type,
      ];
      const done = await cli(args);
      expect(done.code, done.stderr).toBe(0);
      expect(done.stderr + done.stdout).toContain("grant created");
      const again = await cli(args);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr + again.stdout).toContain("grant already exists (GrantAlreadyExists)");
    }
    expect(org.members.get(group.id)).toContain(user.id);
    expect(org.appGroups.get(app.id)).toContain(group.id);
    expect(org.userRoles.get(user.id)?.some((r) => r.type === role && r.status === "ACTIVE")).toBe(true);

    expect((await cli([])).code).toBe(0);
    const afterGrant = await grantIds();
    for (const id of [memberGrant, appGrant, roleGrant]) expect(afterGrant).toContain(id);
    // The new member holds the app through the group: Okta lists them as an app user now.
    expect(afterGrant).toContain(`app:${app.id}:access:user:${user.id}`);

    for (const id of [memberGrant, appGrant, roleGrant]) {
      const done = await cli(["--provisioning", "--revoke-grant", id]);
      expect(done.code, done.stderr).toBe(0);
      expect(done.stderr + done.stdout).toContain("grant revoked");
      const again = await cli(["--provisioning", "--revoke-grant", id]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr + again.stdout).toContain("grant already revoked (GrantAlreadyRevoked)");
    }
    expect(org.members.get(group.id)).not.toContain(user.id);
    expect(org.appGroups.get(app.id)).not.toContain(group.id);
    expect(org.userRoles.get(user.id)?.some((r) => r.type === role) ?? false).toBe(false);

    expect((await cli([])).code).toBe(0);
    const afterRevoke = await grantIds();
    for (const id of [memberGrant, appGrant, roleGrant]) expect(afterRevoke).not.toContain(id);
  });

  it("a bad token exits 1 with one clear line, no token in it, and the previous c1z stays as it was", async () => {
    const ok = await cli([]);
    expect(ok.code, ok.stderr).toBe(0);
    const before = readFileSync(file);
    const badToken = "00bad-token-0f-the-operator-s3cr3t";
    const run = await cli([], { BATON_API_TOKEN: badToken });
    expect(run.code).toBe(1);
    const errors = run.stderr.split("\n").filter((line) => line.startsWith("error:"));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/401 E0000011: Invalid token provided/);
    expect(errors[0]).toContain("--api-token");
    expect(run.stderr + run.stdout).not.toContain(badToken);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect((await readFacts(file)).resourceIds.get("user")?.length).toBe(local.server.org.users.length);
  });

  it("--help names baton-okta's flags and env vars", async () => {
    const help = await runCli(["okta", "--help"], { cwd: work.dir });
    expect(help.code).toBe(0);
    for (const flag of [
      "--domain",
      "$BATON_DOMAIN",
      "--api-token",
      "$BATON_API_TOKEN",
      "--okta-client-id",
      "--okta-private-key",
      "--okta-private-key-id",
      "--sync-inactive-apps",
      "--sync-custom-roles",
      "--skip-secondary-emails",
      "--sync-secrets",
      "--filter-email-domains",
      "--skip-app-groups",
    ]) {
      expect(help.stdout, flag).toContain(flag);
    }
  });
});

describe.skipIf(!hasMoto)("the seed's sync.sh with baton-edge okta and BATON_FILE=s3://", () => {
  let local: LocalOkta;
  let moto: Moto;
  const work = tempDir("okta-syncsh");
  const bucket = "my-bucket";

  beforeAll(async () => {
    local = await startLocalOkta();
    moto = await startMoto();
    await motoAdmin(moto, bucket);
  });
  afterAll(async () => {
    await moto?.stop();
    await local?.stop();
    work.cleanup();
  });

  it("runs the script as the docs write it, with `baton-edge okta` for `baton-okta`, and the c1z lands in the bucket", async () => {
    // `baton-edge` on PATH, as `npm install -g` would put it.
    const bin = path.join(work.dir, "bin");
    mkdirSync(bin);
    writeFileSync(path.join(bin, "baton-edge"), `#!/bin/sh\nexec "${process.execPath}" "${binPath}" "$@"\n`);
    chmodSync(path.join(bin, "baton-edge"), 0o755);
    // The seed's sync.sh (ConductorOne docs, "Automatically sync connector data to an S3 bucket"),
    // with local values and moto's endpoint on the s3:// URI.
    const script = [
      "#!/bin/bash",
      "set -e",
      "",
      `export BATON_API_TOKEN=${local.server.token}`,
      `export BATON_DOMAIN=${local.server.domain}`,
      `export AWS_ACCESS_KEY_ID="${testCredentials.AWS_ACCESS_KEY_ID}"`,
      `export AWS_SECRET_ACCESS_KEY="${testCredentials.AWS_SECRET_ACCESS_KEY}"`,
      'export AWS_REGION="us-west-2"',
      `export BATON_FILE="s3://${bucket}/baton-sync.c1z?endpoint=${moto.endpoint}"`,
      "",
      "baton-edge okta",
      "",
    ].join("\n");
    const scriptPath = path.join(work.dir, "sync.sh");
    writeFileSync(scriptPath, script);
    chmodSync(scriptPath, 0o755);
    const { spawn } = await import("node:child_process");
    const run = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const child = spawn(scriptPath, [], {
        cwd: work.dir,
        env: { PATH: `${bin}:${process.env.PATH ?? ""}`, HOME: work.dir, NODE_EXTRA_CA_CERTS: local.ca.caFile },
      });
      let out = "";
      child.stdout.on("data", (d) => {
        out += String(d);
      });
      child.stderr.on("data", (d) => {
        out += String(d);
      });
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, out }));
    });
    expect(run.code, run.out).toBe(0);
    expect(run.out).not.toContain(local.server.token);
    expect(run.out).not.toContain(testCredentials.AWS_SECRET_ACCESS_KEY);

    const s3 = new S3Client({
      region: "us-west-2",
      endpoint: moto.endpoint,
      forcePathStyle: true,
      credentials: {
        accessKeyId: testCredentials.AWS_ACCESS_KEY_ID,
        secretAccessKey: testCredentials.AWS_SECRET_ACCESS_KEY,
      },
      // The CLI uploads multipart; moto answers GetObject with the parts' composite SHA-256 and no
      // "-<parts>" suffix, which the SDK would check against the whole body. The c1z is checked below.
      responseChecksumValidation: "WHEN_REQUIRED",
    });
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "baton-sync.c1z" }));
    const bytes = await object.Body?.transformToByteArray();
    const downloaded = path.join(work.dir, "downloaded.c1z");
    writeFileSync(downloaded, bytes ?? new Uint8Array());
    const facts = await readFacts(downloaded);
    expect(facts.resourceTypeIds).toEqual(["app", "device", "group", "role", "user"]);
    expect(facts.resourceIds.get("user")?.length).toBe(local.server.org.users.length);
    expect(facts.grantIds.length).toBeGreaterThan(1000);
  });
});
