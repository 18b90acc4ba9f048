/**
 * Plugins dropped into a directory at run time, and the CLI's usage/config
 * errors, through the real `node bin/baton-edge.js` process.
 */
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readC1zFile } from "../src/c1z/file.ts";
import { decodeC1z } from "../src/c1z/index.ts";
import { repoRoot, runCli, tempDir } from "./cli-support.ts";

const work = tempDir("plugins");
afterAll(() => work.cleanup());
const pluginsDir = path.join(work.dir, "plugins");

// A connector as an author outside this repository writes it: one file, importing baton-edge/plugin.
const ACME = `import { definePlugin, entitlement, grant, group, resourceType, user, v } from "baton-edge/plugin";

const users = resourceType({ displayName: "User", traits: ["user"] });
const teams = resourceType({ id: "team", displayName: "Team", traits: ["group"] });

export default definePlugin({
  name: "acme",
  displayName: "Acme",
  config: v.object({
    apiToken: v.pipe(v.string(), v.minLength(8), v.metadata({ secret: true, description: "Acme API token" })),
    region: v.optional(v.pipe(v.picklist(["eu", "us"]), v.metadata({ description: "Acme region" })), "eu"),
    pageSize: v.optional(v.pipe(v.number(), v.integer(), v.metadata({ env: "ACME_PAGE_SIZE", description: "Items per page" })), 10),
    oauthClientId: v.optional(v.pipe(v.string(), v.metadata({ description: "OAuth client id" }))),
    oauthClientSecret: v.optional(v.pipe(v.string(), v.metadata({ secret: true, description: "OAuth client secret" }))),
  }),
  configRelations: [{ kind: "requiredTogether", fields: ["oauthClientId", "oauthClientSecret"] }],
  connect: (config) => config,
  resourceTypes: [
    {
      resourceType: users,
      list: async () => ({ items: [user({ id: "ada", displayName: "Ada", emails: [{ address: "ada@acme.test", primary: true }] })] }),
      entitlements: async () => ({ items: [] }),
      grants: async () => ({ items: [] }),
      get: async () => undefined,
    },
    {
      resourceType: teams,
      list: async (_parent, ctx) => ({ items: [group({ type: "team", id: ctx.client.region, displayName: "Team " + ctx.client.region })] }),
      entitlements: async (team) => ({ items: [entitlement(team, "member", { grantableTo: [users] })] }),
      grants: async (team) => ({ items: [grant(team, "member", { $typeName: "c1.connector.v2.ResourceId", resourceType: "user", resource: "ada", batonResource: false })] }),
      grant: async () => ({ alreadyExists: true }),
      revoke: async () => ({ alreadyRevoked: true }),
    },
  ],
});
`;

beforeAll(() => {
  mkdirSync(path.join(work.dir, "node_modules"), { recursive: true });
  symlinkSync(repoRoot, path.join(work.dir, "node_modules/baton-edge"), "dir");
  writeFileSync(path.join(work.dir, "package.json"), '{ "type": "module" }\n');
  const plugin = (name: string, source: string) => {
    mkdirSync(path.join(pluginsDir, name), { recursive: true });
    writeFileSync(path.join(pluginsDir, name, "index.ts"), source);
  };
  plugin("acme", ACME);
  plugin("broken-syntax", "export default definePlugin({ name: 'broken-syntax', \n");
  plugin("no-export", "export const plugin = {};\n");
  plugin(
    "bad-definition",
    `import { definePlugin, resourceType, v } from "baton-edge/plugin";
export default definePlugin({ name: "bad-definition", displayName: "Bad", config: v.object({}), connect: () => ({}),
  resourceTypes: [{ resourceType: resourceType({ displayName: "User" }), entitlements: async () => ({ items: [] }), grants: async () => ({ items: [] }) }] });
`,
  );
  mkdirSync(path.join(pluginsDir, "empty-dir"));
});

const env = () => ({ BATON_PLUGINS_DIR: pluginsDir });

