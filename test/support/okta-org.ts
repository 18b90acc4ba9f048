/**
 * The seeded organisation behind the local Okta: plain data in Okta's Management API
 * shapes (developer.okta.com/docs/api/openapi/okta-management), deterministic, so two
 * connectors syncing it can be compared id by id. The server (okta-server.ts) serves
 * and mutates it.
 */

export type UserStatus =
  | "STAGED"
  | "PROVISIONED"
  | "ACTIVE"
  | "RECOVERY"
  | "PASSWORD_EXPIRED"
  | "LOCKED_OUT"
  | "SUSPENDED"
  | "DEPROVISIONED";

export interface OktaUser {
  id: string;
  status: UserStatus;
  created: string;
  activated: string | null;
  statusChanged: string | null;
  lastLogin: string | null;
  lastUpdated: string;
  passwordChanged: string | null;
  type: { id: string };
  profile: Record<string, string | null>;
}

export interface OktaGroup {
  id: string;
  created: string;
  lastUpdated: string;
  lastMembershipUpdated: string;
  objectClass: string[];
  type: "OKTA_GROUP" | "BUILT_IN" | "APP_GROUP";
  profile: { name: string; description: string | null };
}

export interface OktaApp {
  id: string;
  name: string;
  label: string;
  status: "ACTIVE" | "INACTIVE";
  created: string;
  lastUpdated: string;
  signOnMode: string;
  features: string[];
}

/** A role assignment on a user or group (Okta's Role object from …/roles). */
export interface RoleAssignment {
  id: string;
  type: string;
  label: string;
  status: "ACTIVE" | "INACTIVE";
  assignmentType: "USER" | "GROUP";
  created: string;
  lastUpdated: string;
  /** CUSTOM assignments: the custom role id and the resource set it is bound on. */
  role?: string;
  resourceSet?: string;
}

export interface CustomRole {
  id: string;
  label: string;
  description: string;
  created: string;
  lastUpdated: string;
}

export interface ResourceSet {
  id: string;
  label: string;
  description: string;
  created: string;
  lastUpdated: string;
}

/** A binding of a custom role on a resource set, with its members (users or groups). */
export interface Binding {
  resourceSet: string;
  role: string;
  members: { id: string; kind: "users" | "groups"; target: string }[];
}

export interface Device {
  id: string;
  status: string;
  created: string;
  lastUpdated: string;
  profile: {
    displayName: string;
    platform: string;
    manufacturer: string;
    model: string;
    osVersion: string;
    serialNumber: string;
    udid: string;
  };
}

export interface ApiToken {
  id: string;
  name: string;
  userId: string;
  clientName: string;
  tokenWindow: string;
  created: string;
  lastUpdated: string;
  expiresAt: string;
}

export interface OktaOrg {
  users: OktaUser[];
  groups: OktaGroup[];
  /** group id → member user ids, in insertion order. */
  members: Map<string, string[]>;
  apps: OktaApp[];
  /** app id → user ids assigned directly (scope USER). */
  appUsers: Map<string, string[]>;
  /** app id → group ids assigned. */
  appGroups: Map<string, string[]>;
  userRoles: Map<string, RoleAssignment[]>;
  groupRoles: Map<string, RoleAssignment[]>;
  customRoles: CustomRole[];
  resourceSets: ResourceSet[];
  bindings: Binding[];
  devices: Device[];
  apiTokens: ApiToken[];
  nextId: number;
}

