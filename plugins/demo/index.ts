/**
 * The demo connector, baton-edge's embedded default: an in-memory organisation
 * that needs no credentials. Grants, revokes, new accounts, rotations and
 * deletions change it for real and persist next to the c1z, so the next sync sees them.
 */

import { create } from "@bufbuild/protobuf";
import * as v from "valibot";
import {
  app,
  definePlugin,
  type Entitlement,
  Entitlement_PurposeValue,
  EntitlementSchema,
  entitlement,
  type Grant,
  grant,
  group,
  type Page,
  type PluginStateStore,
  type Resource,
  type ResourceId,
  resource,
  resourceId,
  resourceType,
  role,
  user,
} from "../../src/plugins/sdk.ts";
import {
  APP_ID,
  type DemoPrincipal,
  type DemoUser,
  ENTITLEMENTS,
  generateOrganisation,
  membershipKey,
  type Organisation,
  parseMembershipKey,
} from "./org.ts";
import { applyEdits, type DemoEdits, deleteFromOrganisation, loadEdits, recordGrant, recordRevoke } from "./state.ts";

const size = (description: string, fallback: number, flag: string) =>
  v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(10_000_000), v.metadata({ description, flag })),
    fallback,
  );

const config = v.object({
  users: size("Number of users in the demo organisation", 25, "users"),
  groups: size("Number of groups (nested as a tree, so expansion matters)", 6, "groups"),
  grants: size("Number of direct user grants spread over groups, roles and projects", 60, "grants"),
  pageSize: size("Items per page the demo returns (exercises paging)", 50, "page-size"),
});

interface DemoClient {
  org: Organisation;
  edits: DemoEdits;
  state?: PluginStateStore;
  pageSize: number;
  /** Id lists per table, so paging does not copy a million keys per page; dropped on every change. */
  idCache: Map<string, string[]>;
}

type Table = "users" | "groups" | "roles" | "projects";

function idsOf(client: DemoClient, table: Table): string[] {
  let ids = client.idCache.get(table);
  if (!ids) {
    ids = [...client.org[table].keys()];
    client.idCache.set(table, ids);
  }
  return ids;
}

const userType = resourceType({ displayName: "User", traits: ["user"], skip: "entitlementsAndGrants" });
const groupType = resourceType({ displayName: "Group", traits: ["group"] });
const roleType = resourceType({ displayName: "Role", traits: ["role"] });
const appType = resourceType({ displayName: "App", traits: ["app"] });
const projectType = resourceType({ displayName: "Project", description: "A project inside the demo app" });

function page<T>(all: readonly T[], token: string, pageSize: number): Page<T> {
  const start = token === "" ? 0 : Number.parseInt(token, 10);
  if (!Number.isInteger(start) || start < 0) throw new Error(`demo: bad page token "${token}"`);
  const size = Math.max(1, pageSize || 50);
  const end = start + size;
  return { items: all.slice(start, end), nextPageToken: end < all.length ? String(end) : "" };
}

function userResource(u: DemoUser): Resource {
  return user({
    id: u.id,
    displayName: u.name,
    emails: [{ address: u.email, primary: true }],
    login: u.login,
    status: u.status,
    profile: { department: u.department, login: u.login, credentialVersion: u.credentialVersion },
    employeeIds: [u.id.toUpperCase()],
  });
}

function groupResource(org: Organisation, id: string): Resource | undefined {
  const g = org.groups.get(id);
  return g && group({ id: g.id, displayName: g.name, profile: { kind: "team" } });
}

function roleResource(org: Organisation, id: string): Resource | undefined {
  const r = org.roles.get(id);
  return r && role({ id: r.id, displayName: r.name });
}

function appResource(): Resource {
  return app({
    id: APP_ID,
    displayName: "Demo App",
    helpUrl: "https://example.com/demo-app",
    childTypes: ["project"],
  });
}

function projectResource(org: Organisation, id: string): Resource | undefined {
  const p = org.projects.get(id);
  return p && resource({ type: "project", id: p.id, displayName: p.name, parent: resourceId("app", APP_ID) });
}

function findResource(org: Organisation, id: ResourceId): Resource | undefined {
  switch (id.resourceType) {
    case "user": {
      const u = org.users.get(id.resource);
      return u && userResource(u);
    }
    case "group":
      return groupResource(org, id.resource);
    case "role":
      return roleResource(org, id.resource);
    case "app":
      return id.resource === APP_ID ? appResource() : undefined;
    case "project":
      return projectResource(org, id.resource);
  }
  return undefined;
}

function entitlementsOf(owner: Resource): Entitlement[] {
  const type = owner.id!.resourceType;
  return (ENTITLEMENTS[type]?.slugs ?? []).map((slug) =>
    entitlement(owner, slug, {
      displayName: `${owner.displayName} ${slug}`,
      description: `${slug} of ${owner.displayName}`,
      grantableTo: [userType, groupType],
    }),
  );
}

