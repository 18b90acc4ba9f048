/**
 * A small but varied sync written with baton-edge's writer: every trait we model,
 * a child resource, profiles with several keys (integer-like ones included),
 * unicode, grant metadata and GrantExpandable.
 */
import { createC1z, openC1zWorkFile } from "../../src/c1z/index.ts";
import type { SqliteC1zStore } from "../../src/c1z/sqlite-store.ts";
import {
  app,
  entitlement,
  grant,
  group,
  resource,
  resourceType,
  role,
  secret,
  user,
} from "../../src/model/builders.ts";
import type { EngineChoice } from "../../src/storage/index.ts";

/**
 * `workFile`: the sample goes into a file-backed native store there, which ends as runSync ends
 * (cleanup, then endSync), so its c1z is written from the packed copy (src/c1z/pack.ts).
 */
export async function writeSample(engine?: EngineChoice, workFile?: string): Promise<SqliteC1zStore> {
  const store = workFile ? await openC1zWorkFile(workFile) : await createC1z({ engine });
  store.startSync("full");

  const userType = resourceType({ displayName: "User", traits: ["user"], skip: "entitlementsAndGrants" });
  const groupType = resourceType({ displayName: "Group", traits: ["group"], description: "Teams" });
  const roleType = resourceType({ displayName: "Role", traits: ["role"] });
  const appType = resourceType({ displayName: "App", traits: ["app"] });
  const projectType = resourceType({ displayName: "Project" });
  const secretType = resourceType({ id: "api-key", displayName: "API Key", traits: ["secret"] });
  store.putResourceTypes([userType, groupType, roleType, appType, projectType, secretType]);

  const alice = user({
    id: "alice",
    displayName: "Zoë Ålice 😀",
    emails: [{ address: "zoë@example.com", primary: true }, { address: "alice@example.org" }],
    status: "enabled",
    login: "alice",
    accountType: "human",
    profile: { department: "Ops", "10": "ten", "9": 9, a: true, nested: { z: null, "2": [1, "two"], b: "β" } },
    createdAt: new Date(Date.UTC(2024, 1, 29, 12, 0, 0, 123)),
    mfaEnabled: true,
  });
  const bob = user({ id: "bob", displayName: "Bob", emails: [{ address: "bob@example.com" }], status: "disabled" });
  const eng = group({ id: "eng", displayName: "Engineering", profile: { size: 55, color: "green", "100": "x" } });
  const admins = group({ id: "admins", displayName: "Admins" });
  const owner = role({ id: "owner", displayName: "Owner", profile: { level: 3 } });
  const crm = app({
    id: "crm",
    displayName: "CRM ünïcode",
    helpUrl: "https://example.com/help",
    flags: ["saml"],
    childTypes: ["project"],
  });
  const project = resource({
    type: "project",
    id: "p-1",
    displayName: "Project One",
    parent: crm.id,
  });
  const key = secret({
    type: "api-key",
    id: "k1",
    displayName: "deploy key",
    identity: bob.id,
    expiresAt: new Date(Date.UTC(2030, 0, 1)),
  });
  store.putResources([alice, bob, eng, admins, owner, crm, project, key]);

  const engMember = entitlement(eng, "member", { grantableTo: [userType, groupType] });
  const adminsMember = entitlement(admins, "member", { grantableTo: [userType, groupType] });
  const ownerAssigned = entitlement(owner, "assigned", { description: "holds the role" });
  const crmAccess = entitlement(crm, "access", { purpose: "permission" });
  const projectAdmin = entitlement(project, "admin", { purpose: "ownership", displayName: "Project admin" });
  store.putEntitlements([engMember, adminsMember, ownerAssigned, crmAccess, projectAdmin]);

  store.putGrants([
    grant(eng, "member", alice.id ?? alice),
    grant(eng, "member", bob.id ?? bob),
    // Members of eng are admins too: GrantExpandable goes to the expansion column.
    grant(admins, "member", eng, { expandable: { entitlementIds: [engMember.id], resourceTypeIds: ["user"] } }),
    grant(owner, ownerAssigned, bob.id ?? bob, { metadata: { reason: "on-call", "7": "seven", "11": "eleven" } }),
    grant(crm, crmAccess, alice.id ?? alice),
    grant(project, projectAdmin, alice.id ?? alice),
  ]);
  if (workFile) store.cleanup();
  store.endSync();
  return store;
}

/** What the sample contains, written down independently of any reader. */
export const SAMPLE_COUNTS = { resourceTypes: 6, resources: 8, entitlements: 5, grants: 6 };