describe("plugins from --plugins-dir / BATON_PLUGINS_DIR, no build step", () => {
  it("lists the good plugin beside the built-in demo and reports each broken one with path and reason", async () => {
    const result = await runCli(["plugins", "--output", "json"], { cwd: work.dir, env: env() });
    expect(result.code, result.stderr).toBe(0);
    const listed = JSON.parse(result.stdout) as {
      plugins: { name: string; source: string }[];
      failures: { name: string; path: string; reason: string }[];
    };
    const names = listed.plugins.map((p) => p.name);
    expect(names).toContain("acme");
    expect(names).toContain("demo");
    expect(names).toEqual([...names].sort());
    expect(listed.plugins.find((p) => p.name === "acme")?.source).toBe(path.join(pluginsDir, "acme/index.ts"));
    const failure = (name: string) => listed.failures.find((f) => f.name === name);
    expect(failure("broken-syntax")?.path).toBe(path.join(pluginsDir, "broken-syntax/index.ts"));
    expect(failure("broken-syntax")?.reason).toMatch(/failed to import/);
    expect(failure("no-export")?.reason).toMatch(/no default export/);
    expect(failure("bad-definition")?.reason).toMatch(
      /plugin "bad-definition": resourceTypes\[0\]\.list must be a function/,
    );
    expect(failure("empty-dir")?.reason).toMatch(/no index\.ts/);

    const table = await runCli(["plugins"], { cwd: work.dir, env: env() });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/Failed to load:/);
    expect(table.stdout).toMatch(/broken-syntax/);
  });

  it("prints the plugin's capabilities as Baton does, derived from what it implements", async () => {
    const result = await runCli(["acme", "capabilities"], { cwd: work.dir, env: env() });
    expect(result.code, result.stderr).toBe(0);
    const caps = JSON.parse(result.stdout);
    expect(caps["@type"]).toBe("type.googleapis.com/c1.connector.v2.ConnectorCapabilities");
    expect(caps.resourceTypeCapabilities).toEqual([
      {
        resourceType: { id: "team", displayName: "Team", traits: ["TRAIT_GROUP"] },
        capabilities: ["CAPABILITY_SYNC", "CAPABILITY_PROVISION"],
        permissions: {},
      },
      {
        resourceType: { id: "user", displayName: "User", traits: ["TRAIT_USER"] },
        capabilities: ["CAPABILITY_SYNC", "CAPABILITY_TARGETED_SYNC"],
        permissions: {},
      },
    ]);
    // Connector level: sorted by enum value (PROVISION=1, SYNC=2, TARGETED_SYNC=11, SERVICE_MODE_TARGETED_SYNC=13).
    expect(caps.connectorCapabilities).toEqual([
      "CAPABILITY_PROVISION",
      "CAPABILITY_SYNC",
      "CAPABILITY_TARGETED_SYNC",
      "CAPABILITY_SERVICE_MODE_TARGETED_SYNC",
    ]);
  });

  it("syncs with the good plugin while the broken ones sit beside it", async () => {
    const result = await runCli(["acme", "-f", "acme.c1z"], {
      cwd: work.dir,
      env: { ...env(), BATON_API_TOKEN: "s3cr3t-token-value", BATON_REGION: "us" },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toContain("s3cr3t-token-value");
    expect(result.stdout).not.toContain("s3cr3t-token-value");
    // Nor in the file: the SQLite inside the envelope holds no trace of the secret.
    const sqlite = Buffer.from(decodeC1z(readFileSync(path.join(work.dir, "acme.c1z"))));
    expect(sqlite.includes("s3cr3t-token-value")).toBe(false);
    expect(sqlite.includes("Team us")).toBe(true);
    const store = await readC1zFile(path.join(work.dir, "acme.c1z"));
    try {
      expect(store.listResources({ resourceTypeId: "team" }).items.map((r) => r.id!.resource)).toEqual(["us"]);
      expect(store.listGrants().items.map((g) => g.id)).toEqual(["team:us:member:user:ada"]);
    } finally {
      store.close();
    }
  });

  it("reports a broken plugin asked for by name with exit 1 and its path", async () => {
    const result = await runCli(["broken-syntax"], { cwd: work.dir, env: env() });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain(path.join(pluginsDir, "broken-syntax/index.ts"));
  });
});

describe("--help and config", () => {
  it("lists every plugin field with its env var and never a secret's value", async () => {
    const result = await runCli(["acme", "--help"], {
      cwd: work.dir,
      env: { ...env(), BATON_API_TOKEN: "hunter2hunter2" },
    });
    expect(result.code).toBe(0);
    for (const [flag, envName] of [
      ["--api-token", "$BATON_API_TOKEN"],
      ["--region", "$BATON_REGION"],
      ["--page-size", "$ACME_PAGE_SIZE"],
      ["--oauth-client-id", "$BATON_OAUTH_CLIENT_ID"],
      ["--oauth-client-secret", "$BATON_OAUTH_CLIENT_SECRET"],
      ["--file", "$BATON_FILE"],
      ["--log-level", "$BATON_LOG_LEVEL"],
    ]) {
      const line = result.stdout.split("\n").find((l) => l.includes(`${flag} `));
      expect(line, flag).toBeDefined();
      expect(line).toContain(`(${envName})`);
    }
    expect(result.stdout).not.toContain("hunter2hunter2");
  });

  it("prints the config schema in Baton's c1.config.v1 shape", async () => {
    const result = await runCli(["acme", "config"], { cwd: work.dir, env: env() });
    expect(result.code, result.stderr).toBe(0);
    const schema = JSON.parse(result.stdout);
    expect(schema.fields[0]).toEqual({
      name: "api-token",
      description: "Acme API token",
      isRequired: true,
      isSecret: true,
      stringField: {},
    });
    expect(schema.fields.find((f: { name: string }) => f.name === "page-size").intField).toEqual({
      defaultValue: "10",
    });
    expect(schema.constraints).toEqual([
      { kind: "CONSTRAINT_KIND_REQUIRED_TOGETHER", fieldNames: ["oauth-client-id", "oauth-client-secret"] },
    ]);
  });
});

describe("config precedence: flag > env > config file > default", () => {
  it("takes each value from the highest source that sets it", async () => {
    writeFileSync(path.join(work.dir, "acme.yaml"), "api-token: from-file-token\nregion: us\npage-size: 7\n");
    const check = async (args: string[], extraEnv: Record<string, string>, expected: string) => {
      const result = await runCli(["acme", "-f", "p.c1z", "--config", "acme.yaml", ...args], {
        cwd: work.dir,
        env: { ...env(), ...extraEnv },
      });
      expect(result.code, result.stderr).toBe(0);
      const store = await readC1zFile(path.join(work.dir, "p.c1z"));
      try {
        const teams = store.listResources({ resourceTypeId: "team", syncId: store.latestFinishedSync()!.syncId });
        expect(teams.items.map((r) => r.id!.resource)).toEqual([expected]);
      } finally {
        store.close();
      }
    };
    await check([], {}, "us"); // file
    await check([], { BATON_REGION: "eu" }, "eu"); // env beats file
    await check(["--region", "us"], { BATON_REGION: "eu" }, "us"); // flag beats env
  });
});

describe("usage and config errors: one line naming the flag and its env var, exit 2", () => {
  const cases: [string, string[], Record<string, string>, RegExp][] = [
    ["unknown flag", ["acme", "--no-such-flag"], {}, /unknown flag --no-such-flag/],
    ["missing required config", ["acme"], {}, /missing required config --api-token \(\$BATON_API_TOKEN\)/],
    [
      "wrong type from a flag",
      ["acme", "--api-token", "long-enough", "--page-size", "ten"],
      {},
      /--page-size \(\$ACME_PAGE_SIZE\) from flag: expected an integer, got "ten"/,
    ],
    [
      "wrong type from env",
      ["acme", "--api-token", "long-enough"],
      { ACME_PAGE_SIZE: "1.5" },
      /--page-size \(\$ACME_PAGE_SIZE\) from env: expected an integer/,
    ],
    [
      "value outside a picklist",
      ["acme", "--api-token", "long-enough", "--region", "mars"],
      {},
      /invalid value for --region \(\$BATON_REGION\)/,
    ],
    [
      "fields required together",
      ["acme", "--api-token", "long-enough", "--oauth-client-id", "abc"],
      {},
      /--oauth-client-id \(\$BATON_OAUTH_CLIENT_ID\), --oauth-client-secret \(\$BATON_OAUTH_CLIENT_SECRET\) must be set together/,
    ],
    [
      "bad standard flag value",
      ["acme", "--api-token", "long-enough", "--log-format", "xml"],
      {},
      /--log-format \(\$BATON_LOG_FORMAT\): "xml" is not one of json, console/,
    ],
    ["missing flag value", ["acme", "--file"], {}, /flag --file \(\$BATON_FILE\) needs a value/],
    [
      "mutually exclusive one-shot operations",
      [
        "acme",
        "--api-token",
        "long-enough",
        "--revoke-grant",
        "x",
        "--delete-resource",
        "y",
        "--delete-resource-type",
        "user",
      ],
      {},
      /only one of .*--revoke-grant \(\$BATON_REVOKE_GRANT\)/,
    ],
  ];
  for (const [name, args, extraEnv, pattern] of cases) {
    it(name, async () => {
      const result = await runCli(args, { cwd: work.dir, env: { ...env(), ...extraEnv } });
      expect(result.code, result.stderr).toBe(2);
      const lines = result.stderr.trimEnd().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(pattern);
    });
  }

  it("never echoes a secret's value in an error", async () => {
    const result = await runCli(["acme", "--api-token", "short"], { cwd: work.dir, env: env() });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--api-token \(\$BATON_API_TOKEN\)/);
    expect(result.stderr).not.toContain("short");
  });
});

