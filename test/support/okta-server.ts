/**
 * A local Okta: an HTTPS server speaking the parts of Okta's Management API that
 * connectors use (users, groups and members, apps with user/group assignments, admin
 * role assignments on users and groups, custom roles, resource sets and bindings,
 * devices, API tokens, user lifecycle), with Okta's paging (`limit`/`after` and
 * `Link: <…>; rel="next"`), rate-limit headers (`X-Rate-Limit-Limit/-Remaining/-Reset`,
 * epoch seconds), and error bodies (`errorCode`, `errorSummary`, `errorLink`, `errorId`,
 * `errorCauses`). Shapes follow developer.okta.com's API reference; a test checks them
 * with Okta's own Node client.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer as createHttpServer } from "node:http";
import { createServer, type Server } from "node:https";
import { type AddressInfo, connect } from "node:net";
import { type OAuthServiceApp, oauthAuthority } from "./okta-oauth.ts";
import {
  type OktaApp,
  type OktaGroup,
  type OktaOrg,
  type OktaUser,
  oktaId,
  type RoleAssignment,
  STANDARD_ROLES,
  seedOrg,
  type UserStatus,
} from "./okta-org.ts";
import type { TestCa } from "./okta-tls.ts";

export const OKTA_TEST_TOKEN = "00TestTokenForTheLocalOkta-do-not-log-0123456789";

export interface OktaServerOptions {
  ca: TestCa;
  token?: string;
  /** Largest page any list returns, whatever `limit` asks (Okta caps too); small values exercise paging. */
  maxPageSize?: number;
  /** The server's clock (epoch ms) for `Date` and `X-Rate-Limit-Reset`; tests pass their injected clock's. */
  now?: () => number;
  org?: OktaOrg;
  /**
   * Requests per minute the headers advertise (X-Rate-Limit-Limit); past it Remaining is 0.
   * High by default so no test trips it by accident; `rateLimit` / `spendWindow` do it on purpose.
   */
  rateLimitPerMinute?: number;
  /** An OAuth 2.0 service app whose DPoP-bound tokens the API also accepts (okta-oauth.ts). */
  oauthApp?: OAuthServiceApp;
}

interface RateLimitFault {
  path: RegExp;
  times: number;
  resetInSeconds: number;
}

export interface OktaServer {
  /** `127.0.0.1:PORT`, what `--domain` takes. */
  domain: string;
  port: number;
  baseUrl: string;
  token: string;
  org: OktaOrg;
  /** Every request, as `METHOD /path?query`. */
  requests: string[];
  /** How many 429 answers were served. */
  tooManyRequests(): number;
  /** The next `times` requests whose path matches answer 429 with `X-Rate-Limit-Reset` `resetInSeconds` ahead. */
  rateLimit(path: RegExp, times: number, resetInSeconds: number): void;
  /** The next request whose path matches succeeds but spends the window: `X-Rate-Limit-Remaining: 0`, reset ahead. */
  spendWindow(path: RegExp, resetInSeconds: number): void;
  stop(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    readonly summary: string,
    readonly causes: string[] = [],
  ) {
    super(summary);
  }
}

const notFound = (what: string) => new HttpError(404, "E0000007", `Not found: Resource not found: ${what}`);