function grantOf(org: Organisation, owner: Resource, key: string): Grant | undefined {
  const { entitlementId, principal } = parseMembershipKey(key);
  const slug = entitlementId.slice(entitlementId.lastIndexOf(":") + 1);
  const principalResource = findResource(org, resourceId(principal.type, principal.id));
  if (!principalResource) return undefined;
  // A group holding an entitlement passes it to its members: Baton's GrantExpandable.
  const expandable =
    principal.type === "group" ? { entitlementIds: [`group:${principal.id}:member`], shallow: false } : undefined;
  return grant(owner, slug, principalResource.id!, { expandable });
}

/** One page of an owner's grants, building only the grants on that page. */
function grantPage(org: Organisation, owner: Resource, token: string, pageSize: number): Page<Grant> {
  const keys = page(org.memberships.ofResource(`${owner.id!.resourceType}:${owner.id!.resource}`), token, pageSize);
  return {
    items: keys.items.map((key) => grantOf(org, owner, key)).filter((g): g is Grant => g !== undefined),
    nextPageToken: keys.nextPageToken,
  };
}

async function persist(client: DemoClient): Promise<void> {
  client.idCache.clear();
  await client.state?.save(`${JSON.stringify(client.edits, null, 2)}\n`);
}

function principalOf(resourceValue: Resource): DemoPrincipal {
  const type = resourceValue.id?.resourceType;
  if (type !== "user" && type !== "group") {
    throw new Error(`demo: principals must be users or groups, got "${type}"`);
  }
  return { type, id: resourceValue.id!.resource };
}

/** Grant and revoke shared by every grantable type; dispatch is by the entitlement's resource type. */
const provisioning = {
  async grant(principal: Resource, ent: Entitlement, ctx: { client: DemoClient }) {
    const { org } = ctx.client;
    const owner = ent.resource?.id;
    if (!owner || !findResource(org, owner)) throw new Error(`demo: entitlement ${ent.id} has no resource in the demo`);
    const slug = ent.id.slice(ent.id.lastIndexOf(":") + 1);
    if (!ENTITLEMENTS[owner.resourceType]?.slugs.includes(slug)) throw new Error(`demo: unknown entitlement ${ent.id}`);
    const who = principalOf(principal);
    if (!findResource(org, principal.id!)) throw new Error(`demo: principal ${who.type}:${who.id} does not exist`);
    const key = membershipKey(ent.id, who);
    const built = grantOf(org, findResource(org, owner)!, key);
    if (org.memberships.has(key)) return { alreadyExists: true, grants: built ? [built] : [] };
    org.memberships.add(key);
    recordGrant(ctx.client.edits, key);
    await persist(ctx.client);
    return { grants: [grantOf(org, findResource(org, owner)!, key)!] };
  },
  async revoke(g: Grant, ctx: { client: DemoClient }) {
    const who = principalOf(g.principal!);
    const key = membershipKey(g.entitlement!.id, who);
    if (!ctx.client.org.memberships.delete(key)) return { alreadyRevoked: true };
    recordRevoke(ctx.client.edits, key);
    await persist(ctx.client);
    return {};
  },
};

/** Pages over ids first and builds resources only for the page (benchmark sizes stay linear). */
function listing(
  ids: (client: DemoClient) => string[],
  build: (client: DemoClient, id: string) => Resource | undefined,
) {
  return async (_: unknown, ctx: { client: DemoClient; pageToken: string }): Promise<Page<Resource>> => {
    const keys = page(ids(ctx.client), ctx.pageToken, ctx.client.pageSize);
    return {
      items: keys.items.map((id) => build(ctx.client, id)).filter((r): r is Resource => r !== undefined),
      nextPageToken: keys.nextPageToken,
    };
  };
}

const get = async (id: ResourceId, _parent: ResourceId | undefined, ctx: { client: DemoClient }) =>
  findResource(ctx.client.org, id);

const noPage = async (): Promise<Page<never>> => ({ items: [] });

function randomPassword(length = 20): string {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!@#%";
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}

const userActionArgs = v.object({
  userId: v.pipe(v.string(), v.minLength(1), v.description("The id of the user, e.g. u-0001")),
});

async function setUserStatus(client: DemoClient, userId: string, status: DemoUser["status"]) {
  const target = client.org.users.get(userId);
  if (!target) throw new Error(`demo: no user ${userId}`);
  const previous = target.status;
  target.status = status;
  client.edits.statuses[target.id] = status;
  await persist(client);
  return { userId: target.id, status, previousStatus: previous };
}

