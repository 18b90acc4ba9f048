/**
 * The reviewer's HTTP routes on the demo connector with JWT auth: a grant, a
 * revoke and a delete between two syncs come back from the paged diff exactly,
 * the first page's counts equal what the pages list, and the exports download
 * as attachments; everything needs `sync:read`.
 */
import { SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import demo from "../plugins/demo/index.ts";
import { createApp } from "../src/http/app.ts";
import { createMemoryStateStore } from "../src/http/state/memory.ts";
import { json, parseSse } from "./http-support.ts";

const SECRET = "a-test-secret-that-is-at-least-32-bytes-long";
const auth = { mode: "jwt" as const, issuer: "https://issuer.test", audience: "baton-edge", hsSecret: SECRET };

function token(scope: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: auth.issuer, aud: auth.audience, sub: "reviewer", iat: now, exp: now + 600, scope })
    .setProtectedHeader({ alg: "HS256" })
    .sign(new TextEncoder().encode(SECRET));
}

const app = createApp({
  connectors: [{ name: "demo", plugin: demo, config: { users: 25, groups: 6, grants: 60 }, provisioning: true }],
  auth,
  state: createMemoryStateStore(),
  log: () => {},
});

let everything: Record<string, string>;
const request = (path: string, init: RequestInit = {}) =>
  app.request(path, { ...init, headers: { ...everything, ...(init.headers as Record<string, string>) } });

async function sync(): Promise<string> {
  const started = await request("/v1/connectors/demo/syncs", json({}));
  expect(started.status).toBe(202);
  const { location, id } = (await started.json()) as { location: string; id: string };
  const events = parseSse(await (await request(`${location}/events`)).text());
  expect(JSON.parse(events.at(-1)!.data).state).toBe("succeeded");
  return id;
}

interface Message {
  id: string | { resourceType: string; resource: string };
}
type Buckets = Partial<Record<"created" | "deleted" | "modified", Message[]>>;
interface DiffPage {
  from: { id: string; syncId: string };
  to: { id: string; syncId: string };
  counts?: Record<string, Record<string, number>>;
  resources: Buckets;
  entitlements: Buckets;
  grants: Buckets;
  nextPageToken: string;
}
const key = (m: Message) => (typeof m.id === "string" ? m.id : `${m.id.resourceType}:${m.id.resource}`);

describe("GET /v1/connectors/{name}/diff and …/export.{xlsx,csv}", () => {
  let first = "";
  let second = "";
  let userGrants: string[] = [];
  let revoked = "";
  const granted = "role:auditor:assigned:user:u-0005";

  beforeAll(async () => {
    everything = { authorization: `Bearer ${await token("sync:read sync:write provision")}` };
    first = await sync();
    const held = await request("/v1/connectors/demo/grants?principalType=user&principalId=u-0001&pageSize=1000");
    userGrants = ((await held.json()) as { items: { id: string }[] }).items.map((g) => g.id);
    // A direct role assignment of another user: revoking it changes nothing else.
    const roles = await request("/v1/connectors/demo/grants?resourceType=role&resourceId=developer&pageSize=1000");
    revoked = ((await roles.json()) as { items: { id: string }[] }).items
      .map((g) => g.id)
      .find((id) => id.startsWith("role:developer:assigned:user:") && !/u-000[15]$/.test(id))!;
    const grant = await request(
      "/v1/connectors/demo/grants",
      json({ entitlementId: "role:auditor:assigned", principal: { resourceType: "user", resource: "u-0005" } }),
    );
    expect(grant.status).toBe(201);
    const revoke = await request(`/v1/connectors/demo/grants/${encodeURIComponent(revoked)}`, { method: "DELETE" });
    expect(revoke.status, `${revoked}: ${await revoke.clone().text()}`).toBe(200);
    expect((await request("/v1/connectors/demo/resources/user/u-0001", { method: "DELETE" })).status).toBe(200);
    second = await sync();
  }, 120_000);

  it("pages through exactly the changes, with the counts on the first page", async () => {
    expect(userGrants.length).toBeGreaterThan(0);
    const seen: Record<string, Record<string, string[]>> = { resources: {}, entitlements: {}, grants: {} };
    let pageToken = "";
    let counts: DiffPage["counts"];
    let pages = 0;
    do {
      const response = await request(
        `/v1/connectors/demo/diff?pageSize=2${pageToken ? `&pageToken=${pageToken}` : ""}`,
      );
      expect(response.status).toBe(200);
      const page = (await response.json()) as DiffPage;
      expect(page.from.id).toBe(first);
      expect(page.to.id).toBe(second);
      if (pages === 0) counts = page.counts;
      else expect(page.counts).toBeUndefined();
      for (const section of ["resources", "entitlements", "grants"] as const) {
        for (const [kind, items] of Object.entries(page[section])) {
          seen[section][kind] = [...(seen[section][kind] ?? []), ...(items ?? []).map(key)];
        }
      }
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken);
    expect(pages).toBeGreaterThan(2);
    expect(seen.resources).toEqual({ deleted: ["user:u-0001"] });
    expect(seen.entitlements).toEqual({});
    expect(seen.grants.created).toEqual([granted]);
    expect([...seen.grants.deleted].sort()).toEqual([...userGrants, revoked].sort());
    expect(seen.grants.modified).toBeUndefined();
    expect(counts).toEqual({
      resources: { created: 0, deleted: 1, modified: 0 },
      entitlements: { created: 0, deleted: 0, modified: 0 },
      grants: { created: 1, deleted: userGrants.length + 1, modified: 0 },
    });
  });

  it("from/to pick the syncs (swapped, the buckets swap too); a bad token or sync is a problem", async () => {
    const swapped = (await (
      await request(`/v1/connectors/demo/diff?from=${second}&to=${first}&pageSize=1000`)
    ).json()) as DiffPage;
    expect(swapped.resources.created?.map(key)).toEqual(["user:u-0001"]);
    expect(swapped.grants.deleted?.map(key)).toEqual([granted]);
    expect((await request("/v1/connectors/demo/diff?pageToken=bm9wZQ")).status).toBe(400);
    expect((await request(`/v1/connectors/demo/diff?from=nope&to=${second}`)).status).toBe(404);
  });

  it("downloads the exports as attachments", async () => {
    const csv = await request(`/v1/connectors/demo/syncs/${second}/export.csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(csv.headers.get("content-disposition")).toBe(
      `attachment; filename="demo-${second}.csv"; filename*=UTF-8''demo-${second}.csv`,
    );
    const lines = (await csv.text()).trimEnd().split("\n");
    expect(lines[0]).toBe(
      "Type,Last Name,First Name,User ID,User Status,Email Address,Entitlement Display Name,Entitlement,Resource Type,Resource Name,Entitlement Description,Entitlement Slug",
    );
    expect(lines.filter((line) => line.startsWith("Identity,"))).toHaveLength(24);
    const xlsx = await request(`/v1/connectors/demo/syncs/${second}/export.xlsx`);
    expect(xlsx.headers.get("content-type")).toBe("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    const bytes = new Uint8Array(await xlsx.arrayBuffer());
    expect(String.fromCharCode(...bytes.subarray(0, 4))).toBe("PK\u0003\u0004");
  });

  it("needs a token with sync:read", async () => {
    for (const path of ["/v1/connectors/demo/diff", `/v1/connectors/demo/syncs/${second}/export.csv`]) {
      expect((await app.request(path)).status).toBe(401);
      const provisionOnly = { authorization: `Bearer ${await token("provision")}` };
      expect((await app.request(path, { headers: provisionOnly })).status).toBe(403);
    }
  });
});
