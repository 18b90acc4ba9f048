/**
 * Okta apps: one `access` entitlement each; grants to the groups assigned and to the
 * users Okta lists as app users (directly assigned or through a group); assignment and
 * unassignment of users and groups.
 */
import type { ResourceTypeDefinition } from "../../src/plugins/sdk.ts";
import { app, entitlement, grant, resourceId } from "../../src/plugins/sdk.ts";
import { enc, isNotFound, query } from "./client.ts";
import {
  decodeToken,
  encodeToken,
  includedByDomain,
  type OktaApp,
  type OktaConnection,
  oktaIds,
  types,
  v1Grant,
  v1Id,
  v1Membership,
} from "./model.ts";
import { getUser } from "./users.ts";

export function appResource(a: OktaApp) {
  return app({
    type: types.app.id,
    id: a.id,
    displayName: a.label,
    profile: { status: a.status },
    annotations: oktaIds(a.id),
    flags: [
      ...(a.status !== "ACTIVE" ? (["inactive"] as const) : []),
      ...(a.signOnMode === "SAML_2_0" ? (["saml"] as const) : []),
      ...(a.signOnMode === "OPENID_CONNECT" ? (["oidc"] as const) : []),
      ...(a.signOnMode === "BOOKMARK" ? (["bookmark"] as const) : []),
    ],
  });
}

/** Does the app list this principal (user: directly or via a group; group: assigned)? */
async function assigned(conn: OktaConnection, appId: string, kind: "users" | "groups", id: string): Promise<boolean> {
  try {
    await conn.client.call("GET", `/api/v1/apps/${enc(appId)}/${kind}/${enc(id)}`);
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

function principalKind(type: string | undefined): "users" | "groups" {
  if (type === types.user.id) return "users";
  if (type === types.group.id) return "groups";
  throw new Error(`okta: only users or groups can be assigned an app, not "${type}"`);
}

export const apps: ResourceTypeDefinition<OktaConnection> = {
  resourceType: types.app,
  async list(parent, ctx) {
    if (parent) return { items: [] };
    const first = `/api/v1/apps${query({
      limit: 200,
      filter: ctx.client.config.syncInactiveApps ? undefined : 'status eq "ACTIVE"',
    })}`;
    const page = await ctx.client.client.list<OktaApp>(ctx.pageToken || first);
    return { items: page.items.map(appResource), nextPageToken: page.next };
  },
  entitlements: async (a) => ({
    items: [
      entitlement(a, "access", {
        displayName: `${a.displayName} App Access`,
        description: `Has access to the ${a.displayName} app in Okta`,
        annotations: [v1Id(v1Membership(a.id?.resource as string))],
      }),
    ],
  }),
  async grants(a, ctx) {
    const conn = ctx.client;
    const appId = a.id?.resource as string;
    const token = decodeToken(ctx.pageToken) ?? { phase: "groups", next: "" };
    if (token.phase === "groups") {
      const page = await conn.client.list<{ id: string }>(
        token.next || `/api/v1/apps/${enc(appId)}/groups${query({ limit: 200 })}`,
      );
      return {
        items: page.items.map((g) =>
          grant(a, "access", resourceId(types.group.id, g.id), { annotations: [v1Grant(v1Membership(appId), g.id)] }),
        ),
        nextPageToken: encodeToken(page.next ? "groups" : "users", page.next),
      };
    }
    const page = await conn.client.list<{ id: string; profile?: Record<string, unknown> }>(
      token.next || `/api/v1/apps/${enc(appId)}/users${query({ limit: 500 })}`,
    );
    return {
      items: page.items
        .filter((u) => includedByDomain(conn, u.profile))
        .map((u) =>
          grant(a, "access", resourceId(types.user.id, u.id), { annotations: [v1Grant(v1Membership(appId), u.id)] }),
        ),
      nextPageToken: page.next ? encodeToken("users", page.next) : "",
    };
  },
  async get(id, _parent, ctx) {
    try {
      const a = await ctx.client.client.call<OktaApp>("GET", `/api/v1/apps/${enc(id.resource)}`);
      if (!ctx.client.config.syncInactiveApps && a.status !== "ACTIVE") return undefined;
      return appResource(a);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  },
  async grant(principal, ent, ctx) {
    const conn = ctx.client;
    const kind = principalKind(principal.id?.resourceType);
    const appId = ent.resource?.id?.resource as string;
    const id = principal.id?.resource as string;
    if (await assigned(conn, appId, kind, id)) return { alreadyExists: true };
    if (kind === "users") {
      const u = await getUser(conn, id);
      if (!u) throw new Error(`okta: user ${id} not found`);
      const userName = typeof u.profile.email === "string" ? u.profile.email : "unknown";
      await conn.client.call("POST", `/api/v1/apps/${enc(appId)}/users`, {
        id,
        scope: "USER",
        credentials: { userName },
      });
    } else {
      await conn.client.call("PUT", `/api/v1/apps/${enc(appId)}/groups/${enc(id)}`, {});
    }
    return {
      grants: [grant(ent.resource!, "access", principal.id!, { annotations: [v1Grant(v1Membership(appId), id)] })],
    };
  },
  async revoke(g, ctx) {
    const conn = ctx.client;
    const kind = principalKind(g.principal?.id?.resourceType);
    const appId = g.entitlement?.resource?.id?.resource as string;
    const id = g.principal?.id?.resource as string;
    if (!(await assigned(conn, appId, kind, id))) return { alreadyRevoked: true };
    try {
      await conn.client.call("DELETE", `/api/v1/apps/${enc(appId)}/${kind}/${enc(id)}`);
    } catch (error) {
      // Listed through a group, not assigned directly: only revoking the group's assignment removes it.
      if (isNotFound(error) && kind === "users") {
        throw new Error(`okta: user ${id} has app ${appId} through a group assignment; revoke the group's instead`);
      }
      throw error;
    }
    return {};
  },
};
