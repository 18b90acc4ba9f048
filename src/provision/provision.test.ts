import { create } from "@bufbuild/protobuf";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { createC1z } from "../c1z/index.ts";
import { findAnnotation, packAny } from "../model/annotations.ts";
import { entitlement, grant, group, resource, resourceType, user } from "../model/builders.ts";
import {
  BatonIDSchema,
  type Grant,
  GrantAlreadyExistsSchema,
  GrantAlreadyRevokedSchema,
  type Resource,
  UserTraitSchema,
} from "../model/types.ts";
import { connectPlugin } from "../plugins/connect.ts";
import type { AnyPlugin } from "../plugins/contract.ts";
import { definePlugin } from "../plugins/define.ts";
import {
  createAccount,
  deleteResource,
  grantEntitlement,
  ProvisionError,
  revokeGrant,
  rotateCredentials,
} from "./index.ts";

const userType = resourceType({ displayName: "User", traits: ["user"] });
const groupType = resourceType({ displayName: "Group", traits: ["group"] });
const roleType = resourceType({ displayName: "Role" });
const ada = user({ id: "ada", displayName: "Ada" });
const eng = group({ id: "eng", displayName: "Eng" });

/** Records what reaches the plugin, so dispatch and the resolved objects can be checked. */
function recordingPlugin(
  calls: { op: string; type: string; principal?: Resource; grant?: Grant; entResource?: Resource }[],
): AnyPlugin {
  const members = new Set<string>();
  const typed = (type: typeof userType, withProvisioning: boolean) => ({
    resourceType: type,
    list: async () => ({ items: [] }),
    entitlements: async () => ({ items: [] }),
    grants: async () => ({ items: [] }),
    ...(withProvisioning
      ? {
          grant: async (principal: Resource, ent: { id: string; resource?: Resource }) => {
            calls.push({ op: "grant", type: type.id, principal, entResource: ent.resource });
            const key = `${ent.id}|${principal.id!.resource}`;
            const already = members.has(key);
            members.add(key);
            return { alreadyExists: already };
          },
          revoke: async (g: Grant) => {
            calls.push({ op: "revoke", type: type.id, grant: g });
            return { alreadyRevoked: !members.delete(`${g.entitlement!.id}|${g.principal!.id!.resource}`) };
          },
        }
      : {}),
  });
  return definePlugin({
    name: "rec",
    displayName: "Recorder",
    config: v.object({}),
    connect: () => ({}),
    resourceTypes: [typed(userType, true), typed(groupType, true), typed(roleType, false)],
    createAccount: async (account) => ({
      resource: user({ id: account.login, displayName: account.login, emails: account.emails }),
      credentials: [{ name: "password", value: "pw" }],
    }),
    rotateCredentials: async () => ({ credentials: [{ name: "password", value: "new" }] }),
    deleteResource: async (id) => ({ alreadyDeleted: id.resource === "gone" }),
    deleteResourceTypes: ["user"],
  });
}

async function storeWithData() {
  const store = await createC1z();
  store.startSync("full");
  store.putResourceTypes([userType, groupType, roleType]);
  // A resource another connector's sync brought in: Baton refuses to provision through it.
  const external = group({
    id: "ext",
    displayName: "External",
    annotations: [packAny(BatonIDSchema, create(BatonIDSchema))],
  });
  const role = resource({ type: "role", id: "r1", displayName: "Role 1" });
  store.putResources([ada, eng, external, role]);
  store.putEntitlements([entitlement(eng, "member"), entitlement(external, "member"), entitlement(role, "assigned")]);
  store.putGrants([grant(eng, "member", ada)]);
  store.endSync();
  return store;
}

