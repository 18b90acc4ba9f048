/**
 * Shared by the runtime tests: id sets of a c1z (read with our reader), a
 * local demo sync to compare against, JWT minting, and child processes that
 * are always stopped (by process group: wrangler starts workerd as a child).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { SignJWT } from "jose";
import { createC1z, openC1z } from "../src/c1z/index.ts";
import type { C1zReader } from "../src/c1z/store.ts";
import { resolveConfig } from "../src/plugins/config.ts";
import { connectPlugin } from "../src/plugins/connect.ts";
import type { AnyPlugin } from "../src/plugins/contract.ts";
import { runSync } from "../src/sync/index.ts";

export interface IdSets {
  resourceTypes: string[];
  resources: string[];
  entitlements: string[];
  grants: string[];
}

function all<T>(page: (token: string) => { items: T[]; nextPageToken: string }): T[] {
  const out: T[] = [];
  let token = "";
  do {
    const p = page(token);
    out.push(...p.items);
    token = p.nextPageToken;
  } while (token !== "");
  return out;
}

export function idSetsOf(reader: C1zReader, syncId?: string): IdSets {
  return {
    resourceTypes: all((t) => reader.listResourceTypes({ syncId, pageToken: t }))
      .map((r) => r.id)
      .sort(),
    resources: all((t) => reader.listResources({ syncId, pageToken: t }))
      .map((r) => `${r.id?.resourceType}:${r.id?.resource}`)
      .sort(),
    entitlements: all((t) => reader.listEntitlements({ syncId, pageToken: t }))
      .map((e) => e.id)
      .sort(),
    grants: all((t) => reader.listGrants({ syncId, pageToken: t }))
      .map((g) => g.id)
      .sort(),
  };
}

export async function idSetsOfC1z(bytes: Uint8Array): Promise<IdSets & { syncId: string; finished: boolean }> {
  const store = await openC1z(bytes);
  try {
    const sync = store.latestFinishedSync("full");
    if (!sync) throw new Error("the c1z has no finished full sync");
    return { ...idSetsOf(store, sync.syncId), syncId: sync.syncId, finished: sync.endedAt !== null };
  } finally {
    store.close();
  }
}

/** The demo plugin's sync run in this process: the independent expectation for every runtime. */
export async function localDemoIdSets(plugin: AnyPlugin, file: Record<string, unknown> = {}): Promise<IdSets> {
  const store = await createC1z();
  const connected = await connectPlugin(plugin, resolveConfig(plugin, { file }).config);
  try {
    const result = await runSync({ plugin, client: connected.client, store });
    return idSetsOf(store, result.syncId);
  } finally {
    await connected.close();
    store.close();
  }
}

export const jwtSettings = {
  secret: "runtime-test-secret-0123456789-abcdefghij",
  issuer: "baton-edge-test",
  audience: "baton-edge-api",
};

export function authEnv(): Record<string, string> {
  return {
    BATON_AUTH_HS_SECRET: jwtSettings.secret,
    BATON_AUTH_ISSUER: jwtSettings.issuer,
    BATON_AUTH_AUDIENCE: jwtSettings.audience,
  };
}

export async function mintJwt(scope = "sync:read sync:write"): Promise<string> {
  return new SignJWT({ scope })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(jwtSettings.issuer)
    .setAudience(jwtSettings.audience)
    .setSubject("runtime-test")
    .setIssuedAt()
    .setExpirationTime("10m")
    .sign(new TextEncoder().encode(jwtSettings.secret));
}

export interface Started {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export function startProcess(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Started {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const keep = (d: Buffer) => {
    out += String(d);
    if (out.length > 400_000) out = out.slice(-200_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return {
    child,
    output: () => out,
    stop: () =>
      new Promise<void>((ok) => {
        if (child.exitCode !== null || child.signalCode !== null) return ok();
        const timer = setTimeout(() => {
          try {
            process.kill(-child.pid!, "SIGKILL");
          } catch {}
        }, 5000);
        child.once("exit", () => {
          clearTimeout(timer);
          // wrangler's workerd child shares the group; make sure nothing outlives the test.
          try {
            process.kill(-child.pid!, "SIGKILL");
          } catch {}
          ok();
        });
        try {
          process.kill(-child.pid!, "SIGTERM");
        } catch {
          ok();
        }
      }),
  };
}

export async function waitForOutput(started: Started, pattern: RegExp, attempts = 1200): Promise<RegExpMatchArray> {
  for (let i = 0; i < attempts; i++) {
    const match = started.output().match(pattern);
    if (match) return match;
    if (started.child.exitCode !== null) {
      throw new Error(
        `process exited (${started.child.exitCode}) before printing ${pattern}:\n${started.output().slice(-3000)}`,
      );
    }
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error(`timed out waiting for ${pattern}:\n${started.output().slice(-3000)}`);
}
