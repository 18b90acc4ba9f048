/**
 * Okta users as Baton users: every status (the list searches `status pr`, since Okta
 * leaves DEPROVISIONED users out by default), emails, login and its short alias,
 * employee ids, lifecycle status with Okta's raw status kept as the detail.
 */
import type { Resource, ResourceId, ResourceTypeDefinition } from "../../src/plugins/sdk.ts";
import { user } from "../../src/plugins/sdk.ts";
import { enc, isNotFound, query } from "./client.ts";
import { includedByDomain, type OktaConnection, type OktaUser, oktaIds, types } from "./model.ts";

/** Nobody can sign in: never activated, suspended, or deactivated (baton-okta's disabled bucket). */
export const DISABLED_STATUSES = new Set(["STAGED", "SUSPENDED", "DEPROVISIONED"]);
/** Can sign in, perhaps after fixing a credential problem. */
export const ENABLED_STATUSES = new Set(["ACTIVE", "PROVISIONED", "RECOVERY", "PASSWORD_EXPIRED", "LOCKED_OUT"]);

const EMPLOYEE_ID_KEYS = new Set([
  "employeenumber",
  "employeeid",
  "employeeidnumber",
  "employee_number",
  "employee_id",
  "employee_idnumber",
]);

const date = (value: string | null | undefined) => (value ? new Date(value) : undefined);

export function userResource(u: OktaUser, skipSecondaryEmails: boolean): Resource {
  const profile: Record<string, unknown> = { ...u.profile, c1_okta_raw_user_status: u.status };
  const str = (key: string) =>
    typeof profile[key] === "string" && profile[key] !== "" ? (profile[key] as string) : undefined;
  const emails: { address: string; primary: boolean }[] = [];
  const email = str("email");
  if (email) emails.push({ address: email, primary: true });
  const secondEmail = str("secondEmail");
  if (secondEmail && !skipSecondaryEmails) emails.push({ address: secondEmail, primary: false });
  if (skipSecondaryEmails) profile.secondEmail = null;
  const employeeIds = new Set<string>();
  for (const [key, value] of Object.entries(profile)) {
    if (EMPLOYEE_ID_KEYS.has(key.toLowerCase()) && typeof value === "string") employeeIds.add(value);
  }
  const login = typeof profile.login === "string" ? profile.login : undefined;
  const loginParts = login?.split("@");
  const displayName =
    typeof profile.displayName === "string"
      ? profile.displayName
      : `${str("firstName") ?? "unknown"} ${str("lastName") ?? "unknown"}`;
  return user({
    type: types.user.id,
    id: u.id,
    displayName,
    emails,
    login,
    loginAliases: loginParts?.length === 2 ? [loginParts[0] as string] : [],
    employeeIds: [...employeeIds],
    status: DISABLED_STATUSES.has(u.status) ? "disabled" : "enabled",
    statusDetails: u.status,
    profile: JSON.parse(JSON.stringify(profile)),
    createdAt: date(u.created),
    lastLogin: date(u.lastLogin),
    annotations: oktaIds(u.id),
  });
}

/** Whether the email-domain filter keeps this user; remembered for the grants that name it later. */
export function include(conn: OktaConnection, u: OktaUser): boolean {
  const keep = includedByDomain(conn, u.profile);
  if (conn.emailDomains.length > 0) conn.included.set(u.id, keep);
  return keep;
}

export async function getUser(conn: OktaConnection, idOrLogin: string): Promise<OktaUser | undefined> {
  try {
    return await conn.client.call<OktaUser>("GET", `/api/v1/users/${enc(idOrLogin)}`);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** The filter's verdict for a user known only by id (role assignees): cached, else one GET. */
export async function includedById(conn: OktaConnection, userId: string): Promise<boolean> {
  if (conn.emailDomains.length === 0) return true;
  const known = conn.included.get(userId);
  if (known !== undefined) return known;
  const found = await getUser(conn, userId);
  return found ? include(conn, found) : false;
}

export const users: ResourceTypeDefinition<OktaConnection> = {
  resourceType: types.user,
  async list(parent, ctx) {
    if (parent) return { items: [] };
    const conn = ctx.client;
    const page = await conn.client.list<OktaUser>(
      ctx.pageToken || `/api/v1/users${query({ limit: 200, search: "status pr" })}`,
    );
    return {
      items: page.items.filter((u) => include(conn, u)).map((u) => userResource(u, conn.config.skipSecondaryEmails)),
      nextPageToken: page.next,
    };
  },
  entitlements: async () => ({ items: [] }),
  grants: async () => ({ items: [] }),
  async get(id: ResourceId, _parent, ctx) {
    const found = await getUser(ctx.client, id.resource);
    if (!found || !includedByDomain(ctx.client, found.profile)) return undefined;
    return userResource(found, ctx.client.config.skipSecondaryEmails);
  },
};
