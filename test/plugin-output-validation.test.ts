/**
 * Every sync trigger shape-checks plugin output, because runSync applies
 * withOutputValidation itself: over HTTP (createApp) and from the cron runner,
 * a malformed object fails the sync naming plugin, resource type and field,
 * and the previous good c1z stays what it was.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as v from "valibot";
import { afterAll, describe, expect, it } from "vitest";
import { createApp } from "../src/http/app.ts";
import { createMemoryStateStore } from "../src/http/state/memory.ts";
import type { SyncRecord } from "../src/http/state/store.ts";
import { runScheduledSyncs } from "../src/jobs/cron.ts";
import type { Logger } from "../src/plugins/contract.ts";
import { definePlugin, resourceType, user } from "../src/plugins/sdk.ts";
import { inProcess, json, manualClock, parseSse } from "./http-support.ts";
import { objectSet } from "./sync-helpers.ts";

let malformed = false;
const shaped = definePlugin({
  name: "shaped",
  displayName: "Shaped",
  config: v.object({}),
  connect: () => ({}),
  resourceTypes: [
    {
      resourceType: resourceType({ displayName: "User", traits: ["user"], skip: "entitlementsAndGrants" }),
      list: async () => ({
        items: [
          user({ id: "u1", displayName: "U1", login: "u1" }),
          // A hand-written object instead of a builder's message: what the validation exists for.
          malformed
            ? ({ id: { resourceType: "user", resource: "u2" }, displayName: "U2" } as never)
            : user({ id: "u2", displayName: "U2", login: "u2" }),
        ],
      }),
      entitlements: async () => ({ items: [] }),
      grants: async () => ({ items: [] }),
    },
  ],
});

const EXPECTED =
  /plugin "shaped", resource type "user": list\(\)\.items\.1 must be a c1\.connector\.v2\.Resource message/;

describe("plugin output validation on every trigger", () => {
  const dir = mkdtempSync(join(tmpdir(), "output-validation-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("HTTP: the sync fails naming plugin/type/field; reads keep serving the last good sync", async () => {
    const transport = inProcess(
      createApp({
        connectors: [{ name: "shaped", plugin: shaped, config: {} }],
        auth: { mode: "off" },
        state: createMemoryStateStore(),
        clock: manualClock(),
        log: () => {},
      }),
    );
    const finish = async (): Promise<SyncRecord> => {
      const { location } = (await (await transport.request("/v1/connectors/shaped/syncs", json({}))).json()) as {
        location: string;
      };
      const events = parseSse(await (await transport.request(`${location}/events`)).text());
      return JSON.parse(events.at(-1)!.data) as SyncRecord;
    };
    malformed = false;
    const good = await finish();
    expect(good.state).toBe("succeeded");
    malformed = true;
    try {
      const bad = await finish();
      expect(bad.state).toBe("failed");
      expect(bad.error?.detail).toMatch(EXPECTED);
      expect((await transport.request(`/v1/connectors/shaped/syncs/${bad.id}/c1z`)).status).toBe(409);
    } finally {
      malformed = false;
    }
    const resources = (await (await transport.request("/v1/connectors/shaped/resources")).json()) as {
      syncId: string;
      items: { id: { resource: string } }[];
    };
    expect(resources.syncId).toBe(good.id);
    expect(resources.items.map((r) => r.id.resource).sort()).toEqual(["u1", "u2"]);
  });

  it("cron: the job fails naming plugin/type/field; the destination keeps its previous c1z byte for byte", async () => {
    const destination = join(dir, "shaped.c1z");
    const errors: string[] = [];
    const log: Logger = { debug() {}, info() {}, warn() {}, error: (msg) => errors.push(msg) };
    const run = () =>
      runScheduledSyncs({
        env: { BATON_CONNECTORS: JSON.stringify([{ name: "shaped", destination }]) },
        plugin: async (name) => (name === "shaped" ? shaped : undefined),
        log,
        workDir: join(dir, "work"),
      });
    malformed = false;
    expect((await run()).map((o) => o.status)).toEqual(["uploaded"]);
    const before = readFileSync(destination);
    expect([...objectSet(new Uint8Array(before)).resources.keys()].sort()).toEqual(["user:u1", "user:u2"]);
    malformed = true;
    try {
      const [outcome] = await run();
      expect(outcome.status).toBe("failed");
      expect(outcome.status === "failed" && outcome.error).toMatch(EXPECTED);
      expect(errors.at(-1)).toMatch(EXPECTED);
    } finally {
      malformed = false;
    }
    expect(Buffer.compare(readFileSync(destination), before)).toBe(0);
  });
});