export async function startOktaServer(options: OktaServerOptions): Promise<OktaServer> {
  const org = options.org ?? seedOrg();
  const token = options.token ?? OKTA_TEST_TOKEN;
  const now = options.now ?? Date.now;
  const maxPageSize = options.maxPageSize ?? 200;
  const limitPerMinute = options.rateLimitPerMinute ?? 10_000;
  const requests: string[] = [];
  const oauth = options.oauthApp ? oauthAuthority(options.oauthApp) : undefined;
  const faults: RateLimitFault[] = [];
  const spends: RateLimitFault[] = [];
  let served429 = 0;
  let windowStart = 0;
  let windowCount = 0;
  let base = "";
  let domain = "";

  const newId = (prefix: string) => oktaId(prefix, org.nextId++);
  const stamp = () => new Date(now()).toISOString();

  // ---- lookups -------------------------------------------------------------------------
  const findUser = (idOrLogin: string): OktaUser => {
    const decoded = decodeURIComponent(idOrLogin);
    const user = org.users.find((u) => u.id === decoded || u.profile.login === decoded);
    if (!user) throw notFound(`${decoded} (User)`);
    return user;
  };
  const findGroup = (id: string): OktaGroup => {
    const group = org.groups.find((g) => g.id === id);
    if (!group) throw notFound(`${id} (UserGroup)`);
    return group;
  };
  const findApp = (id: string): OktaApp => {
    const app = org.apps.find((a) => a.id === id);
    if (!app) throw notFound(`${id} (AppInstance)`);
    return app;
  };

  // ---- shapes --------------------------------------------------------------------------
  const userJson = (u: OktaUser) => ({
    id: u.id,
    status: u.status,
    created: u.created,
    activated: u.activated,
    statusChanged: u.statusChanged,
    lastLogin: u.lastLogin,
    lastUpdated: u.lastUpdated,
    passwordChanged: u.passwordChanged,
    type: u.type,
    profile: u.profile,
    credentials: {
      provider: { type: "OKTA", name: "OKTA" },
    },
    _links: { self: { href: `${base}/api/v1/users/${u.id}` } },
  });
  const appsOfGroup = (groupId: string) => [...org.appGroups.values()].filter((ids) => ids.includes(groupId)).length;
  const groupJson = (g: OktaGroup, expand: string[]) => ({
    id: g.id,
    created: g.created,
    lastUpdated: g.lastUpdated,
    lastMembershipUpdated: g.lastMembershipUpdated,
    objectClass: g.objectClass,
    type: g.type,
    profile: g.profile,
    _links: {
      self: { href: `${base}/api/v1/groups/${g.id}` },
      users: { href: `${base}/api/v1/groups/${g.id}/users` },
      apps: { href: `${base}/api/v1/groups/${g.id}/apps` },
    },
    ...(expand.includes("stats")
      ? {
          _embedded: {
            stats: {
              usersCount: org.members.get(g.id)?.length ?? 0,
              appsCount: appsOfGroup(g.id),
              groupPushMappingsCount: 0,
              hasAdminPrivilege: (org.groupRoles.get(g.id) ?? []).length > 0,
              _links: { self: { href: `${base}/api/v1/groups/${g.id}/stats` } },
            },
          },
        }
      : {}),
  });
  const appJson = (a: OktaApp) => ({
    id: a.id,
    name: a.name,
    label: a.label,
    status: a.status,
    created: a.created,
    lastUpdated: a.lastUpdated,
    signOnMode: a.signOnMode,
    features: a.features,
    accessibility: { selfService: false, errorRedirectUrl: null, loginRedirectUrl: null },
    visibility: { autoSubmitToolbar: false, hide: { iOS: false, web: false }, appLinks: {} },
    credentials: { userNameTemplate: { template: "$" + "{source.login}", type: "BUILT_IN" }, signing: {} },
    settings: { app: {}, notifications: {}, signOn: {} },
    _links: {
      self: { href: `${base}/api/v1/apps/${a.id}` },
      users: { href: `${base}/api/v1/apps/${a.id}/users` },
      groups: { href: `${base}/api/v1/apps/${a.id}/groups` },
    },
  });
  /** Users of an app: direct assignments (scope USER) and members of assigned groups (scope GROUP), as Okta lists them. */
  const appUserEntries = (appId: string): { userId: string; scope: "USER" | "GROUP" }[] => {
    const out = new Map<string, "USER" | "GROUP">();
    for (const id of org.appUsers.get(appId) ?? []) out.set(id, "USER");
    for (const gid of org.appGroups.get(appId) ?? []) {
      for (const id of org.members.get(gid) ?? []) if (!out.has(id)) out.set(id, "GROUP");
    }
    return [...out].map(([userId, scope]) => ({ userId, scope }));
  };
  const appUserJson = (appId: string, userId: string, scope: string) => {
    const u = findUser(userId);
    return {
      id: u.id,
      externalId: null,
      created: u.created,
      lastUpdated: u.lastUpdated,
      scope,
      status: "PROVISIONED",
      statusChanged: u.lastUpdated,
      passwordChanged: null,
      syncState: "DISABLED",
      credentials: { userName: u.profile.email },
      profile: { email: u.profile.email, secondEmail: u.profile.secondEmail, login: u.profile.login },
      _links: { app: { href: `${base}/api/v1/apps/${appId}` }, user: { href: `${base}/api/v1/users/${u.id}` } },
    };
  };
  const appGroupJson = (appId: string, groupId: string) => ({
    id: groupId,
    lastUpdated: findGroup(groupId).lastUpdated,
    priority: 0,
    profile: {},
    _links: { app: { href: `${base}/api/v1/apps/${appId}` }, group: { href: `${base}/api/v1/groups/${groupId}` } },
  });
  const roleJson = (r: RoleAssignment, owner: string) => ({
    id: r.id,
    label: r.label,
    type: r.type,
    status: r.status,
    created: r.created,
    lastUpdated: r.lastUpdated,
    assignmentType: r.assignmentType,
    ...(r.role ? { role: r.role } : {}),
    ...(r.resourceSet ? { "resource-set": r.resourceSet } : {}),
    _links: { assignee: { href: `${base}${owner}` } },
  });

  // ---- paging --------------------------------------------------------------------------
  /** One page of `items` after the `after` cursor (an item key), with Okta's Link header. */
  function page<T>(request: URL, res: ServerResponse, items: T[], key: (item: T) => string, defaultLimit: number): T[] {
    const asked = Number(request.searchParams.get("limit") ?? defaultLimit);
    const limit = Math.max(1, Math.min(Number.isFinite(asked) ? asked : defaultLimit, maxPageSize));
    const after = request.searchParams.get("after");
    let start = 0;
    if (after) {
      const at = items.findIndex((item) => key(item) === after);
      start = at === -1 ? items.length : at + 1;
    }
    const slice = items.slice(start, start + limit);
    const self = new URL(request.pathname + request.search, base);
    const links = [`<${self.href}>; rel="self"`];
    if (start + limit < items.length && slice.length > 0) {
      const next = new URL(self.href);
      next.searchParams.set("after", key(slice[slice.length - 1] as T));
      next.searchParams.set("limit", String(limit));
      links.push(`<${next.href}>; rel="next"`);
    }
    res.setHeader("Link", links);
    return slice;
  }
  const nextHref = (res: ServerResponse): string | undefined => {
    const links = res.getHeader("Link") as string[] | undefined;
    const next = links?.find((l) => l.includes('rel="next"'));
    return next?.slice(1, next.indexOf(">"));
  };

  // ---- search --------------------------------------------------------------------------
  function matchUsers(search: string | null, filter: string | null): OktaUser[] {
    const expr = (search ?? filter ?? "").trim();
    if (expr === "") return org.users.filter((u) => u.status !== "DEPROVISIONED");
    if (expr === "status pr") return org.users;
    const eq = /^([\w.]+) eq "(.*)"$/.exec(expr);
    if (!eq) throw new HttpError(400, "E0000031", `Invalid search criteria.`);
    const [, field, value] = eq as unknown as [string, string, string];
    return org.users.filter((u) =>
      field === "status" ? u.status === value : field.startsWith("profile.") && u.profile[field.slice(8)] === value,
    );
  }

  // ---- lifecycle -----------------------------------------------------------------------
  function transition(user: OktaUser, to: UserStatus) {
    user.status = to;
    user.statusChanged = stamp();
    user.lastUpdated = stamp();
    if (to === "ACTIVE" || to === "PROVISIONED") user.activated = user.activated ?? stamp();
  }
  function lifecycle(user: OktaUser, op: string, url: URL): unknown {
    const invalid = (what: string) =>
      new HttpError(400, "E0000001", "Api validation failed: lifecycle", [`${what} (status ${user.status})`]);
    switch (op) {
      case "suspend":
        if (user.status !== "ACTIVE") throw invalid("Cannot suspend a user that is not active");
        transition(user, "SUSPENDED");
        return {};
      case "unsuspend":
        if (user.status !== "SUSPENDED") throw invalid("Cannot unsuspend a user that is not suspended");
        transition(user, "ACTIVE");
        return {};
      case "activate":
        if (user.status !== "STAGED" && user.status !== "DEPROVISIONED")
          throw invalid("Activation failed because the user is already active");
        transition(user, url.searchParams.get("sendEmail") === "false" ? "PROVISIONED" : "ACTIVE");
        return { activationUrl: `${base}/welcome/xyz`, activationToken: "XYZ" };
      case "deactivate":
        if (user.status === "DEPROVISIONED") throw invalid("The user is already deactivated");
        transition(user, "DEPROVISIONED");
        return {};
      case "unlock":
        if (user.status !== "LOCKED_OUT") throw invalid("The user is not locked out");
        transition(user, "ACTIVE");
        return {};
      default:
        throw notFound(`lifecycle ${op}`);
    }
  }

  function removeUser(user: OktaUser) {
    org.users.splice(org.users.indexOf(user), 1);
    for (const ids of org.members.values()) if (ids.includes(user.id)) ids.splice(ids.indexOf(user.id), 1);
    for (const ids of org.appUsers.values()) if (ids.includes(user.id)) ids.splice(ids.indexOf(user.id), 1);
    org.userRoles.delete(user.id);
  }

  function createUser(body: Record<string, unknown>, url: URL): OktaUser {
    const profile = (body.profile ?? {}) as Record<string, string | null>;
    const causes: string[] = [];
    for (const field of ["firstName", "lastName", "email", "login"]) {
      if (typeof profile[field] !== "string" || profile[field] === "")
        causes.push(`${field}: The field cannot be left blank`);
    }
    if (typeof profile.login === "string" && org.users.some((u) => u.profile.login === profile.login)) {
      causes.push("login: An object with this field already exists in the current organization");
    }
    if (causes.length > 0) throw new HttpError(400, "E0000001", "Api validation failed: login", causes);
    const activate = url.searchParams.get("activate") !== "false";
    const user: OktaUser = {
      id: newId("00u"),
      status: activate ? "ACTIVE" : "STAGED",
      created: stamp(),
      activated: activate ? stamp() : null,
      statusChanged: stamp(),
      lastLogin: null,
      lastUpdated: stamp(),
      passwordChanged: null,
      type: { id: "oty1defaulttype00001" },
      profile: { mobilePhone: null, secondEmail: null, ...profile },
    };
    org.users.push(user);
    org.members.get(org.groups[0]?.id as string)?.push(user.id); // Everyone
    return user;
  }

  function assignRole(list: RoleAssignment[], body: Record<string, unknown>, assignmentType: "USER" | "GROUP") {
    const type = String(body.type ?? "");
    if (type !== "CUSTOM" && !(type in STANDARD_ROLES)) {
      throw new HttpError(400, "E0000001", "Api validation failed: type", [`type: Invalid role type ${type}`]);
    }
    if (type !== "CUSTOM" && list.some((r) => r.type === type && r.status === "ACTIVE")) {
      throw new HttpError(409, "E0000090", "Duplicate role assignment exception.");
    }
    const assignment: RoleAssignment = {
      id: newId("ra1"),
      type,
      label: STANDARD_ROLES[type] ?? type,
      status: "ACTIVE",
      assignmentType,
      created: stamp(),
      lastUpdated: stamp(),
      ...(type === "CUSTOM" ? { role: String(body.role ?? ""), resourceSet: String(body["resource-set"] ?? "") } : {}),
    };
    list.push(assignment);
    return assignment;
  }

  // ---- routing -------------------------------------------------------------------------
  type Handler = (match: string[], url: URL, body: Record<string, unknown>, res: ServerResponse) => unknown;
  const routes: [string, RegExp, Handler][] = [];
  const route = (method: string, pattern: string, handler: Handler) =>
    routes.push([method, new RegExp(`^${pattern.replace(/:[a-z]+/g, "([^/]+)")}$`), handler]);

  route("GET", "/api/v1/org", () => ({
    id: "00o1localorg000000001",
    companyName: 'Local Okta "Test" Org',
    status: "ACTIVE",
    subdomain: "local",
    website: "https://example.com",
    created: "2024-01-01T00:00:00.000Z",
    lastUpdated: "2024-01-01T00:00:00.000Z",
    _links: { self: { href: `${base}/api/v1/org` } },
  }));

  // users
  route("GET", "/api/v1/users", (_m, url, _b, res) =>
    page(url, res, matchUsers(url.searchParams.get("search"), url.searchParams.get("filter")), (u) => u.id, 200).map(
      userJson,
    ),
  );
  route("POST", "/api/v1/users", (_m, url, body) => userJson(createUser(body, url)));
  route("GET", "/api/v1/users/:id", ([id]) => userJson(findUser(id as string)));
  route("POST", "/api/v1/users/:id", ([id], _u, body) => {
    const user = findUser(id as string);
    Object.assign(user.profile, body.profile ?? {});
    user.lastUpdated = stamp();
    return userJson(user);
  });
  route("DELETE", "/api/v1/users/:id", ([id], _u, _b, res) => {
    const user = findUser(id as string);
    if (user.status === "DEPROVISIONED") removeUser(user);
    else transition(user, "DEPROVISIONED");
    res.statusCode = 204;
  });
  route("POST", "/api/v1/users/:id/lifecycle/:op", ([id, op], url) =>
    lifecycle(findUser(id as string), op as string, url),
  );
  route("GET", "/api/v1/users/:id/groups", ([id], url, _b, res) => {
    const user = findUser(id as string);
    const groups = org.groups.filter((g) => org.members.get(g.id)?.includes(user.id));
    return page(url, res, groups, (g) => g.id, 10000).map((g) => groupJson(g, []));
  });
  route("GET", "/api/v1/users/:id/roles", ([id]) => {
    const user = findUser(id as string);
    return (org.userRoles.get(user.id) ?? []).map((r) => roleJson(r, `/api/v1/users/${user.id}`));
  });
  route("POST", "/api/v1/users/:id/roles", ([id], _u, body, res) => {
    const user = findUser(id as string);
    const list = org.userRoles.get(user.id) ?? [];
    org.userRoles.set(user.id, list);
    res.statusCode = 201;
    return roleJson(assignRole(list, body, "USER"), `/api/v1/users/${user.id}`);
  });
  route("DELETE", "/api/v1/users/:id/roles/:role", ([id, roleId], _u, _b, res) => {
    const list = org.userRoles.get(findUser(id as string).id) ?? [];
    const at = list.findIndex((r) => r.id === roleId);
    if (at === -1) throw notFound(`${roleId} (Role)`);
    list.splice(at, 1);
    res.statusCode = 204;
  });

  // groups
  route("GET", "/api/v1/groups", (_m, url, _b, res) => {
    const expand = (url.searchParams.get("expand") ?? "").split(",");
    const q = url.searchParams.get("q");
    const groups = q ? org.groups.filter((g) => g.profile.name.startsWith(q)) : org.groups;
    return page(url, res, groups, (g) => g.id, 10000).map((g) => groupJson(g, expand));
  });
  route("POST", "/api/v1/groups", (_m, _u, body) => {
    const profile = (body.profile ?? {}) as { name?: string; description?: string };
    if (!profile.name)
      throw new HttpError(400, "E0000001", "Api validation failed: name", ["name: The field cannot be left blank"]);
    const group: OktaGroup = {
      id: newId("00g"),
      created: stamp(),
      lastUpdated: stamp(),
      lastMembershipUpdated: stamp(),
      objectClass: ["okta:user_group"],
      type: "OKTA_GROUP",
      profile: { name: profile.name, description: profile.description ?? null },
    };
    org.groups.push(group);
    org.members.set(group.id, []);
    return groupJson(group, []);
  });
  route("GET", "/api/v1/groups/:id", ([id], url) =>
    groupJson(findGroup(id as string), (url.searchParams.get("expand") ?? "").split(",")),
  );
  route("PUT", "/api/v1/groups/:id", ([id], _u, body) => {
    const group = findGroup(id as string);
    if (group.type !== "OKTA_GROUP")
      throw new HttpError(403, "E0000006", "You do not have permission to perform the requested action");
    Object.assign(group.profile, body.profile ?? {});
    group.lastUpdated = stamp();
    return groupJson(group, []);
  });
  route("DELETE", "/api/v1/groups/:id", ([id], _u, _b, res) => {
    const group = findGroup(id as string);
    if (group.type === "BUILT_IN")
      throw new HttpError(403, "E0000006", "You do not have permission to perform the requested action");
    org.groups.splice(org.groups.indexOf(group), 1);
    org.members.delete(group.id);
    for (const ids of org.appGroups.values()) if (ids.includes(group.id)) ids.splice(ids.indexOf(group.id), 1);
    res.statusCode = 204;
  });
  route("GET", "/api/v1/groups/:id/users", ([id], url, _b, res) => {
    const ids = org.members.get(findGroup(id as string).id) ?? [];
    return page(url, res, ids, (u) => u, 1000).map((u) => userJson(findUser(u)));
  });
  route("PUT", "/api/v1/groups/:id/users/:user", ([id, userId], _u, _b, res) => {
    const group = findGroup(id as string);
    const user = findUser(userId as string);
    if (group.type !== "OKTA_GROUP")
      throw new HttpError(403, "E0000006", "You do not have permission to perform the requested action");
    const ids = org.members.get(group.id) as string[];
    if (!ids.includes(user.id)) ids.push(user.id);
    group.lastMembershipUpdated = stamp();
    res.statusCode = 204;
  });
  route("DELETE", "/api/v1/groups/:id/users/:user", ([id, userId], _u, _b, res) => {
    const group = findGroup(id as string);
    const user = findUser(userId as string);
    if (group.type !== "OKTA_GROUP")
      throw new HttpError(403, "E0000006", "You do not have permission to perform the requested action");
    const ids = org.members.get(group.id) as string[];
    if (ids.includes(user.id)) ids.splice(ids.indexOf(user.id), 1);
    res.statusCode = 204;
  });
  route("GET", "/api/v1/groups/:id/roles", ([id]) => {
    const group = findGroup(id as string);
    return (org.groupRoles.get(group.id) ?? []).map((r) => roleJson(r, `/api/v1/groups/${group.id}`));
  });
  route("POST", "/api/v1/groups/:id/roles", ([id], _u, body, res) => {
    const group = findGroup(id as string);
    const list = org.groupRoles.get(group.id) ?? [];
    org.groupRoles.set(group.id, list);
    res.statusCode = 201;
    return roleJson(assignRole(list, body, "GROUP"), `/api/v1/groups/${group.id}`);
  });
  route("DELETE", "/api/v1/groups/:id/roles/:role", ([id, roleId], _u, _b, res) => {
    const list = org.groupRoles.get(findGroup(id as string).id) ?? [];
    const at = list.findIndex((r) => r.id === roleId);
    if (at === -1) throw notFound(`${roleId} (Role)`);
    list.splice(at, 1);
    res.statusCode = 204;
  });

  // apps
  route("GET", "/api/v1/apps", (_m, url, _b, res) => {
    const filter = url.searchParams.get("filter");
    let apps = org.apps;
    if (filter) {
      const eq = /^status eq "(ACTIVE|INACTIVE)"$/.exec(filter);
      if (!eq) throw new HttpError(400, "E0000031", "Invalid search criteria.");
      apps = apps.filter((a) => a.status === eq[1]);
    }
    return page(url, res, apps, (a) => a.id, 20).map(appJson);
  });
  route("GET", "/api/v1/apps/:id", ([id]) => appJson(findApp(id as string)));
  route("GET", "/api/v1/apps/:id/users", ([id], url, _b, res) => {
    const app = findApp(id as string);
    return page(url, res, appUserEntries(app.id), (e) => e.userId, 50).map((e) =>
      appUserJson(app.id, e.userId, e.scope),
    );
  });
  route("POST", "/api/v1/apps/:id/users", ([id], _u, body) => {
    const app = findApp(id as string);
    const user = findUser(String(body.id ?? ""));
    const ids = org.appUsers.get(app.id) ?? [];
    org.appUsers.set(app.id, ids);
    if (!ids.includes(user.id)) ids.push(user.id);
    return appUserJson(app.id, user.id, "USER");
  });
  route("GET", "/api/v1/apps/:id/users/:user", ([id, userId]) => {
    const app = findApp(id as string);
    const entry = appUserEntries(app.id).find((e) => e.userId === userId);
    if (!entry) throw notFound(`${userId} (AppUser)`);
    return appUserJson(app.id, entry.userId, entry.scope);
  });
  route("DELETE", "/api/v1/apps/:id/users/:user", ([id, userId], _u, _b, res) => {
    const app = findApp(id as string);
    const ids = org.appUsers.get(app.id) ?? [];
    if (!ids.includes(userId as string)) throw notFound(`${userId} (AppUser)`);
    ids.splice(ids.indexOf(userId as string), 1);
    res.statusCode = 204;
  });
  route("GET", "/api/v1/apps/:id/groups", ([id], url, _b, res) => {
    const app = findApp(id as string);
    return page(url, res, org.appGroups.get(app.id) ?? [], (g) => g, 20).map((g) => appGroupJson(app.id, g));
  });
  route("GET", "/api/v1/apps/:id/groups/:group", ([id, groupId]) => {
    const app = findApp(id as string);
    if (!(org.appGroups.get(app.id) ?? []).includes(groupId as string))
      throw notFound(`${groupId} (ApplicationGroupAssignment)`);
    return appGroupJson(app.id, groupId as string);
  });
  route("PUT", "/api/v1/apps/:id/groups/:group", ([id, groupId]) => {
    const app = findApp(id as string);
    const group = findGroup(groupId as string);
    const ids = org.appGroups.get(app.id) ?? [];
    org.appGroups.set(app.id, ids);
    if (!ids.includes(group.id)) ids.push(group.id);
    return appGroupJson(app.id, group.id);
  });
  route("DELETE", "/api/v1/apps/:id/groups/:group", ([id, groupId], _u, _b, res) => {
    const app = findApp(id as string);
    const ids = org.appGroups.get(app.id) ?? [];
    if (!ids.includes(groupId as string)) throw notFound(`${groupId} (ApplicationGroupAssignment)`);
    ids.splice(ids.indexOf(groupId as string), 1);
    res.statusCode = 204;
  });

  // admin roles: users with role assignments, custom roles, resource sets, bindings
  route("GET", "/api/v1/iam/assignees/users", (_m, url, _b, res) => {
    const holders = org.users.filter((u) => (org.userRoles.get(u.id) ?? []).length > 0);
    const value = page(url, res, holders, (u) => u.id, 100).map((u) => ({
      id: u.id,
      orn: `orn:okta:directory:00o1localorg000000001:users:${u.id}`,
      _links: { self: { href: `${base}/api/v1/users/${u.id}` }, roles: { href: `${base}/api/v1/users/${u.id}/roles` } },
    }));
    const next = nextHref(res);
    return { value, _links: next ? { next: { href: next } } : {} };
  });
  route("GET", "/api/v1/iam/roles", (_m, url, _b, res) => {
    const roles = page(url, res, org.customRoles, (r) => r.id, 100).map((r) => ({
      ...r,
      _links: { self: { href: `${base}/api/v1/iam/roles/${r.id}` } },
    }));
    const next = nextHref(res);
    return { roles, _links: next ? { next: { href: next } } : {} };
  });
  route("GET", "/api/v1/iam/roles/:id", ([id]) => {
    const role = org.customRoles.find((r) => r.id === id);
    if (!role) throw notFound(`${id} (IamRole)`);
    return { ...role, _links: { self: { href: `${base}/api/v1/iam/roles/${role.id}` } } };
  });
  route("GET", "/api/v1/iam/resource-sets", (_m, url, _b, res) => {
    const sets = page(url, res, org.resourceSets, (r) => r.id, 100).map((r) => ({
      ...r,
      _links: { self: { href: `${base}/api/v1/iam/resource-sets/${r.id}` } },
    }));
    const next = nextHref(res);
    return { "resource-sets": sets, _links: next ? { next: { href: next } } : {} };
  });
  route("GET", "/api/v1/iam/resource-sets/:id", ([id]) => {
    const set = org.resourceSets.find((r) => r.id === id);
    if (!set) throw notFound(`${id} (ResourceSet)`);
    return { ...set, _links: { self: { href: `${base}/api/v1/iam/resource-sets/${set.id}` } } };
  });
  route("GET", "/api/v1/iam/resource-sets/:id/bindings", ([id]) => {
    const set = org.resourceSets.find((r) => r.id === id);
    if (!set) throw notFound(`${id} (ResourceSet)`);
    return {
      roles: org.bindings
        .filter((b) => b.resourceSet === set.id)
        .map((b) => ({
          id: b.role,
          _links: {
            self: { href: `${base}/api/v1/iam/resource-sets/${set.id}/bindings/${b.role}` },
            members: { href: `${base}/api/v1/iam/resource-sets/${set.id}/bindings/${b.role}/members` },
          },
        })),
      _links: {
        "resource-set": { href: `${base}/api/v1/iam/resource-sets/${set.id}` },
        self: { href: `${base}/api/v1/iam/resource-sets/${set.id}/bindings` },
      },
    };
  });
  route("POST", "/api/v1/iam/resource-sets/:id/bindings", ([id], _u, body) => {
    const set = org.resourceSets.find((r) => r.id === id);
    if (!set) throw notFound(`${id} (ResourceSet)`);
    const role = String(body.role ?? "");
    let binding = org.bindings.find((b) => b.resourceSet === set.id && b.role === role);
    if (!binding) {
      binding = { resourceSet: set.id, role, members: [] };
      org.bindings.push(binding);
    }
    for (const href of (body.members ?? []) as string[]) {
      const match = /\/api\/v1\/(users|groups)\/([^/]+)$/.exec(href);
      if (!match) throw new HttpError(400, "E0000001", "Api validation failed: members", [`members: invalid ${href}`]);
      const target = match[2] as string;
      if (!binding.members.some((m) => m.target === target)) {
        binding.members.push({ id: newId("irb"), kind: match[1] as "users" | "groups", target });
      }
    }
    return { _links: { self: { href: `${base}/api/v1/iam/resource-sets/${set.id}/bindings/${role}` } } };
  });
  route("GET", "/api/v1/iam/resource-sets/:id/bindings/:role", ([id, role]) => {
    const binding = org.bindings.find((b) => b.resourceSet === id && b.role === role);
    if (!binding) throw notFound(`${role} (ResourceSetBinding)`);
    return { id: binding.role, _links: { self: { href: `${base}/api/v1/iam/resource-sets/${id}/bindings/${role}` } } };
  });
  route("GET", "/api/v1/iam/resource-sets/:id/bindings/:role/members", ([id, role]) => {
    const binding = org.bindings.find((b) => b.resourceSet === id && b.role === role);
    if (!binding) throw notFound(`${role} (ResourceSetBinding)`);
    return {
      members: binding.members.map((m) => ({
        id: m.id,
        created: "2024-01-01T00:00:00.000Z",
        lastUpdated: "2024-01-01T00:00:00.000Z",
        _links: { self: { href: `${base}/api/v1/${m.kind}/${m.target}` } },
      })),
      _links: { binding: { href: `${base}/api/v1/iam/resource-sets/${id}/bindings/${role}` } },
    };
  });
  route("DELETE", "/api/v1/iam/resource-sets/:id/bindings/:role/members/:member", ([id, role, member], _u, _b, res) => {
    const binding = org.bindings.find((b) => b.resourceSet === id && b.role === role);
    const at = binding?.members.findIndex((m) => m.id === member) ?? -1;
    if (!binding || at === -1) throw notFound(`${member} (ResourceSetBindingMember)`);
    binding.members.splice(at, 1);
    res.statusCode = 204;
  });

  // devices, API tokens
  route("GET", "/api/v1/devices", (_m, url, _b, res) =>
    page(url, res, org.devices, (d) => d.id, 200).map((d) => ({
      ...d,
      resourceType: "UDDevice",
      _links: { self: { href: `${base}/api/v1/devices/${d.id}` } },
    })),
  );
  route("GET", "/api/v1/api-tokens", (_m, url, _b, res) =>
    page(url, res, org.apiTokens, (t) => t.id, 20).map((t) => ({
      ...t,
      _links: { self: { href: `${base}/api/v1/api-tokens/${t.id}` } },
    })),
  );

  // ---- the server ----------------------------------------------------------------------
  function rateLimitHeaders(res: ServerResponse) {
    const minute = Math.floor(now() / 60_000) * 60_000;
    if (minute !== windowStart) {
      windowStart = minute;
      windowCount = 0;
    }
    windowCount++;
    res.setHeader("X-Rate-Limit-Limit", String(limitPerMinute));
    res.setHeader("X-Rate-Limit-Remaining", String(Math.max(0, limitPerMinute - windowCount)));
    res.setHeader("X-Rate-Limit-Reset", String(Math.floor((windowStart + 60_000) / 1000)));
  }

  function sendError(res: ServerResponse, error: HttpError) {
    res.statusCode = error.status;
    res.setHeader("Content-Type", "application/json");
    res.end(
      JSON.stringify({
        errorCode: error.errorCode,
        errorSummary: error.summary,
        errorLink: error.errorCode,
        errorId: `oae${randomUUID().replaceAll("-", "").slice(0, 19)}`,
        errorCauses: error.causes.map((errorSummary) => ({ errorSummary })),
      }),
    );
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    // Links carry the host the client used, as Okta's do (the org's own domain).
    base = `https://${req.headers.host ?? domain}`;
    const url = new URL(req.url ?? "/", base);
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    res.setHeader("Date", new Date(now()).toUTCString());
    res.setHeader("X-Okta-Request-Id", randomUUID());
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    try {
      const fault = faults.find((f) => f.times > 0 && f.path.test(url.pathname));
      if (fault) {
        fault.times--;
        res.setHeader("X-Rate-Limit-Limit", String(limitPerMinute));
        res.setHeader("X-Rate-Limit-Remaining", "0");
        res.setHeader("X-Rate-Limit-Reset", String(Math.floor(now() / 1000) + fault.resetInSeconds));
        served429++;
        throw new HttpError(429, "E0000047", "API call exceeded rate limit due to too many requests.");
      }
      rateLimitHeaders(res);
      const spend = spends.find((f) => f.times > 0 && f.path.test(url.pathname));
      if (spend) {
        spend.times--;
        res.setHeader("X-Rate-Limit-Remaining", "0");
        res.setHeader("X-Rate-Limit-Reset", String(Math.floor(now() / 1000) + spend.resetInSeconds));
      }
      const text = Buffer.concat(chunks).toString("utf8");
      const dpop = req.headers.dpop as string | undefined;
      if (oauth && url.pathname === "/oauth2/v1/token" && req.method === "POST") {
        const answer = await oauth.token(text, dpop, `${base}/oauth2/v1/token`);
        res.writeHead(answer.status, { "Content-Type": "application/json", ...answer.headers });
        res.end(JSON.stringify(answer.body));
        return;
      }
      const viaOAuth = oauth
        ? await oauth.authorized(req.headers.authorization, dpop, req.method ?? "", url.href)
        : false;
      if (req.headers.authorization !== `SSWS ${token}` && !viaOAuth) {
        throw new HttpError(401, "E0000011", "Invalid token provided");
      }
      let body: Record<string, unknown> = {};
      if (text.trim() !== "") {
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          throw new HttpError(400, "E0000003", "The request body was not well-formed.");
        }
      }
      for (const [method, pattern, handler] of routes) {
        const match = pattern.exec(url.pathname);
        if (!match || method !== req.method) continue;
        const result = handler(match.slice(1).map(decodeURIComponent), url, body, res);
        if (res.statusCode === 204 || result === undefined) {
          if (res.statusCode === 200) res.statusCode = 204;
          res.end();
        } else {
          res.setHeader("Content-Type", "application/json");
          res.end(JSON.stringify(result));
        }
        return;
      }
      if (routes.some(([, pattern]) => pattern.test(url.pathname))) {
        throw new HttpError(405, "E0000022", `The endpoint does not support the provided HTTP method`);
      }
      throw new HttpError(404, "E0000022", `The endpoint does not exist.`);
    } catch (error) {
      res.removeHeader("Link");
      if (error instanceof HttpError) sendError(res, error);
      else sendError(res, new HttpError(500, "E0000009", `Internal Server Error: ${String(error)}`));
    }
  }

  const server: Server = createServer({ key: options.ca.keyPem, cert: options.ca.certPem }, (req, res) => {
    void handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  domain = `127.0.0.1:${port}`;
  base = `https://${domain}`;
  return {
    domain,
    port,
    baseUrl: base,
    token,
    org,
    requests,
    tooManyRequests: () => served429,
    rateLimit(path, times, resetInSeconds) {
      faults.push({ path, times, resetInSeconds });
    },
    spendWindow(path, resetInSeconds) {
      spends.push({ path, times: 1, resetInSeconds });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface ConnectProxy {
  /** `http://127.0.0.1:PORT`, for HTTPS_PROXY. */
  url: string;
  /** Hosts asked for, as `host:port`. */
  tunnels: string[];
  stop(): Promise<void>;
}

/**
 * An HTTP CONNECT proxy that sends every tunnel for `host` (any port) to the local Okta.
 * baton-okta's v5 Okta client drops the port of `--domain` (devices and API tokens go
 * to :443), so the Go test names the org `okta.baton-edge.test:PORT` and routes it here
 * with HTTPS_PROXY: both of its clients then reach the same server.
 */
export async function startConnectProxy(host: string, targetPort: number): Promise<ConnectProxy> {
  const tunnels: string[] = [];
  const open = new Set<{ destroy(): void }>();
  const server = createHttpServer((_req, res) => {
    res.statusCode = 405;
    res.end("CONNECT only");
  });
  server.on("connect", (req: IncomingMessage, socket, head: Buffer) => {
    const target = req.url ?? "";
    tunnels.push(target);
    if (target.split(":")[0] !== host) {
      socket.end("HTTP/1.1 403 Forbidden\r\n\r\n");
      return;
    }
    const upstream = connect(targetPort, "127.0.0.1", () => {
      open.add(upstream);
      open.add(socket);
      socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on("error", () => socket.destroy());
    socket.on("error", () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tunnels,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        for (const socket of open) socket.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