/** The standard (org-wide) admin role types and labels of Okta's Roles API. */
export const STANDARD_ROLES: Record<string, string> = {
  SUPER_ADMIN: "Super Administrator",
  ORG_ADMIN: "Organizational Administrator",
  APP_ADMIN: "Application Administrator",
  USER_ADMIN: "Group Administrator",
  HELP_DESK_ADMIN: "Help Desk Administrator",
  READ_ONLY_ADMIN: "Read-Only Administrator",
  MOBILE_ADMIN: "Mobile Administrator",
  API_ACCESS_MANAGEMENT_ADMIN: "API Access Management Administrator",
  REPORT_ADMIN: "Report Administrator",
  GROUP_MEMBERSHIP_ADMIN: "Group Membership Administrator",
};

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** Okta-looking ids: a 3-character kind prefix and 17 more characters, 20 in all (00u…, 00g…, 0oa…). */
export function oktaId(prefix: string, n: number): string {
  let body = "";
  let x = n * 2654435761 + 97;
  for (let i = 0; i < 13; i++) {
    body += ALPHABET[x % ALPHABET.length];
    x = Math.floor(x / ALPHABET.length) + (i + 1) * 7919 * (n + 3);
  }
  return `${prefix}${body}${String(n).padStart(4, "0")}`.slice(0, 20);
}

function isoDay(day: number): string {
  return new Date(Date.UTC(2024, 0, 1 + day, 9, 30, 0)).toISOString().replace(".000Z", ".000Z");
}

const FIRST = ["Ada", "Zoë", "Seán", 'Mary "Mae"', "José", "Åsa", "Li", "Renée", "O'Neil", "Bjørn", "Chloé", "Dmitrï"];
const LAST = [
  "Lovelace",
  "O'Brien",
  "van der Berg",
  "Nakamura 中村",
  "Müller",
  "D'Arcy",
  "Smith-Jones",
  "Ødegård",
  "Ng",
  "Ramírez",
];
const DOMAINS = ["example.com", "acme.test", "corp.example.org"];
const STATUSES: UserStatus[] = [
  "ACTIVE",
  "ACTIVE",
  "ACTIVE",
  "STAGED",
  "PROVISIONED",
  "RECOVERY",
  "PASSWORD_EXPIRED",
  "LOCKED_OUT",
  "SUSPENDED",
  "DEPROVISIONED",
];

export const SEED = { users: 205, groups: 30, apps: 10 } as const;