describe("subcommands with flags around them", () => {
  it("accepts --plugins-dir before or after capabilities, and rejects an unknown subcommand with exit 2", async () => {
    const after = await runCli(["acme", "capabilities", "--plugins-dir", pluginsDir], { cwd: work.dir });
    expect(after.code, after.stderr).toBe(0);
    expect(JSON.parse(after.stdout)["@type"]).toBe("type.googleapis.com/c1.connector.v2.ConnectorCapabilities");
    const before = await runCli(["acme", "--plugins-dir", pluginsDir, "config"], { cwd: work.dir });
    expect(before.code, before.stderr).toBe(0);
    expect(JSON.parse(before.stdout).displayName).toBe("Acme");
    const unknown = await runCli(["acme", "bogus"], { cwd: work.dir, env: env() });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toBe('error: unknown command "bogus" for "baton-edge acme"');
  });
});

describe("plugin output errors", () => {
  it("a malformed object fails the sync naming plugin, resource type and field, and keeps no partial file", async () => {
    const dir = path.join(work.dir, "shape-plugins");
    mkdirSync(path.join(dir, "shapeless"), { recursive: true });
    writeFileSync(
      path.join(dir, "shapeless/index.ts"),
      `import { definePlugin, resourceType, v } from "baton-edge/plugin";
export default definePlugin({ name: "shapeless", displayName: "Shapeless", config: v.object({}), connect: () => ({}),
  resourceTypes: [{ resourceType: resourceType({ displayName: "Team" }),
    list: async () => ({ items: [{ id: { resourceType: "team", resource: "1" }, displayName: "One", annotations: [] }] }),
    entitlements: async () => ({ items: [] }), grants: async () => ({ items: [] }) }] });
`,
    );
    const result = await runCli(["shapeless", "-f", "shapeless.c1z"], {
      cwd: work.dir,
      env: { BATON_PLUGINS_DIR: dir },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'plugin "shapeless", resource type "team": list().items.0 must be a c1.connector.v2.Resource message',
    );
    expect(existsSync(path.join(work.dir, "shapeless.c1z"))).toBe(false);
  });
});
