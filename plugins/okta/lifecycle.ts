/**
 * Account lifecycle, as baton-okta does it: create an account (an existing login is
 * reported as already existing, unchanged), enable (activate a STAGED user, unsuspend a
 * SUSPENDED one) and disable (suspend) with already-done answers, deactivate, and
 * permanent deletion of users (deactivate first, as Okta requires) and groups.
 */
import type { ActionDefinition, PluginDefinition, ResourceId } from "../../src/plugins/sdk.ts";
import { v } from "../../src/plugins/sdk.ts";
import { enc, isNotFound, OktaApiError } from "./client.ts";
import type { oktaConfig } from "./config.ts";
import { type OktaConnection, type OktaUser, types } from "./model.ts";
import { DISABLED_STATUSES, ENABLED_STATUSES, getUser, userResource } from "./users.ts";

type Plugin = PluginDefinition<typeof oktaConfig, OktaConnection>;

function bool(value: unknown, key: string, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value === "boolean") return value;
  if (typeof value === "string" && /^(true|false|1|0)$/i.test(value)) return /^(true|1)$/i.test(value);
  throw new Error(`okta: ${key} must be true or false, got ${JSON.stringify(value)}`);
}

const PROTECTED = new Set(["firstName", "lastName", "email", "login"]);

export const createAccount: NonNullable<Plugin["createAccount"]> = async (account, ctx) => {
  const conn = ctx.client;
  const given = account.profile ?? {};
  const email =
    (given.email as string | undefined) ??
    account.emails?.find((e) => e.primary)?.address ??
    account.emails?.[0]?.address;
  const firstName = given.first_name ?? given.firstName;
  const lastName = given.last_name ?? given.lastName;
  for (const [name, value] of [
    ["first_name", firstName],
    ["last_name", lastName],
    ["email", email],
  ] as const) {
    if (typeof value !== "string" || value === "") throw new Error(`okta: create account needs ${name} in the profile`);
  }
  const login = (given.login as string | undefined) || account.login || (email as string);
  const profile: Record<string, unknown> = { firstName, lastName, email, login };
  const extra = given.additionalAttributes;
  if (extra !== undefined && extra !== null) {
    if (typeof extra !== "object" || Array.isArray(extra))
      throw new Error("okta: additionalAttributes must be an object");
    for (const [key, value] of Object.entries(extra)) {
      if (PROTECTED.has(key)) throw new Error(`okta: additionalAttributes cannot override protected field "${key}"`);
      profile[key] = value;
    }
  }
  const createInactive = bool(given.create_inactive, "create_inactive", false);
  const sendEmail = bool(given.send_activation_email, "send_activation_email", true);
  // Staged without an email, then activated with sendEmail=false, unless it should stay staged.
  const activate = !createInactive && sendEmail;
  let created: OktaUser;
  try {
    created = await conn.client.call<OktaUser>("POST", `/api/v1/users?activate=${activate}`, { profile });
  } catch (error) {
    const duplicate =
      error instanceof OktaApiError &&
      error.errorCode === "E0000001" &&
      error.causes.some((c) => c.startsWith("login:") && c.includes("already exists"));
    if (!duplicate) throw error;
    const existing = await getUser(conn, login);
    return {
      result: "alreadyExists",
      resource: existing ? userResource(existing, conn.config.skipSecondaryEmails) : undefined,
    };
  }
  if (!createInactive && !sendEmail) {
    await conn.client.call("POST", `/api/v1/users/${enc(created.id)}/lifecycle/activate?sendEmail=false`);
    created = (await getUser(conn, created.id)) ?? created;
  }
  return { result: "success", resource: userResource(created, conn.config.skipSecondaryEmails) };
};

async function userStatus(conn: OktaConnection, userId: string): Promise<string | undefined> {
  return (await getUser(conn, userId))?.status;
}

async function deactivate(conn: OktaConnection, userId: string): Promise<"done" | "already" | "missing"> {
  const status = await userStatus(conn, userId);
  if (status === undefined) return "missing";
  if (status === "DEPROVISIONED") return "already";
  await conn.client.call("POST", `/api/v1/users/${enc(userId)}/lifecycle/deactivate?sendEmail=false`);
  return "done";
}

