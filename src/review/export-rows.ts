/**
 * The rows of Baton's "Export XLSX/CSV for upload" (`baton export xlsx|csv`):
 * one header row of twelve columns, then an Identity row per user (a resource of
 * a type with the user trait that carries a UserTrait), an Entitlement row per
 * entitlement, and a Grant row per grant whose principal is such a user. Baton
 * walks Go maps (random order); we keep the reader's order. Rows are produced a
 * page at a time, with bounded lookup caches, so 1M grants never sit in memory.
 */
import type { C1zReader, PageOf, PageRequest } from "../c1z/store.ts";
import { findAnnotation } from "../model/annotations.ts";
import { resourceExternalId } from "../model/ids.ts";
import {
  type Entitlement,
  type Resource,
  type ResourceId,
  ResourceType_Trait,
  type UserTrait,
  UserTrait_Status_Status,
  UserTraitSchema,
} from "../model/types.ts";

/** Baton's column order (cmd/baton/export.go `headers()`). */
export const EXPORT_HEADERS = [
  "Type",
  "Last Name",
  "First Name",
  "User ID",
  "User Status",
  "Email Address",
  "Entitlement Display Name",
  "Entitlement",
  "Resource Type",
  "Resource Name",
  "Entitlement Description",
  "Entitlement Slug",
] as const;

export type ExportRow = string[];

const PAGE_SIZE = 1000;
const CACHE_LIMIT = 10_000;

function* pages<T>(list: (request: PageRequest) => PageOf<T>, syncId: string): Generator<T> {
  let pageToken = "";
  do {
    const page = list({ syncId, pageToken, pageSize: PAGE_SIZE });
    yield* page.items;
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
}

/** A Map that forgets its oldest entries past a limit: lookups stay fast, memory stays flat. */
class BoundedCache<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly limit: number) {}
  get(key: string, load: () => V): V {
    if (this.map.has(key)) return this.map.get(key) as V;
    const value = load();
    if (this.map.size >= this.limit) this.map.delete(this.map.keys().next().value as string);
    this.map.set(key, value);
    return value;
  }
}

/** Go's `GetStringValue()`: the value when it is a string, else empty. */
function profileString(trait: UserTrait, key: string): string {
  const value = trait.profile?.[key];
  return typeof value === "string" ? value : "";
}

function primaryEmail(trait: UserTrait): string {
  return trait.emails.find((email) => email.isPrimary)?.address ?? "";
}

/** Baton's getUserStatus: no status means enabled. */
function userStatus(trait: UserTrait): string {
  switch (trait.status?.status ?? UserTrait_Status_Status.ENABLED) {
    case UserTrait_Status_Status.ENABLED:
      return "Enabled";
    case UserTrait_Status_Status.DISABLED:
      return "Disabled";
    case UserTrait_Status_Status.DELETED:
      return "Deleted";
    default:
      return "Unknown";
  }
}

function entitlementColumns(entitlement: Entitlement): string[] {
  return [
    entitlement.displayName,
    entitlement.id,
    entitlement.resource?.id?.resourceType ?? "",
    entitlement.resource?.displayName ?? "",
    entitlement.description,
    entitlement.slug,
  ];
}

/** The header row, then every data row, in Baton's sections. */
export function* exportRows(reader: C1zReader, syncId: string): Generator<ExportRow> {
  yield [...EXPORT_HEADERS];
  const userTypes = [...pages((r) => reader.listResourceTypes(r), syncId)]
    .filter((type) => type.traits.includes(ResourceType_Trait.USER))
    .map((type) => type.id);
  for (const resourceTypeId of userTypes) {
    for (const resource of pages((r) => reader.listResources({ ...r, resourceTypeId }), syncId)) {
      const trait = findAnnotation(resource.annotations, UserTraitSchema);
      if (!trait) continue;
      yield [
        "Identity",
        profileString(trait, "last_name"),
        profileString(trait, "first_name"),
        profileString(trait, "user_id"),
        userStatus(trait),
        primaryEmail(trait),
        "",
        "",
        "",
        "",
        "",
        "",
      ];
    }
  }
  for (const entitlement of pages((r) => reader.listEntitlements(r), syncId)) {
    yield ["Entitlement", "", "", "", "", "", ...entitlementColumns(entitlement)];
  }
  const users = new BoundedCache<UserTrait | undefined>(CACHE_LIMIT);
  const entitlements = new BoundedCache<Entitlement | undefined>(CACHE_LIMIT);
  const userOf = (id: ResourceId) =>
    users.get(resourceExternalId(id), () => {
      const principal: Resource | undefined = reader.getResource(id, syncId);
      return principal ? findAnnotation(principal.annotations, UserTraitSchema) : undefined;
    });
  for (const grant of pages((r) => reader.listGrants(r), syncId)) {
    if (!grant.principal?.id || !grant.entitlement) continue;
    const trait = userOf(grant.principal.id);
    if (!trait) continue;
    const embedded = grant.entitlement;
    const entitlement = entitlements.get(embedded.id, () => reader.getEntitlement(embedded.id, syncId)) ?? embedded;
    // Baton leaves User Status empty on grant rows.
    yield [
      "Grant",
      profileString(trait, "last_name"),
      profileString(trait, "first_name"),
      profileString(trait, "user_id"),
      "",
      primaryEmail(trait),
      ...entitlementColumns(entitlement),
    ];
  }
}

/**
 * A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, and the tab and
 * carriage return OWASP lists) gets a leading apostrophe, so it stays text.
 */
export function neutraliseFormula(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}
