/**
 * The real thing: `node src/runtime/node.ts` over a data directory is killed
 * with SIGKILL while a sync hangs inside a page (no shutdown code runs), and a
 * second server process over the same directory resumes that sync from its
 * saved checkpoint. The expected ids come from the fixture plugin's data,
 * built with the model's id helpers, not from a run of our sync.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { SyncRecord } from "../src/http/state/store.ts";
import { entitlementId, grantId } from "../src/model/ids.ts";
import { parseSse } from "./http-support.ts";
import { authEnv, idSetsOfC1z, mintJwt, type Started, startProcess, waitForOutput } from "./runtime-support.ts";
import { freePort } from "./upload-support.ts";

const root = resolve(import.meta.dirname, "..");
const USERS = ["u1", "u2", "u3", "u4", "u5", "u6"];
const MEMBERS: Record<string, string[]> = { g1: ["u1", "u3", "u5"], g2: ["u2", "u6"] };

// Three pages of users; the second hangs for as long as the gate file exists. Every page is logged.
const PAGER = `import { existsSync } from "node:fs";
import { definePlugin, entitlement, grant, group, resourceType, user, v } from "baton-edge/plugin";

const PAGES = { "": { users: ["u1", "u2"], next: "p2" }, p2: { users: ["u3", "u4"], next: "p3" }, p3: { users: ["u5", "u6"], next: "" } };
const MEMBERS = ${JSON.stringify(MEMBERS)};
const users = resourceType({ displayName: "User", traits: ["user"], skip: "entitlementsAndGrants" });

export default definePlugin({
  name: "pager",
  displayName: "Pager",
  config: v.object({ gateFile: v.pipe(v.string(), v.metadata({ description: "hang in page p2 while this file exists" })) }),
  connect: (config) => config,
  resourceTypes: [
    {
      resourceType: users,
      list: async (_parent, ctx) => {
        console.log(JSON.stringify({ msg: "pager page", token: ctx.pageToken }));
        if (ctx.pageToken === "p2" && existsSync(ctx.client.gateFile)) {
          console.log(JSON.stringify({ msg: "pager hanging" }));
          await new Promise(() => {});
        }
        const page = PAGES[ctx.pageToken];
        return { items: page.users.map((id) => user({ id, displayName: id })), nextPageToken: page.next };
      },
      entitlements: async () => ({ items: [] }),
      grants: async () => ({ items: [] }),
    },
    {
      resourceType: resourceType({ displayName: "Group", traits: ["group"] }),
      list: async () => ({ items: Object.keys(MEMBERS).map((id) => group({ id, displayName: id })) }),
      entitlements: async (owner) => ({ items: [entitlement(owner, "member", { displayName: "Member" })] }),
      grants: async (owner) => ({
        items: MEMBERS[owner.id.resource].map((id) =>
          grant(owner, "member", { $typeName: "c1.connector.v2.ResourceId", resourceType: "user", resource: id, batonResource: false }),
        ),
      }),
    },
  ],
});
`;

const work = mkdtempSync(join(tmpdir(), "http-resume-process-"));
const started: Started[] = [];
afterAll(async () => {
  for (const process of started) await process.stop();
  rmSync(work, { recursive: true, force: true });
});

function pagesLogged(process: Started): string[] {
  return [...process.output().matchAll(/"msg":"pager page","token":"([^"]*)"/g)].map((m) => m[1]!);
}

async function startServer(env: NodeJS.ProcessEnv): Promise<{ process: Started; base: string }> {
  const port = await freePort();
  const process = startProcess(globalThis.process.execPath, ["--import", "tsx", "src/runtime/node.ts"], {
    cwd: root,
    env: { ...env, PORT: String(port), HOST: "127.0.0.1" },
  });
  started.push(process);
  await waitForOutput(process, /"msg":"listening"/);
  return { process, base: `http://127.0.0.1:${port}` };
}

function killHard(process: Started): Promise<void> {
  return new Promise((ok) => {
    process.child.once("exit", () => ok());
    globalThis.process.kill(-process.child.pid!, "SIGKILL");
  });
}

describe("node server killed with SIGKILL mid-sync", () => {
  it("the next server process resumes the sync from its checkpoint and finishes it", async () => {
    mkdirSync(join(work, "node_modules"), { recursive: true });
    symlinkSync(root, join(work, "node_modules/baton-edge"), "dir");
    writeFileSync(join(work, "package.json"), '{ "type": "module" }\n');
    mkdirSync(join(work, "plugins/pager"), { recursive: true });
    writeFileSync(join(work, "plugins/pager/index.ts"), PAGER);
    const gateFile = join(work, "hang");
    writeFileSync(gateFile, "");
    const dataDir = join(work, "data");
    const env: NodeJS.ProcessEnv = {
      PATH: globalThis.process.env.PATH,
      HOME: globalThis.process.env.HOME,
      ...authEnv(),
      BATON_DATA_DIR: dataDir,
      BATON_PLUGINS_DIR: join(work, "plugins"),
      BATON_GATE_FILE: gateFile,
      // Save at every engine checkpoint, so one exists after the first page.
      BATON_CHECKPOINT_SAVE_INTERVAL_MS: "0",
    };
    const headers = { authorization: `Bearer ${await mintJwt()}` };

    const first = await startServer(env);
    const accepted = await fetch(`${first.base}/v1/connectors/pager/syncs`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: "{}",
    });
    expect(accepted.status).toBe(202);
    const { id, location } = (await accepted.json()) as { id: string; location: string };
    await waitForOutput(first.process, /"msg":"pager hanging"/);
    const before = (await (await fetch(first.base + location, { headers })).json()) as SyncRecord;
    expect(before.state).toBe("running");
    await killHard(first.process);
    expect(first.process.child.signalCode).toBe("SIGKILL");
    expect(pagesLogged(first.process)).toEqual(["", "p2"]);
    // The sync's database is its work file: the checkpoint the kill left.
    expect(readdirSync(join(dataDir, "work/pager")).filter((n) => !n.endsWith("-journal"))).toEqual([`${id}.work.db`]);

    rmSync(gateFile);
    const second = await startServer(env);
    const events = parseSse(await (await fetch(`${second.base}${location}/events`, { headers })).text());
    const result = JSON.parse(events.at(-1)!.data) as SyncRecord;
    expect(events.at(-1)!.event).toBe("result");
    expect(result.state).toBe("succeeded");
    expect(result.resumed).toBe(true);
    expect(result.startedAt).toBe(before.startedAt);
    // The second process never asked for the first page.
    expect(pagesLogged(second.process)).toEqual(["p2", "p3"]);
    expect(readdirSync(join(dataDir, "work/pager"))).toEqual([]);

    const file = await fetch(`${second.base}${location}/c1z`, { headers });
    expect(file.status).toBe(200);
    const sets = await idSetsOfC1z(new Uint8Array(await file.arrayBuffer()));
    expect(sets.syncId).toBe(result.c1zSyncId);
    expect(sets.resourceTypes).toEqual(["group", "user"]);
    expect(sets.resources).toEqual([
      ...Object.keys(MEMBERS).map((g) => `group:${g}`),
      ...USERS.map((u) => `user:${u}`),
    ]);
    const groups = Object.keys(MEMBERS).map((g) => ({ resourceType: "group", resource: g }));
    expect(sets.entitlements).toEqual(groups.map((g) => entitlementId(g, "member")).sort());
    const memberships = groups.flatMap((g) => MEMBERS[g.resource]!.map((u) => ({ group: g, user: u })));
    expect(sets.grants).toEqual(
      memberships
        .map((m) => grantId(entitlementId(m.group, "member"), { resourceType: "user", resource: m.user }))
        .sort(),
    );
    await second.process.stop();
  });
});
