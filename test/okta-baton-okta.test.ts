/**
 * ConductorOne's own baton-okta (the Go binary in ../shared/tools, built from baton-okta
 * 8ffb5fe) and baton-edge's okta plugin sync the same local Okta; both c1z files, read
 * with our reader, must list the same resource types, the same resource ids per type,
 * the same entitlement ids and the same grant ids (direct and expanded), in three
 * configurations. Skips, saying why, only where the binary (or zstd to unpack it) is absent.
 *
 * baton-okta's second Okta client (v5, used for devices and API tokens) drops the port of
 * --domain, so the Go run names the org `okta.baton-edge.test:PORT` and reaches it through
 * a CONNECT proxy (HTTPS_PROXY) that routes that name, on any port, to the local Okta.
 */
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "./cli-support.ts";
import { type C1zFacts, readFacts } from "./support/okta-c1z.ts";
import { type LocalOkta, startLocalOkta, syncOkta } from "./support/okta-harness.ts";
import { type ConnectProxy, startConnectProxy } from "./support/okta-server.ts";
import { OKTA_TEST_HOST } from "./support/okta-tls.ts";

const packed = path.join(repoRoot, "../shared/tools/baton-okta-linux-amd64.zst");
const hasZstd = spawnSync("zstd", ["--version"]).status === 0;
const absent = !existsSync(packed)
  ? `${packed} is absent (a plain clone has no ../shared)`
  : process.platform !== "linux" || process.arch !== "x64"
    ? `the binary is linux/amd64, this is ${process.platform}/${process.arch}`
    : !hasZstd
      ? "the zstd CLI (to unpack the binary) is not installed"
      : undefined;
if (absent) console.warn(`skipping the baton-okta comparison: ${absent}`);

/**
 * Differences that remain, with the reason. Ids agree everywhere; what differs is below the
 * id level and is checked here so a new difference cannot hide behind an old one.
 */
const KNOWN_DIFFERENCES = {
  // baton-okta gives devices TRAIT_MANAGED_DEVICE (12); baton-edge's c1.connector.v2 protos do not carry that trait yet.
  deviceTraits: { go: [12], ours: [] as number[] },
  // Annotations baton-okta writes whose messages baton-edge's protos lack: ManagedDeviceTrait on devices,
  // NonHumanIdentityTrait (app registration) on apps other than bookmark / SWA-style ones.
  missingAnnotations: { device: ["ManagedDeviceTrait"], app: ["NonHumanIdentityTrait"] } as Record<string, string[]>,
};

/** An object's annotations as comparable text: the message types, and the values of the id annotations. */
function annotationSignature(annotations: { typeUrl: string; value: Uint8Array }[], leaveOut: string[] = []): string {
  return annotations
    .map((a) => {
      const type = a.typeUrl.split(".").pop() as string;
      return type === "V1Identifier" || type === "RawId" ? `${type}=${Buffer.from(a.value).toString("base64")}` : type;
    })
    .filter((type) => !leaveOut.includes(type))
    .sort()
    .join(",");
}

interface Configuration {
  name: string;
  goFlags: string[];
  ours: Record<string, unknown>;
}

const CONFIGURATIONS: Configuration[] = [
  { name: "defaults", goFlags: [], ours: {} },
  {
    name: "custom roles, resource sets, bindings and API tokens",
    goFlags: ["--sync-custom-roles", "--sync-secrets"],
    ours: { syncCustomRoles: true, syncSecrets: true },
  },
  {
    name: "email-domain filter, no app groups, active apps only, no secondary emails",
    goFlags: [
      "--filter-email-domains",
      "example.com",
      "--skip-app-groups",
      "--sync-inactive-apps=false",
      "--skip-secondary-emails",
    ],
    ours: {
      filterEmailDomains: ["example.com"],
      skipAppGroups: true,
      syncInactiveApps: false,
      skipSecondaryEmails: true,
    },
  },
];

function runGo(
  binary: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => {
      out = (out + String(d)).slice(-20_000);
    });
    child.stderr.on("data", (d) => {
      out = (out + String(d)).slice(-20_000);
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out }));
  });
}