export default definePlugin({
  name: "demo",
  displayName: "Demo",
  description: "An in-memory organisation (users, nested groups, roles, an app with projects); no credentials needed.",
  version: "0.1.0",
  config,
  metadata: { helpUrl: "https://github.com/baton-edge/baton-edge/blob/main/docs/plugins.md" },
  async connect(settings, ctx): Promise<DemoClient> {
    const org = generateOrganisation(settings);
    const edits = await loadEdits(ctx.state);
    applyEdits(org, edits);
    return { org, edits, state: ctx.state, pageSize: settings.pageSize, idCache: new Map() };
  },
  resourceTypes: [
    {
      resourceType: userType,
      list: listing(
        (client) => idsOf(client, "users"),
        (client, id) => userResource(client.org.users.get(id)!),
      ),
      entitlements: noPage,
      grants: noPage,
      get,
    },
    {
      resourceType: groupType,
      list: listing(
        (client) => idsOf(client, "groups"),
        (client, id) => groupResource(client.org, id),
      ),
      entitlements: async (owner) => ({ items: entitlementsOf(owner) }),
      grants: async (owner, ctx) => grantPage(ctx.client.org, owner, ctx.pageToken, ctx.client.pageSize),
      get,
      ...provisioning,
    },
    {
      resourceType: roleType,
      list: listing(
        (client) => idsOf(client, "roles"),
        (client, id) => roleResource(client.org, id),
      ),
      entitlements: async (owner) => ({ items: entitlementsOf(owner) }),
      grants: async (owner, ctx) => grantPage(ctx.client.org, owner, ctx.pageToken, ctx.client.pageSize),
      get,
      ...provisioning,
    },
    {
      resourceType: appType,
      list: listing(
        () => [APP_ID],
        () => appResource(),
      ),
      entitlements: async (owner) => ({ items: entitlementsOf(owner) }),
      grants: async (owner, ctx) => grantPage(ctx.client.org, owner, ctx.pageToken, ctx.client.pageSize),
      get,
      ...provisioning,
    },
    {
      resourceType: projectType,
      // Projects are children of the app: listed only under it (ChildResourceType), never at the top level.
      list: async (parent, ctx) =>
        parent?.resourceType === "app" && parent.resource === APP_ID
          ? listing(
              (client) => idsOf(client, "projects"),
              (client, id) => projectResource(client.org, id),
            )(parent, ctx)
          : { items: [] },
      entitlements: noPage,
      staticEntitlements: async () => ({
        items: ENTITLEMENTS.project.slugs.map((slug) =>
          create(EntitlementSchema, {
            slug,
            displayName: slug,
            description: `${slug} of the project`,
            purpose: Entitlement_PurposeValue.ASSIGNMENT,
            grantableTo: [userType, groupType],
          }),
        ),
      }),
      grants: async (owner, ctx) => grantPage(ctx.client.org, owner, ctx.pageToken, ctx.client.pageSize),
      get,
      ...provisioning,
    },
  ],
  accountResourceType: "user",
  async createAccount(account, ctx) {
    const { org, edits } = ctx.client;
    const login = account.login.trim().toLowerCase();
    if (!/^[a-z0-9._-]{1,64}$/.test(login)) throw new Error(`demo: invalid login "${account.login}"`);
    const existing = [...org.users.values()].find((u) => u.login === login);
    if (existing) return { result: "alreadyExists" as const, resource: userResource(existing) };
    const primary = account.emails?.find((e) => e.primary) ?? account.emails?.[0];
    const department = account.profile?.department;
    const created: DemoUser = {
      id: `u-${login}`,
      name: typeof account.profile?.name === "string" ? account.profile.name : login,
      login,
      email: primary?.address ?? `${login}@example.com`,
      status: "enabled",
      department: typeof department === "string" ? department : "Engineering",
      credentialVersion: 1,
    };
    org.users.set(created.id, created);
    edits.createdUsers = [...edits.createdUsers.filter((u) => u.id !== created.id), created];
    edits.deleted = edits.deleted.filter((ref) => ref !== `user:${created.id}`);
    await persist(ctx.client);
    return { resource: userResource(created), credentials: [{ name: "password", value: randomPassword() }] };
  },
  rotateResourceTypes: ["user"],
  async rotateCredentials(id, ctx) {
    const target = ctx.client.org.users.get(id.resource);
    if (id.resourceType !== "user" || !target) throw new Error(`demo: no user ${id.resourceType}:${id.resource}`);
    target.credentialVersion += 1;
    ctx.client.edits.rotations[target.id] = target.credentialVersion;
    await persist(ctx.client);
    return { credentials: [{ name: "password", value: randomPassword() }] };
  },
  actions: [
    {
      name: "lock_user",
      displayName: "Lock user",
      description: "Disables a user; the next sync shows its status as DISABLED.",
      args: userActionArgs,
      run: (args, ctx) => setUserStatus(ctx.client, args.userId as string, "disabled"),
    },
    {
      name: "unlock_user",
      displayName: "Unlock user",
      description: "Enables a user again.",
      args: userActionArgs,
      run: (args, ctx) => setUserStatus(ctx.client, args.userId as string, "enabled"),
    },
  ],
  deleteResourceTypes: ["group", "project", "user"],
  async deleteResource(id, ctx) {
    const ref = `${id.resourceType}:${id.resource}`;
    if (!deleteFromOrganisation(ctx.client.org, ref)) return { alreadyDeleted: true };
    const { edits } = ctx.client;
    edits.createdUsers = edits.createdUsers.filter((u) => `user:${u.id}` !== ref);
    if (!edits.deleted.includes(ref)) edits.deleted.push(ref);
    await persist(ctx.client);
    return {};
  },
});