describe("provisioning from a c1z", () => {
  it("resolves the entitlement with its full resource and the principal, dispatching by the entitlement's type", async () => {
    const calls: Parameters<typeof recordingPlugin>[0] = [];
    const target = await connectPlugin(recordingPlugin(calls), {});
    const store = await storeWithData();
    const first = await grantEntitlement(target, store, {
      entitlementId: "group:eng:member",
      principalId: "ada",
      principalType: "user",
    });
    expect(first.status).toBe("granted");
    expect(calls[0].type).toBe("group");
    expect(calls[0].principal?.displayName).toBe("Ada");
    expect(calls[0].entResource?.displayName).toBe("Eng");
    const again = await grantEntitlement(target, store, {
      entitlementId: "group:eng:member",
      principalId: "ada",
      principalType: "user",
    });
    expect(again.status).toBe("already-exists");
    expect(findAnnotation(again.annotations, GrantAlreadyExistsSchema)).toBeDefined();

    const revoked = await revokeGrant(target, store, { grantId: "group:eng:member:user:ada" });
    expect(revoked.status).toBe("revoked");
    expect(calls[2].grant?.principal?.displayName).toBe("Ada");
    expect(calls[2].grant?.entitlement?.resource?.displayName).toBe("Eng");
    const twice = await revokeGrant(target, store, { grantId: "group:eng:member:user:ada" });
    expect(twice.status).toBe("already-revoked");
    expect(findAnnotation(twice.annotations, GrantAlreadyRevokedSchema)).toBeDefined();
  });

  it("refuses missing objects, external (BatonID) resources and types without a provisioner", async () => {
    const target = await connectPlugin(recordingPlugin([]), {});
    const store = await storeWithData();
    const code = (p: Promise<unknown>) =>
      p.then(
        () => "ok",
        (e: unknown) => (e instanceof ProvisionError ? `${e.code}: ${e.message}` : String(e)),
      );
    expect(
      await code(
        grantEntitlement(target, store, {
          entitlementId: "group:nope:member",
          principalId: "ada",
          principalType: "user",
        }),
      ),
    ).toBe("not-found: entitlement group:nope:member not found in the c1z (run a sync first)");
    expect(
      await code(
        grantEntitlement(target, store, {
          entitlementId: "group:eng:member",
          principalId: "bob",
          principalType: "user",
        }),
      ),
    ).toBe("not-found: principal user:bob not found in the c1z (run a sync first)");
    expect(
      await code(
        grantEntitlement(target, store, {
          entitlementId: "group:ext:member",
          principalId: "ada",
          principalType: "user",
        }),
      ),
    ).toBe("failed-precondition: entitlement resource group:ext is an external resource (BatonID)");
    expect(
      await code(
        grantEntitlement(target, store, {
          entitlementId: "role:r1:assigned",
          principalId: "ada",
          principalType: "user",
        }),
      ),
    ).toBe("unimplemented: resource type role does not have provisioner configured");
    expect(await code(revokeGrant(target, store, { grantId: "group:eng:member:user:nobody" }))).toMatch(
      /^not-found: grant /,
    );
  });

  it("creates accounts, rotates and deletes only where the plugin declares it", async () => {
    const target = await connectPlugin(recordingPlugin([]), {});
    const emails = [{ address: "bo@example.com", primary: true }, { address: "bo@old.example" }];
    const account = await createAccount(target, { login: "bo", emails });
    expect(account.status).toBe("success");
    // Every email reaches the plugin, not only the primary one.
    const trait = findAnnotation(account.resource!.annotations, UserTraitSchema);
    expect(trait?.emails.map((e) => [e.address, e.isPrimary])).toEqual([
      ["bo@example.com", true],
      ["bo@old.example", false],
    ]);
    expect(account.credentials).toHaveLength(1);
    await expect(createAccount(target, { login: "bo", resourceType: "group" })).rejects.toThrow(
      /creates accounts of type user only/,
    );
    expect((await rotateCredentials(target, { resourceId: "ada", resourceType: "user" })).credentials).toHaveLength(1);
    await expect(rotateCredentials(target, { resourceId: "eng", resourceType: "group" })).rejects.toThrow(
      ProvisionError,
    );
    expect((await deleteResource(target, { resourceId: "gone", resourceType: "user" })).status).toBe("already-deleted");
    await expect(deleteResource(target, { resourceId: "eng", resourceType: "group" })).rejects.toThrow(
      /does not delete resources of type group/,
    );
  });
});