describe.skipIf(absent !== undefined)("baton-okta and baton-edge sync the same local Okta", () => {
  let local: LocalOkta;
  let proxy: ConnectProxy;
  let dir: string;
  let binary: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "baton-edge-okta-go-"));
    binary = path.join(dir, "baton-okta");
    const unpacked = spawnSync("zstd", ["-d", "-q", "-f", packed, "-o", binary]);
    if (unpacked.status !== 0) throw new Error(`zstd -d failed: ${unpacked.stderr}`);
    chmodSync(binary, 0o755);
    // Small pages, so both connectors follow Link: rel="next" on users, groups and members.
    local = await startLocalOkta({ maxPageSize: 40 });
    proxy = await startConnectProxy(OKTA_TEST_HOST, local.server.port);
  });

  afterAll(async () => {
    await proxy?.stop();
    await local?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function both(config: Configuration, tag: string): Promise<{ go: C1zFacts; ours: C1zFacts }> {
    const goFile = path.join(dir, `go-${tag}.c1z`);
    const home = mkdtempSync(path.join(dir, "home-"));
    const run = await runGo(
      binary,
      [
        "--domain",
        `${OKTA_TEST_HOST}:${local.server.port}`,
        "--api-token",
        local.server.token,
        "-f",
        goFile,
        "--storage-engine",
        "sqlite",
        ...config.goFlags,
      ],
      { PATH: process.env.PATH ?? "", HOME: home, SSL_CERT_FILE: local.ca.caFile, HTTPS_PROXY: proxy.url },
    );
    expect(run.code, run.out).toBe(0);
    const oursFile = path.join(dir, `ours-${tag}.c1z`);
    await syncOkta(local, oursFile, config.ours);
    return { go: await readFacts(goFile), ours: await readFacts(oursFile) };
  }

  CONFIGURATIONS.forEach((config, index) => {
    it(`same resource types, resource ids, entitlement ids and grant ids: ${config.name}`, async () => {
      const requestsBefore = local.server.requests.length;
      const { go, ours } = await both(config, String(index));
      expect(ours.resourceTypeIds).toEqual(go.resourceTypeIds);
      for (const type of go.resourceTypeIds) {
        expect(ours.resourceIds.get(type) ?? [], `resource ids of ${type}`).toEqual(go.resourceIds.get(type) ?? []);
      }
      expect(ours.entitlementIds).toEqual(go.entitlementIds);
      expect(ours.grantIds).toEqual(go.grantIds);

      // The same annotations (v1 ids, raw ids, traits, expansion) on every resource, entitlement and grant,
      // and the same entitlement names, slugs, purposes and grantable types.
      const missingSeen = new Set<string>();
      const goResourceByKey = new Map(go.resources.map((r) => [`${r.id?.resourceType}:${r.id?.resource}`, r]));
      for (const mine of ours.resources) {
        const type = mine.id?.resourceType as string;
        const theirs = goResourceByKey.get(`${type}:${mine.id?.resource}`);
        const leaveOut = KNOWN_DIFFERENCES.missingAnnotations[type] ?? [];
        const full = annotationSignature(theirs?.annotations ?? []);
        for (const name of leaveOut) if (full.split(",").includes(name)) missingSeen.add(name);
        expect(annotationSignature(mine.annotations), `${type}:${mine.id?.resource}`).toBe(
          annotationSignature(theirs?.annotations ?? [], leaveOut),
        );
      }
      expect([...missingSeen].sort()).toEqual(["ManagedDeviceTrait", "NonHumanIdentityTrait"]);
      const goEntitlements = new Map(go.entitlements.map((e) => [e.id, e]));
      for (const mine of ours.entitlements) {
        const theirs = goEntitlements.get(mine.id);
        const shape = (e: typeof mine | undefined) => ({
          displayName: e?.displayName,
          description: e?.description,
          slug: e?.slug,
          purpose: e?.purpose,
          grantableTo: e?.grantableTo.map((t) => t.id),
          annotations: annotationSignature(e?.annotations ?? []),
        });
        expect(shape(mine), mine.id).toEqual(shape(theirs));
      }
      const goGrants = new Map(go.grants.map((g) => [g.id, g]));
      for (const mine of ours.grants) {
        const theirs = goGrants.get(mine.id);
        expect(annotationSignature(mine.annotations), mine.id).toBe(annotationSignature(theirs?.annotations ?? []));
        expect(Object.keys(mine.sources?.sources ?? {}).sort(), `sources of ${mine.id}`).toEqual(
          Object.keys(theirs?.sources?.sources ?? {}).sort(),
        );
      }

      // The same display names, user statuses and entitlement slugs, resource by resource.
      const byId = (facts: C1zFacts) =>
        new Map(facts.resources.map((r) => [`${r.id?.resourceType}:${r.id?.resource}`, r]));
      const goResources = byId(go);
      for (const [key, mine] of byId(ours)) {
        const theirs = goResources.get(key);
        expect(mine.displayName, key).toBe(theirs?.displayName);
        if (key.startsWith("user:")) {
          expect(mine.status?.status, key).toBe(theirs?.status?.status);
          expect(mine.status?.details, key).toBe(theirs?.status?.details);
        }
      }
      const traits = (facts: C1zFacts, id: string) => facts.resourceTypes.find((t) => t.id === id)?.traits ?? [];
      for (const type of go.resourceTypeIds) {
        if (type === "device") {
          expect({ go: traits(go, type), ours: traits(ours, type) }).toEqual(KNOWN_DIFFERENCES.deviceTraits);
        } else {
          expect(traits(ours, type), `traits of ${type}`).toEqual(traits(go, type));
        }
      }

      // The comparison is not vacuous: the seeded org is there, and paging happened.
      expect(ours.resourceIds.get("group")?.length).toBeGreaterThan(25);
      expect(ours.grantIds.some((id) => id.startsWith("role:") && id.includes(":assigned:group:"))).toBe(true);
      expect(ours.grantIds.some((id) => id.startsWith("app:") && id.includes(":access:group:"))).toBe(true);
      const paged = local.server.requests
        .slice(requestsBefore)
        .filter((r) => r.startsWith("GET /api/v1/users?") && r.includes("after="));
      expect(paged.length).toBeGreaterThan(0);
    });
  });

  it("each configuration changes what is synced (the flags are honoured, not ignored)", async () => {
    const facts = await Promise.all(CONFIGURATIONS.map((_c, i) => readFacts(path.join(dir, `ours-${i}.c1z`))));
    const [defaults, custom, filtered] = facts as [C1zFacts, C1zFacts, C1zFacts];
    expect(defaults.resourceTypeIds).toEqual(["app", "device", "group", "role", "user"]);
    expect(custom.resourceTypeIds).toEqual([
      "api-token",
      "app",
      "custom-role",
      "device",
      "group",
      "resource-set",
      "resourceset-binding",
      "role",
      "user",
    ]);
    expect(custom.grantIds.filter((id) => id.startsWith("resourceset-binding:")).length).toBeGreaterThan(0);
    expect(custom.grantIds.filter((id) => id.startsWith("custom-role:")).length).toBeGreaterThan(0);
    expect(filtered.resourceIds.get("user")?.length).toBeLessThan(defaults.resourceIds.get("user")?.length ?? 0);
    expect(filtered.resourceIds.get("app")?.length).toBe(8);
    expect(filtered.resourceIds.get("group")?.length).toBe(28);
  });
});
