/**
 * Capabilities derived from what a plugin implements, as baton-sdk's
 * `GetCapabilities` derives them from the interfaces a connector satisfies,
 * shaped like the protojson `baton-<app> capabilities` prints.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { ResourceTypeSchema } from "../proto/gen/c1/connector/v2/resource_pb.ts";
import type { AnyPlugin } from "./contract.ts";
import { toProtoJson } from "./protojson.ts";

/** `c1.connector.v2.Capability` enum values; connector-level lists are sorted by them, as Go does. */
export const CAPABILITY = {
  CAPABILITY_PROVISION: 1,
  CAPABILITY_SYNC: 2,
  CAPABILITY_EVENT_FEED: 3,
  CAPABILITY_TICKETING: 4,
  CAPABILITY_ACCOUNT_PROVISIONING: 5,
  CAPABILITY_CREDENTIAL_ROTATION: 6,
  CAPABILITY_RESOURCE_CREATE: 7,
  CAPABILITY_RESOURCE_DELETE: 8,
  CAPABILITY_SYNC_SECRETS: 9,
  CAPABILITY_ACTIONS: 10,
  CAPABILITY_TARGETED_SYNC: 11,
  CAPABILITY_EVENT_FEED_V2: 12,
  CAPABILITY_SERVICE_MODE_TARGETED_SYNC: 13,
  CAPABILITY_CREDENTIAL_ISSUE: 14,
} as const;
export type Capability = keyof typeof CAPABILITY;

export interface ResourceTypeCapabilities {
  resourceTypeId: string;
  /** In the order Go appends them (sync, targeted sync, provision, account, delete, rotation). */
  capabilities: Capability[];
}

export interface PluginCapabilities {
  /** Sorted by resource type id. */
  resourceTypes: ResourceTypeCapabilities[];
  /** Sorted by enum value. */
  connector: Capability[];
}

/** The resource types each plugin-level operation applies to. */
export function accountResourceType(plugin: AnyPlugin): string | undefined {
  return plugin.createAccount ? (plugin.accountResourceType ?? "user") : undefined;
}
export function rotateResourceTypes(plugin: AnyPlugin): string[] {
  return plugin.rotateCredentials ? (plugin.rotateResourceTypes ?? ["user"]) : [];
}
export function deleteResourceTypes(plugin: AnyPlugin): string[] {
  if (!plugin.deleteResource) return [];
  return plugin.deleteResourceTypes ?? plugin.resourceTypes.map((rt) => rt.resourceType.id);
}

export function capabilities(plugin: AnyPlugin): PluginCapabilities {
  const connector = new Set<Capability>();
  const accountType = accountResourceType(plugin);
  const rotate = rotateResourceTypes(plugin);
  const deletable = deleteResourceTypes(plugin);
  const resourceTypes = plugin.resourceTypes.map((definition) => {
    const id = definition.resourceType.id;
    const caps: Capability[] = ["CAPABILITY_SYNC"];
    if (definition.get) {
      caps.push("CAPABILITY_TARGETED_SYNC");
      connector.add("CAPABILITY_SERVICE_MODE_TARGETED_SYNC");
    }
    if (definition.grant && definition.revoke) caps.push("CAPABILITY_PROVISION");
    if (accountType === id) caps.push("CAPABILITY_ACCOUNT_PROVISIONING");
    if (deletable.includes(id)) caps.push("CAPABILITY_RESOURCE_DELETE");
    if (rotate.includes(id)) caps.push("CAPABILITY_CREDENTIAL_ROTATION");
    for (const cap of caps) connector.add(cap);
    return { resourceTypeId: id, capabilities: caps };
  });
  if (accountType) connector.add("CAPABILITY_ACCOUNT_PROVISIONING");
  if ((plugin.actions ?? []).length > 0) connector.add("CAPABILITY_ACTIONS");
  resourceTypes.sort((a, b) =>
    a.resourceTypeId < b.resourceTypeId ? -1 : a.resourceTypeId > b.resourceTypeId ? 1 : 0,
  );
  return {
    resourceTypes,
    connector: [...connector].sort((a, b) => CAPABILITY[a] - CAPABILITY[b]),
  };
}

const CREDENTIAL_OPTIONS = {
  supportedCredentialOptions: [
    "CAPABILITY_DETAIL_CREDENTIAL_OPTION_NO_PASSWORD",
    "CAPABILITY_DETAIL_CREDENTIAL_OPTION_RANDOM_PASSWORD",
  ],
  preferredCredentialOption: "CAPABILITY_DETAIL_CREDENTIAL_OPTION_RANDOM_PASSWORD",
};

/** What `baton-<app> capabilities` prints: protojson of a `ConnectorCapabilities` packed in an `Any`. */
export function capabilitiesJson(plugin: AnyPlugin): JsonObject {
  const derived = capabilities(plugin);
  const byId = new Map(plugin.resourceTypes.map((definition) => [definition.resourceType.id, definition.resourceType]));
  const out: JsonObject = {
    "@type": "type.googleapis.com/c1.connector.v2.ConnectorCapabilities",
    resourceTypeCapabilities: derived.resourceTypes.map((entry) => ({
      resourceType: toProtoJson(ResourceTypeSchema, byId.get(entry.resourceTypeId)!),
      capabilities: entry.capabilities,
      permissions: {},
    })),
    connectorCapabilities: derived.connector,
  };
  const credentialDetails: JsonObject = {};
  if (accountResourceType(plugin)) credentialDetails.capabilityAccountProvisioning = CREDENTIAL_OPTIONS;
  if (rotateResourceTypes(plugin).length > 0) credentialDetails.capabilityCredentialRotation = CREDENTIAL_OPTIONS;
  if (Object.keys(credentialDetails).length > 0) out.credentialDetails = credentialDetails;
  return out;
}
