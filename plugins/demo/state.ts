/**
 * The demo's persisted edits. Only the changes are stored (not the generated
 * organisation), so the state file stays small at benchmark sizes.
 */
import type { PluginStateStore } from "../../src/plugins/sdk.ts";
import { type DemoUser, membershipKey, type Organisation, parseMembershipKey } from "./org.ts";

export interface DemoEdits {
  version: 1;
  /** Membership keys granted beyond the generated organisation. */
  granted: string[];
  /** Membership keys revoked from the generated organisation. */
  revoked: string[];
  createdUsers: DemoUser[];
  /** `type:id` of deleted resources. */
  deleted: string[];
  /** User id → credential version. */
  rotations: Record<string, number>;
  /** User id → status set by the lock_user / unlock_user actions. */
  statuses: Record<string, "enabled" | "disabled">;
}

export function emptyEdits(): DemoEdits {
  return { version: 1, granted: [], revoked: [], createdUsers: [], deleted: [], rotations: {}, statuses: {} };
}

/** Reads edits; a missing or unreadable state starts clean rather than failing a sync. */
export async function loadEdits(store: PluginStateStore | undefined): Promise<DemoEdits> {
  const text = await store?.load();
  if (!text) return emptyEdits();
  const parsed = JSON.parse(text) as Partial<DemoEdits>;
  if (parsed.version !== 1) throw new Error(`demo state has unsupported version ${String(parsed.version)}`);
  return { ...emptyEdits(), ...parsed } as DemoEdits;
}

export function applyEdits(org: Organisation, edits: DemoEdits): void {
  for (const user of edits.createdUsers) org.users.set(user.id, { ...user });
  for (const key of edits.granted) org.memberships.add(key);
  for (const key of edits.revoked) org.memberships.delete(key);
  for (const [id, version] of Object.entries(edits.rotations)) {
    const user = org.users.get(id);
    if (user) user.credentialVersion = version;
  }
  for (const [id, status] of Object.entries(edits.statuses)) {
    const user = org.users.get(id);
    if (user) user.status = status;
  }
  for (const ref of edits.deleted) deleteFromOrganisation(org, ref);
}

/** Removes a resource and every membership that names it, as principal or as the entitlement's resource. */
export function deleteFromOrganisation(org: Organisation, ref: string): boolean {
  const colon = ref.indexOf(":");
  const type = ref.slice(0, colon);
  const id = ref.slice(colon + 1);
  const table = { user: org.users, group: org.groups, project: org.projects, role: org.roles }[type];
  if (!table?.delete(id)) return false;
  for (const key of [...org.memberships]) {
    const { entitlementId, principal } = parseMembershipKey(key);
    if (entitlementId.startsWith(`${ref}:`) || `${principal.type}:${principal.id}` === ref) org.memberships.delete(key);
  }
  return true;
}

/** Records a grant so it survives the next connect; undoes a recorded revoke first. */
export function recordGrant(edits: DemoEdits, key: string): void {
  if (edits.revoked.includes(key)) edits.revoked = edits.revoked.filter((k) => k !== key);
  else if (!edits.granted.includes(key)) edits.granted.push(key);
}

export function recordRevoke(edits: DemoEdits, key: string): void {
  if (edits.granted.includes(key)) edits.granted = edits.granted.filter((k) => k !== key);
  else if (!edits.revoked.includes(key)) edits.revoked.push(key);
}

export { membershipKey };