export function seedOrg(): OktaOrg {
  const users: OktaUser[] = [];
  for (let i = 0; i < SEED.users; i++) {
    const first = FIRST[i % FIRST.length] as string;
    const last = LAST[(i * 7) % LAST.length] as string;
    const domain = DOMAINS[i % DOMAINS.length] as string;
    const local = `${first
      .normalize("NFD")
      .replace(/[^A-Za-z]/g, "")
      .toLowerCase()}.${i}`;
    const status = STATUSES[i % STATUSES.length] as UserStatus;
    const profile: Record<string, string | null> = {
      firstName: first,
      lastName: last,
      login: i % 17 === 5 ? `${local}-no-at-sign` : `${local}@${domain}`,
      email: `${local}@${domain}`,
      mobilePhone: null,
      secondEmail: i % 4 === 0 ? `${local}.alt@${DOMAINS[(i + 1) % DOMAINS.length]}` : null,
    };
    if (i % 5 === 0) profile.displayName = `${first} ${last} (${i})`;
    if (i % 3 === 0) profile.employeeNumber = `E-${1000 + i}`;
    if (i % 11 === 0) profile.department = 'R&D "Core"';
    users.push({
      id: oktaId("00u", i),
      status,
      created: isoDay(i % 300),
      activated: status === "STAGED" ? null : isoDay((i % 300) + 1),
      statusChanged: isoDay((i % 300) + 2),
      lastLogin: status === "ACTIVE" && i % 2 === 0 ? isoDay((i % 300) + 30) : null,
      lastUpdated: isoDay((i % 300) + 3),
      passwordChanged: status === "STAGED" ? null : isoDay((i % 300) + 1),
      type: { id: "oty1defaulttype00001" },
      profile,
    });
  }

  const groups: OktaGroup[] = [];
  const members = new Map<string, string[]>();
  const groupNames = [
    "Everyone",
    "Engineering",
    'Sales "EMEA"',
    "Zürich Office",
    "Ops & On-call",
    "  Leading and trailing spaces  ",
    "L'équipe",
    "財務 Finance",
    "Empty group",
  ];
  for (let g = 0; g < SEED.groups; g++) {
    const type: OktaGroup["type"] = g === 0 ? "BUILT_IN" : g >= SEED.groups - 2 ? "APP_GROUP" : "OKTA_GROUP";
    const name = groupNames[g] ?? `Team ${g} — ${["north", "south", "east", "west"][g % 4]}`;
    const id = oktaId("00g", g);
    groups.push({
      id,
      created: isoDay(g),
      lastUpdated: isoDay(g + 1),
      lastMembershipUpdated: isoDay(g + 2),
      objectClass: [type === "APP_GROUP" ? "okta:windows_security_principal" : "okta:user_group"],
      type,
      profile: {
        name,
        description: g === 0 ? "All users in your organization" : g % 3 === 0 ? null : `Group #${g}: "${name.trim()}"`,
      },
    });
    let ids: string[];
    if (g === 0) ids = users.map((u) => u.id);
    else if (name === "Empty group") ids = [];
    else ids = users.filter((_, i) => (i * 31 + g * 17) % 9 === g % 9).map((u) => u.id);
    members.set(id, ids);
  }

  const apps: OktaApp[] = [];
  const appUsers = new Map<string, string[]>();
  const appGroups = new Map<string, string[]>();
  const appDefs: [string, string, string][] = [
    ["bookmark", 'Wiki "Intranet"', "BOOKMARK"],
    ["salesforce", "Salesforce.com", "SAML_2_0"],
    ["oidc_client", "Dev Portal (OIDC)", "OPENID_CONNECT"],
    ["template_swa", "Legacy SWA", "BROWSER_PLUGIN"],
    ["google", "Google Workspace", "SAML_2_0"],
    ["slack", "Slack — ünïcode", "SAML_2_0"],
    ["template_basic_auth", "Basic Auth App", "BASIC_AUTH"],
    ["oidc_client", "Service API", "OPENID_CONNECT"],
    ["zoomus", "Zoom", "SAML_2_0"],
    ["github", "GitHub Enterprise", "AUTO_LOGIN"],
  ];
  appDefs.forEach(([name, label, signOnMode], a) => {
    const id = oktaId("0oa", a);
    apps.push({
      id,
      name,
      label,
      status: a === 3 || a === 6 ? "INACTIVE" : "ACTIVE",
      created: isoDay(a),
      lastUpdated: isoDay(a + 5),
      signOnMode,
      features: [],
    });
    appUsers.set(
      id,
      users.filter((_, i) => (i + a * 3) % 13 === 0).map((u) => u.id),
    );
    appGroups.set(
      id,
      a % 4 === 3 ? [] : [oktaId("00g", 1 + ((a * 5) % (SEED.groups - 1))), oktaId("00g", 2 + ((a * 3) % 20))],
    );
  });

  let assignment = 0;
  const roleAssignment = (type: string, assignmentType: "USER" | "GROUP", extra: Partial<RoleAssignment> = {}) => ({
    id: oktaId(type === "CUSTOM" ? "irb" : "ra1", assignment++),
    type,
    label: extra.label ?? STANDARD_ROLES[type] ?? type,
    status: "ACTIVE" as const,
    assignmentType,
    created: isoDay(assignment),
    lastUpdated: isoDay(assignment + 1),
    ...extra,
  });

  const customRoles: CustomRole[] = [
    {
      id: "cr0customrole000001",
      label: 'Helpdesk "Tier 2"',
      description: "Resets passwords",
      created: isoDay(1),
      lastUpdated: isoDay(2),
    },
    {
      id: "cr0customrole000002",
      label: "App Reviewer ✓",
      description: "Reads apps",
      created: isoDay(3),
      lastUpdated: isoDay(4),
    },
  ];
  const resourceSets: ResourceSet[] = [
    {
      id: "iamresourceset00001",
      label: "All engineering users",
      description: "Users of Engineering",
      created: isoDay(5),
      lastUpdated: isoDay(6),
    },
    {
      id: "iamresourceset00002",
      label: "Apps 'prod'",
      description: "Production apps",
      created: isoDay(7),
      lastUpdated: isoDay(8),
    },
  ];

  const userRoles = new Map<string, RoleAssignment[]>();
  const roleTypes = Object.keys(STANDARD_ROLES);
  for (let n = 0; n < 14; n++) {
    const user = users[n * 7 + 2] as OktaUser;
    const list = [roleAssignment(roleTypes[n % roleTypes.length] as string, "USER")];
    if (n % 4 === 0) list.push(roleAssignment(roleTypes[(n + 3) % roleTypes.length] as string, "USER"));
    if (n === 5) list.push({ ...roleAssignment("HELP_DESK_ADMIN", "USER"), status: "INACTIVE" });
    userRoles.set(user.id, list);
  }
  // Custom role assignments: type CUSTOM, carrying the custom role and resource set.
  const customHolder = users[3] as OktaUser;
  userRoles.set(customHolder.id, [
    ...(userRoles.get(customHolder.id) ?? []),
    roleAssignment("CUSTOM", "USER", {
      label: customRoles[0]?.label,
      role: customRoles[0]?.id,
      resourceSet: resourceSets[0]?.id,
    }),
  ]);

  const groupRoles = new Map<string, RoleAssignment[]>();
  groupRoles.set(oktaId("00g", 1), [roleAssignment("APP_ADMIN", "GROUP"), roleAssignment("REPORT_ADMIN", "GROUP")]);
  groupRoles.set(oktaId("00g", 4), [roleAssignment("HELP_DESK_ADMIN", "GROUP")]);
  groupRoles.set(oktaId("00g", 8), [roleAssignment("READ_ONLY_ADMIN", "GROUP")]); // the empty group
  groupRoles.set(oktaId("00g", 6), [
    roleAssignment("CUSTOM", "GROUP", {
      label: customRoles[1]?.label,
      role: customRoles[1]?.id,
      resourceSet: resourceSets[1]?.id,
    }),
  ]);

  const bindings: Binding[] = [
    {
      resourceSet: resourceSets[0]?.id as string,
      role: customRoles[0]?.id as string,
      members: [{ id: "irbbindingmember001", kind: "users", target: customHolder.id }],
    },
    {
      resourceSet: resourceSets[1]?.id as string,
      role: customRoles[1]?.id as string,
      members: [{ id: "irbbindingmember002", kind: "groups", target: oktaId("00g", 6) }],
    },
  ];

  const devices: Device[] = [0, 1, 2].map((d) => ({
    id: oktaId("guo", d),
    status: "ACTIVE",
    created: isoDay(d),
    lastUpdated: isoDay(d + 1),
    profile: {
      displayName: ["Ada's MacBook", 'Pixel 8 "work"', "ThinkPad T14 — Zürich"][d] as string,
      platform: ["MACOS", "ANDROID", "WINDOWS"][d] as string,
      manufacturer: ["Apple", "Google", "Lenovo"][d] as string,
      model: ["MacBookPro18,3", "Pixel 8", "T14"][d] as string,
      osVersion: ["14.2", "14", "10.0.22631"][d] as string,
      serialNumber: `SN-${d}`,
      udid: `UDID-${d}`,
    },
  }));

  const apiTokens: ApiToken[] = [0, 1].map((t) => ({
    id: oktaId("00T", t),
    name: ['ci "deploy"', "baton sync"][t] as string,
    userId: (users[2 + t] as OktaUser).id,
    clientName: "Okta API",
    tokenWindow: "P30D",
    created: isoDay(t),
    lastUpdated: isoDay(t + 9),
    expiresAt: isoDay(t + 400),
  }));

  return {
    users,
    groups,
    members,
    apps,
    appUsers,
    appGroups,
    userRoles,
    groupRoles,
    customRoles,
    resourceSets,
    bindings,
    devices,
    apiTokens,
    nextId: 10_000,
  };
}
