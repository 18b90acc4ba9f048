/**
 * The local Okta checked with Okta's own Node client, @okta/okta-sdk-nodejs: it pages
 * users, groups and apps (following Link: rel="next") and gets the seeded org back,
 * parses our error bodies into its OktaApiError, and its mutations change the org.
 * Whatever shape our server got wrong, Okta's client would trip over.
 */
import { globalAgent } from "node:https";
import { Client } from "@okta/okta-sdk-nodejs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalOkta, startLocalOkta } from "./support/okta-harness.ts";
import { SEED } from "./support/okta-org.ts";

describe("the local Okta through @okta/okta-sdk-nodejs", () => {
  let local: LocalOkta;
  let client: Client;
  const previousCa = globalAgent.options.ca;

  beforeAll(async () => {
    local = await startLocalOkta({ maxPageSize: 30 });
    // The SDK uses node-fetch over https.globalAgent; trust the test CA for this file only.
    globalAgent.options.ca = local.ca.caPem;
    client = new Client({ orgUrl: local.server.baseUrl, token: local.server.token, cacheMiddleware: null });
  });

  afterAll(async () => {
    globalAgent.options.ca = previousCa;
    await local?.stop();
  });

  async function collect<T>(collection: AsyncIterable<T | null>): Promise<T[]> {
    const out: T[] = [];
    for await (const item of collection) if (item !== null) out.push(item);
    return out;
  }

  it("lists every seeded user, all statuses included with search=status pr, across pages", async () => {
    const seen = await collect(await client.userApi.listUsers({ search: "status pr", limit: 25 }));
    expect(seen.length).toBe(SEED.users);
    expect(seen.map((u) => u.id)).toEqual(local.server.org.users.map((u) => u.id));
    const statuses = new Set(seen.map((u) => u.status as unknown as string));
    expect([...statuses].sort()).toEqual(
      [
        "ACTIVE",
        "DEPROVISIONED",
        "LOCKED_OUT",
        "PASSWORD_EXPIRED",
        "PROVISIONED",
        "RECOVERY",
        "STAGED",
        "SUSPENDED",
      ].sort(),
    );
    const zoe = seen.find((u) => u.profile?.firstName === "Zoë");
    expect(zoe?.profile?.login).toMatch(/@/);
    expect(seen.some((u) => u.profile?.firstName === 'Mary "Mae"')).toBe(true);
    // Without a search Okta leaves deprovisioned users out.
    const plain = await collect(await client.userApi.listUsers({ limit: 50 }));
    expect(plain.length).toBe(local.server.org.users.filter((u) => u.status !== "DEPROVISIONED").length);
    expect(local.server.requests.some((r) => r.startsWith("GET /api/v1/users?") && r.includes("after="))).toBe(true);
  });

  it("lists the 30 groups with their names (quotes, unicode, spaces) and members", async () => {
    const groups = await collect(await client.groupApi.listGroups({ limit: 7 }));
    expect(groups.length).toBe(SEED.groups);
    expect(groups.map((g) => g.profile?.name)).toEqual(local.server.org.groups.map((g) => g.profile.name));
    expect(groups.map((g) => g.profile?.name)).toContain("  Leading and trailing spaces  ");
    expect(groups.find((g) => g.profile?.name === "Everyone")?.type as unknown as string).toBe("BUILT_IN");
    const engineering = groups.find((g) => g.profile?.name === "Engineering");
    const members = await collect(
      await client.groupApi.listGroupUsers({ groupId: engineering?.id as string, limit: 5 }),
    );
    expect(members.map((u) => u.id)).toEqual(local.server.org.members.get(engineering?.id as string));
  });

  it("lists the 10 apps with their sign-on modes and assignments", async () => {
    const apps = await collect(await client.applicationApi.listApplications({ limit: 3 }));
    expect(apps.map((a) => a.label)).toEqual(local.server.org.apps.map((a) => a.label));
    expect(apps.map((a) => a.signOnMode as unknown as string)).toContain("SAML_2_0");
    const app = local.server.org.apps[1]!;
    const groups = await collect(await client.applicationApi.listApplicationGroupAssignments({ appId: app.id }));
    expect(groups.map((g) => g.id)).toEqual(local.server.org.appGroups.get(app.id));
    const appUsers = await collect(await client.applicationApi.listApplicationUsers({ appId: app.id, limit: 10 }));
    expect(appUsers.length).toBeGreaterThan(local.server.org.appUsers.get(app.id)?.length ?? 0);
    expect(new Set(appUsers.map((u) => u.scope))).toEqual(new Set(["USER", "GROUP"]));
  });

  it("answers errors in Okta's shape, which the SDK turns into OktaApiError", async () => {
    const error = await client.userApi.getUser({ userId: "00unosuchuser0000000" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 404, errorCode: "E0000007" });
    expect(String((error as { errorSummary?: string }).errorSummary)).toContain("Not found");
    const bad = new Client({ orgUrl: local.server.baseUrl, token: "wrong-token", cacheMiddleware: null });
    const denied = await bad.userApi.getUser({ userId: local.server.org.users[0]!.id }).catch((e: unknown) => e);
    expect(denied).toMatchObject({ status: 401, errorCode: "E0000011" });
  });

  it("mutations through the SDK change the org: group membership, roles, lifecycle", async () => {
    const group = local.server.org.groups[2]!;
    const user = local.server.org.users.find((u) => !local.server.org.members.get(group.id)?.includes(u.id))!;
    await client.groupApi.assignUserToGroup({ groupId: group.id, userId: user.id });
    expect(local.server.org.members.get(group.id)).toContain(user.id);
    await client.groupApi.unassignUserFromGroup({ groupId: group.id, userId: user.id });
    expect(local.server.org.members.get(group.id)).not.toContain(user.id);

    const role = await client.roleAssignmentApi.assignRoleToUser({
      userId: user.id,
      assignRoleRequest: { type: "REPORT_ADMIN" } as never,
    });
    expect((role as { type?: string }).type).toBe("REPORT_ADMIN");
    const duplicate = await client.roleAssignmentApi
      .assignRoleToUser({ userId: user.id, assignRoleRequest: { type: "REPORT_ADMIN" } as never })
      .catch((e: unknown) => e);
    expect(duplicate).toMatchObject({ status: 409, errorCode: "E0000090" });

    const active = local.server.org.users.find((u) => u.status === "ACTIVE")!;
    await client.userApi.suspendUser({ userId: active.id });
    expect(active.status).toBe("SUSPENDED");
    await client.userApi.unsuspendUser({ userId: active.id });
    expect(active.status).toBe("ACTIVE");
  });
});
