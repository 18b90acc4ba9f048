/**
 * The resource types baton-okta declares (same ids, traits and skips), the Okta JSON
 * shapes this plugin reads, and the per-sync connection every call receives.
 */
import { create } from "@bufbuild/protobuf";
import { type Any, packAny, RawIdSchema, resourceType, V1IdentifierSchema } from "../../src/plugins/sdk.ts";
import type { OktaClient } from "./client.ts";
import type { OktaConfig } from "./config.ts";

export const types = {
  user: resourceType({ id: "user", displayName: "User", traits: ["user"], skip: "entitlementsAndGrants" }),
  group: resourceType({ id: "group", displayName: "Group", traits: ["group"] }),
  role: resourceType({ id: "role", displayName: "Role", traits: ["role"] }),
  app: resourceType({ id: "app", displayName: "App", traits: ["app"] }),
  customRole: resourceType({ id: "custom-role", displayName: "Custom Role", traits: ["role"] }),
  resourceSet: resourceType({ id: "resource-set", displayName: "Resource Set" }),
  binding: resourceType({ id: "resourceset-binding", displayName: "Resource Set Binding" }),
  apiToken: resourceType({
    id: "api-token",
    displayName: "API Token",
    traits: ["secret"],
    skip: "entitlementsAndGrants",
  }),
  // baton-okta marks it TRAIT_MANAGED_DEVICE, a trait baton-edge's protos do not carry yet.
  device: resourceType({ id: "device", displayName: "Device", skip: "entitlementsAndGrants" }),
};

/**
 * ConductorOne's v1 identifiers, as baton-okta annotates its objects for migration:
 * `membership:<id>` / `role:<id>` entitlements, `grant:<entitlement v1 id>:<principal id>` grants.
 */
export function v1Id(id: string): Any {
  return packAny(V1IdentifierSchema, create(V1IdentifierSchema, { id }));
}

/** The object's id in Okta, plus its v1 identifier (the same string for users, groups and apps). */
export function oktaIds(id: string): Any[] {
  return [v1Id(id), packAny(RawIdSchema, create(RawIdSchema, { id }))];
}

export const v1Membership = (id: string) => `membership:${id}`;
export const v1Role = (id: string) => `role:${id}`;
export const v1Grant = (entitlementV1: string, principalId: string) => v1Id(`grant:${entitlementV1}:${principalId}`);

export interface OktaUser {
  id: string;
  status: string;
  created?: string | null;
  lastLogin?: string | null;
  profile: Record<string, unknown>;
}

export interface OktaGroup {
  id: string;
  type: string;
  profile: { name: string; description?: string | null };
  _embedded?: { stats?: { usersCount?: number; appsCount?: number } };
}

export interface OktaApp {
  id: string;
  label: string;
  status: string;
  signOnMode?: string;
}

/** A role assignment from /users/{id}/roles or /groups/{id}/roles. */
export interface OktaRoleAssignment {
  id: string;
  type: string;
  label?: string;
  status?: string;
  assignmentType?: string;
  /** CUSTOM assignments: the custom role id. */
  role?: string;
}

export interface OktaConnection {
  client: OktaClient;
  config: OktaConfig;
  /** Lower-cased `--filter-email-domains`; empty includes everyone. */
  emailDomains: string[];
  /** Per sync: user id → the role keys (type, or custom role id) assigned directly. */
  userRoles: Map<string, Set<string>>;
  /** Per sync: group id → its active GROUP role assignments (read once, shared by every role). */
  groupRoles: Map<string, OktaRoleAssignment[]>;
  /** Per sync: user id → included by the email-domain filter. */
  included: Map<string, boolean>;
}

/** Role assignments Okta reports as standard or custom: the key baton-okta uses as the role resource id. */
export function roleKey(assignment: OktaRoleAssignment): string {
  return assignment.type === "CUSTOM" ? (assignment.role ?? "") : assignment.type;
}

/** Emails of a user or app-user profile: email, secondEmail, and a login that looks like one. */
export function profileEmails(profile: Record<string, unknown> | undefined): string[] {
  if (!profile) return [];
  const out: string[] = [];
  for (const key of ["email", "secondEmail"]) {
    const value = profile[key];
    if (typeof value === "string" && value !== "") out.push(value);
  }
  const login = profile.login;
  if (typeof login === "string" && login.includes("@")) out.push(login);
  return out;
}

export function includedByDomain(conn: OktaConnection, profile: Record<string, unknown> | undefined): boolean {
  if (conn.emailDomains.length === 0) return true;
  const emails = profileEmails(profile).map((e) => e.toLowerCase());
  return conn.emailDomains.some((domain) => emails.some((email) => email.endsWith(`@${domain}`)));
}

/** Page tokens that carry a phase as well as Okta's next link (e.g. a group's members, then its roles). */
export function encodeToken(phase: string, next: string): string {
  return JSON.stringify({ phase, next });
}

export function decodeToken(token: string): { phase: string; next: string } | undefined {
  if (!token) return undefined;
  const parsed = JSON.parse(token) as { phase?: unknown; next?: unknown };
  if (typeof parsed.phase !== "string" || typeof parsed.next !== "string") {
    throw new Error(`okta: unreadable page token ${JSON.stringify(token).slice(0, 80)}`);
  }
  return { phase: parsed.phase, next: parsed.next };
}