export const deleteResource: NonNullable<Plugin["deleteResource"]> = async (id: ResourceId, ctx) => {
  const conn = ctx.client;
  if (id.resourceType === types.user.id) {
    if ((await deactivate(conn, id.resource)) === "missing") return { alreadyDeleted: true };
    try {
      // On a DEPROVISIONED user, DELETE removes it for good.
      await conn.client.call("DELETE", `/api/v1/users/${enc(id.resource)}?sendEmail=false`);
    } catch (error) {
      if (isNotFound(error)) return { alreadyDeleted: true };
      throw error;
    }
    return {};
  }
  try {
    await conn.client.call("DELETE", `/api/v1/groups/${enc(id.resource)}`);
  } catch (error) {
    if (isNotFound(error)) return { alreadyDeleted: true };
    throw error;
  }
  return {};
};

const userArgs = v.object({ user_id: v.pipe(v.string(), v.minLength(1)) });

async function setEnabled(conn: OktaConnection, userId: string, enabled: boolean) {
  const status = await userStatus(conn, userId);
  if (status === undefined) throw new Error(`okta: user ${userId} not found`);
  const verb = enabled ? "enabled" : "disabled";
  const already = enabled ? ENABLED_STATUSES.has(status) : DISABLED_STATUSES.has(status);
  if (already) return { success: true, message: `Account ${userId} was already ${verb} (Okta status ${status})` };
  let path: string | undefined;
  if (enabled && status === "STAGED") path = "activate?sendEmail=false";
  else if (enabled && status === "SUSPENDED") path = "unsuspend";
  else if (!enabled && ENABLED_STATUSES.has(status)) path = "suspend";
  if (!path)
    throw new Error(`okta: cannot ${enabled ? "enable" : "disable"} user ${userId} from Okta status ${status}`);
  await conn.client.call("POST", `/api/v1/users/${enc(userId)}/lifecycle/${path}`);
  return { success: true, message: `Account ${userId} has been successfully ${verb}` };
}

export const actions: ActionDefinition<OktaConnection>[] = [
  {
    name: "enable_user",
    displayName: "Enable user",
    description: "Activates a STAGED user or unsuspends a SUSPENDED one; already-enabled users are left alone",
    args: userArgs,
    run: (args, ctx) => setEnabled(ctx.client, args.user_id as string, true),
  },
  {
    name: "disable_user",
    displayName: "Disable user",
    description: "Suspends an active user; users nobody can sign in to are left alone",
    args: userArgs,
    run: (args, ctx) => setEnabled(ctx.client, args.user_id as string, false),
  },
  {
    name: "deactivate_user",
    displayName: "Deactivate user",
    description: "Deprovisions the user from assigned apps while keeping the Okta user record",
    args: userArgs,
    async run(args, ctx) {
      const userId = args.user_id as string;
      const outcome = await deactivate(ctx.client, userId);
      if (outcome === "missing") throw new Error(`okta: user ${userId} not found`);
      return {
        success: true,
        message:
          outcome === "already"
            ? `Account ${userId} was already deactivated`
            : `Account ${userId} has been successfully deactivated`,
      };
    },
  },
  {
    name: "update_user",
    displayName: "Update user",
    description: "Updates a user's profile attributes from a user_profile JSON object (a partial update)",
    args: v.object({
      user_id: v.pipe(v.string(), v.minLength(1)),
      user_profile: v.record(v.string(), v.unknown()),
    }),
    async run(args, ctx) {
      const profile = args.user_profile as Record<string, unknown>;
      if (Object.keys(profile).length === 0) throw new Error("okta: user_profile has no attributes to update");
      await ctx.client.client.call("POST", `/api/v1/users/${enc(args.user_id as string)}`, { profile });
      return { success: true, updated_fields: Object.keys(profile).sort().join(", ") };
    },
  },
];
