/**
 * The worked example in docs/plugins.md, run as written: extracted from the
 * Markdown, loaded like any plugin, pointed at a small Acme API on loopback,
 * put through the conformance harness and the CLI.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testPlugin } from "../src/conformance/test-plugin.ts";
import { loadPlugins } from "../src/plugins/loader.ts";
import { repoRoot, runCli, tempDir } from "./cli-support.ts";

const work = tempDir("docs-example");
let server: Server;
let baseUrl = "";
const members = new Map<string, Set<string>>([
  ["t1", new Set(["u1"])],
  ["t2", new Set()],
]);
const token = "docs-example-token-0123456789";

beforeAll(async () => {
  const doc = readFileSync(path.join(repoRoot, "docs/plugins.md"), "utf8");
  const example = /## A worked example[\s\S]*?```ts\n([\s\S]*?)```/.exec(doc)?.[1];
  if (!example) throw new Error("docs/plugins.md has no worked example");
  mkdirSync(path.join(work.dir, "plugins/acme"), { recursive: true });
  writeFileSync(path.join(work.dir, "package.json"), '{ "type": "module" }\n');
  writeFileSync(
    path.join(work.dir, "plugins/acme/index.ts"),
    example.replace('"../../src/plugins/sdk.ts"', JSON.stringify(path.join(repoRoot, "src/plugins/sdk.ts"))),
  );
  server = createServer((req, res) => {
    if (req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401).end();
      return;
    }
    const url = new URL(req.url ?? "/", "http://x");
    const send = (status: number, body?: unknown) => {
      res.writeHead(status, { "content-type": "application/json" }).end(body === undefined ? "" : JSON.stringify(body));
    };
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      const parts = url.pathname.split("/").filter(Boolean);
      if (url.pathname === "/users") {
        const all = ["u1", "u2", "u3"].map((id, i) => ({
          id,
          name: `User ${id}`,
          email: `${id}@acme.test`,
          login: id,
          active: i !== 2,
          department: "R&D",
        }));
        // Two per page, with an opaque cursor.
        const start = Number(url.searchParams.get("cursor") || 0);
        send(200, { users: all.slice(start, start + 2), next: start + 2 < all.length ? String(start + 2) : null });
      } else if (url.pathname === "/teams") {
        send(
          200,
          [...members.keys()].map((id) => ({ id, name: `Team ${id}` })),
        );
      } else if (parts[0] === "teams" && members.has(parts[1])) {
        const set = members.get(parts[1])!;
        if (req.method === "GET" && parts[2] === "members")
          send(
            200,
            [...set].map((id) => ({ id })),
          );
        else if (req.method === "POST" && parts[2] === "members") {
          const { user } = JSON.parse(body) as { user: string };
          if (set.has(user)) send(409);
          else {
            set.add(user);
            send(201);
          }
        } else if (req.method === "POST" && parts[2] === "remove") {
          const { user } = JSON.parse(body) as { user: string };
          send(set.delete(user) ? 200 : 404);
        } else send(404);
      } else send(404);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  work.cleanup();
});

describe("docs/plugins.md worked example", () => {
  it("loads as a plugin and passes testPlugin against the API", async () => {
    const registry = await loadPlugins(path.join(work.dir, "plugins"));
    expect(registry.failures).toEqual([]);
    const acme = registry.plugins[0].plugin;
    const report = await testPlugin(acme, { config: { apiToken: token, baseUrl } });
    expect(report.counts.resources).toBe(5);
    expect(report.checks.find((c) => c.name === "grant/revoke team")?.ok).toBe(true);
    // The harness granted and revoked a membership; the API is back where it started.
    expect([...members.get("t1")!]).toEqual(["u1"]);
    expect([...members.get("t2")!]).toEqual([]);
  });

  it("syncs through the CLI with the token from BATON_API_TOKEN, never printing it", async () => {
    const result = await runCli(["acme", "-f", "acme.c1z", "--base-url", baseUrl], {
      cwd: work.dir,
      env: { BATON_PLUGINS_DIR: path.join(work.dir, "plugins"), BATON_API_TOKEN: token },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toContain(token);
    expect(result.stderr).toMatch(/"resources":5/);
  });
});
