/**
 * The demo's organisation: users, nested groups, roles, an app with projects.
 * Generated deterministically from the size config, then changed by the
 * persisted edits (grants, revokes, new accounts, deletions, rotations).
 */

export interface DemoSize {
  users: number;
  groups: number;
  /** Direct user grants spread over groups, roles and projects. */
  grants: number;
}

export interface DemoUser {
  id: string;
  name: string;
  login: string;
  email: string;
  status: "enabled" | "disabled";
  department: string;
  /** Bumped by every credential rotation. */
  credentialVersion: number;
}

export interface DemoGroup {
  id: string;
  name: string;
}

export interface DemoProject {
  id: string;
  name: string;
}

export interface DemoPrincipal {
  type: "user" | "group";
  id: string;
}

/** Which entitlement slugs each resource type offers, and to whom. */
export const ENTITLEMENTS: Record<string, { slugs: string[]; principals: DemoPrincipal["type"][] }> = {
  group: { slugs: ["member"], principals: ["user", "group"] },
  role: { slugs: ["assigned"], principals: ["user", "group"] },
  app: { slugs: ["access"], principals: ["user", "group"] },
  project: { slugs: ["viewer", "editor"], principals: ["user", "group"] },
};

export const APP_ID = "demo";
export const ROLES = [
  { id: "admin", name: "Administrator" },
  { id: "auditor", name: "Auditor" },
  { id: "developer", name: "Developer" },
];
const DEPARTMENTS = ["Engineering", "Finance", "Sales", "Support", "Security"];

const pad = (n: number, width: number) => String(n).padStart(width, "0");

/** A membership: principal holds `<type>:<id>:<slug>`. Keys are `entitlementId|principalType:principalId`. */
export function membershipKey(entitlementId: string, principal: DemoPrincipal): string {
  return `${entitlementId}|${principal.type}:${principal.id}`;
}

export function parseMembershipKey(key: string): { entitlementId: string; principal: DemoPrincipal } {
  const bar = key.lastIndexOf("|");
  const principal = key.slice(bar + 1);
  const colon = principal.indexOf(":");
  return {
    entitlementId: key.slice(0, bar),
    principal: { type: principal.slice(0, colon) as DemoPrincipal["type"], id: principal.slice(colon + 1) },
  };
}

/** The membership set, indexed by the entitlement's resource so grant listings stay O(page). */
export class Memberships implements Iterable<string> {
  private readonly keys = new Set<string>();
  private readonly byResource = new Map<string, Set<string>>();
  private readonly sorted = new Map<string, string[]>();

  private static resourceOf(key: string): string {
    const entitlementId = key.slice(0, key.lastIndexOf("|"));
    return entitlementId.slice(0, entitlementId.lastIndexOf(":"));
  }

  get size(): number {
    return this.keys.size;
  }
  has(key: string): boolean {
    return this.keys.has(key);
  }
  add(key: string): this {
    if (this.keys.has(key)) return this;
    this.keys.add(key);
    const ref = Memberships.resourceOf(key);
    const set = this.byResource.get(ref) ?? new Set<string>();
    this.byResource.set(ref, set);
    set.add(key);
    this.sorted.delete(ref);
    return this;
  }
  delete(key: string): boolean {
    if (!this.keys.delete(key)) return false;
    const ref = Memberships.resourceOf(key);
    this.byResource.get(ref)?.delete(key);
    this.sorted.delete(ref);
    return true;
  }
  /** Keys whose entitlement belongs to `type:id`, sorted (stable paging across calls). */
  ofResource(ref: string): string[] {
    let list = this.sorted.get(ref);
    if (!list) {
      list = [...(this.byResource.get(ref) ?? [])].sort();
      this.sorted.set(ref, list);
    }
    return list;
  }
  [Symbol.iterator](): Iterator<string> {
    return this.keys[Symbol.iterator]();
  }
}

export interface Organisation {
  users: Map<string, DemoUser>;
  groups: Map<string, DemoGroup>;
  roles: Map<string, { id: string; name: string }>;
  projects: Map<string, DemoProject>;
  /** Membership keys (see `membershipKey`). */
  memberships: Memberships;
}

export function demoUser(index: number, width: number): DemoUser {
  const id = `u-${pad(index, width)}`;
  return {
    id,
    name: `User ${index}`,
    login: `user${index}`,
    email: `user${index}@example.com`,
    status: index % 10 === 0 ? "disabled" : "enabled",
    department: DEPARTMENTS[index % DEPARTMENTS.length],
    credentialVersion: 0,
  };
}

/** The organisation before any edits; the same size always gives the same organisation. */
export function generateOrganisation(size: DemoSize): Organisation {
  const userWidth = Math.max(4, String(size.users).length);
  const groupWidth = Math.max(2, String(size.groups).length);
  const org: Organisation = {
    users: new Map(),
    groups: new Map(),
    roles: new Map(ROLES.map((role) => [role.id, role])),
    projects: new Map(),
    memberships: new Memberships(),
  };
  for (let i = 1; i <= size.users; i++) {
    const user = demoUser(i, userWidth);
    org.users.set(user.id, user);
  }
  const groupIds: string[] = [];
  for (let i = 1; i <= size.groups; i++) {
    const id = `g-${pad(i, groupWidth)}`;
    groupIds.push(id);
    org.groups.set(id, { id, name: `Group ${i}` });
  }
  const projectCount = Math.max(2, Math.ceil(size.groups / 2));
  for (let i = 1; i <= projectCount; i++) {
    const id = `p-${pad(i, 2)}`;
    org.projects.set(id, { id, name: `Project ${i}` });
  }
  // Nested groups as a binary tree: group i is a member of group floor(i/2),
  // so a user in a leaf group reaches the root only through expansion.
  for (let i = 2; i <= size.groups; i++) {
    org.memberships.add(
      membershipKey(`group:${groupIds[Math.floor(i / 2) - 1]}:member`, { type: "group", id: groupIds[i - 1] }),
    );
  }
  if (groupIds.length > 0) {
    org.memberships.add(membershipKey("role:admin:assigned", { type: "group", id: groupIds[0] }));
    org.memberships.add(membershipKey(`app:${APP_ID}:access`, { type: "group", id: groupIds[0] }));
  }
  // Direct user grants, spread deterministically over every grantable entitlement.
  const targets = [
    ...groupIds.map((id) => `group:${id}:member`),
    ...ROLES.map((role) => `role:${role.id}:assigned`),
    ...[...org.projects.keys()].flatMap((id) => [`project:${id}:viewer`, `project:${id}:editor`]),
    `app:${APP_ID}:access`,
  ];
  const userIds = [...org.users.keys()];
  const pairs = userIds.length * targets.length;
  // A stride coprime to the pair count walks every (user, target) pair once, in a spread-out order.
  let stride = 7919;
  while (pairs > 0 && gcd(stride, pairs) !== 1) stride += 2;
  for (let k = 0; k < Math.min(size.grants, pairs); k++) {
    const pair = (k * stride) % pairs;
    org.memberships.add(
      membershipKey(targets[Math.floor(pair / userIds.length)], { type: "user", id: userIds[pair % userIds.length] }),
    );
  }
  return org;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
