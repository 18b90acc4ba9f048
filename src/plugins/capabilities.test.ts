import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { resourceType } from "../model/builders.ts";
import { capabilities, capabilitiesJson } from "./capabilities.ts";
import type { AnyPlugin, ResourceTypeDefinition } from "./contract.ts";
import { definePlugin } from "./define.ts";

const syncer = (
  displayName: string,
  extra: Partial<ResourceTypeDefinition> = {},
  traits: ("user" | "group")[] = [],
) => ({
  resourceType: resourceType({ displayName, traits }),
  list: async () => ({ items: [] }),
  entitlements: async () => ({ items: [] }),
  grants: async () => ({ items: [] }),
  ...extra,
});
const provisioner = { grant: async () => ({}), revoke: async () => ({}) };
const get = async () => undefined;

// Shaped like baton-demo (reference §1.12, demo:baton_capabilities.json): users with every manager, groups provisionable.
const demoLike: AnyPlugin = definePlugin({
  name: "demo-like",
  displayName: "Demo like",
  config: v.object({}),
  connect: () => ({}),
  resourceTypes: [
    syncer("User", { get, ...provisioner }, ["user"]),
    syncer("Group", { get, ...provisioner }, ["group"]),
    syncer("Project"),
  ],
  createAccount: async () => ({}),
  rotateCredentials: async () => ({ credentials: [] }),
  deleteResource: async () => ({}),
  deleteResourceTypes: ["user"],
  actions: [{ name: "noop", run: async () => ({}) }],
});

describe("capabilities", () => {
  it("derives per-type capabilities in Go's append order and sorts types by id", () => {
    const derived = capabilities(demoLike);
    expect(derived.resourceTypes).toEqual([
      {
        resourceTypeId: "group",
        capabilities: ["CAPABILITY_SYNC", "CAPABILITY_TARGETED_SYNC", "CAPABILITY_PROVISION"],
      },
      { resourceTypeId: "project", capabilities: ["CAPABILITY_SYNC"] },
      {
        resourceTypeId: "user",
        // baton-demo's user lists SYNC, TARGETED_SYNC, PROVISION, ACCOUNT_PROVISIONING, RESOURCE_DELETE, (RESOURCE_CREATE,) CREDENTIAL_ROTATION.
        capabilities: [
          "CAPABILITY_SYNC",
          "CAPABILITY_TARGETED_SYNC",
          "CAPABILITY_PROVISION",
          "CAPABILITY_ACCOUNT_PROVISIONING",
          "CAPABILITY_RESOURCE_DELETE",
          "CAPABILITY_CREDENTIAL_ROTATION",
        ],
      },
    ]);
  });

  it("sorts connector capabilities by the enum numbers of c1.connector.v2.Capability", () => {
    // PROVISION=1, SYNC=2, ACCOUNT_PROVISIONING=5, CREDENTIAL_ROTATION=6, RESOURCE_DELETE=8, ACTIONS=10,
    // TARGETED_SYNC=11, SERVICE_MODE_TARGETED_SYNC=13 (baton-sdk proto/c1/connector/v2/connector.proto).
    expect(capabilities(demoLike).connector).toEqual([
      "CAPABILITY_PROVISION",
      "CAPABILITY_SYNC",
      "CAPABILITY_ACCOUNT_PROVISIONING",
      "CAPABILITY_CREDENTIAL_ROTATION",
      "CAPABILITY_RESOURCE_DELETE",
      "CAPABILITY_ACTIONS",
      "CAPABILITY_TARGETED_SYNC",
      "CAPABILITY_SERVICE_MODE_TARGETED_SYNC",
    ]);
  });

  it("prints protojson of an Any like `baton-<app> capabilities`", () => {
    const json = capabilitiesJson(demoLike) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual([
      "@type",
      "resourceTypeCapabilities",
      "connectorCapabilities",
      "credentialDetails",
    ]);
    expect(json["@type"]).toBe("type.googleapis.com/c1.connector.v2.ConnectorCapabilities");
    const entries = json.resourceTypeCapabilities as Record<string, unknown>[];
    expect(entries[2].resourceType).toEqual({ id: "user", displayName: "User", traits: ["TRAIT_USER"] });
    expect(entries[1]).toEqual({
      resourceType: { id: "project", displayName: "Project" },
      capabilities: ["CAPABILITY_SYNC"],
      permissions: {},
    });
    expect(json.credentialDetails).toEqual({
      capabilityAccountProvisioning: {
        supportedCredentialOptions: [
          "CAPABILITY_DETAIL_CREDENTIAL_OPTION_NO_PASSWORD",
          "CAPABILITY_DETAIL_CREDENTIAL_OPTION_RANDOM_PASSWORD",
        ],
        preferredCredentialOption: "CAPABILITY_DETAIL_CREDENTIAL_OPTION_RANDOM_PASSWORD",
      },
      capabilityCredentialRotation: {
        supportedCredentialOptions: [
          "CAPABILITY_DETAIL_CREDENTIAL_OPTION_NO_PASSWORD",
          "CAPABILITY_DETAIL_CREDENTIAL_OPTION_RANDOM_PASSWORD",
        ],
        preferredCredentialOption: "CAPABILITY_DETAIL_CREDENTIAL_OPTION_RANDOM_PASSWORD",
      },
    });
  });

  it("prints the SkipEntitlementsAndGrants annotation of a type as an Any", () => {
    const plugin = definePlugin({
      name: "skip",
      displayName: "Skip",
      config: v.object({}),
      connect: () => ({}),
      resourceTypes: [
        {
          ...syncer("User"),
          resourceType: resourceType({ displayName: "User", traits: ["user"], skip: "entitlementsAndGrants" }),
        },
      ],
    });
    const entry = (capabilitiesJson(plugin).resourceTypeCapabilities as Record<string, unknown>[])[0];
    expect(entry.resourceType).toEqual({
      id: "user",
      displayName: "User",
      traits: ["TRAIT_USER"],
      annotations: [{ "@type": "type.googleapis.com/c1.connector.v2.SkipEntitlementsAndGrants" }],
    });
  });
});
