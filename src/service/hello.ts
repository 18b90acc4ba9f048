/**
 * The Hello a connector sends at startup and for each HelloTask: build and OS
 * facts plus the connector's metadata with its capabilities (baton-model.md
 * §5.2). The capabilities are the ones `baton-edge <plugin> capabilities`
 * prints, as protobuf. Every OS field is non-empty, as the API requires.
 */
import { readFileSync } from "node:fs";
import { arch, hostname, machine, platform, release } from "node:os";
import { create, type JsonObject } from "@bufbuild/protobuf";
import { accountResourceType, capabilities, rotateResourceTypes } from "../plugins/capabilities.ts";
import type { AnyPlugin } from "../plugins/contract.ts";
import {
  Capability,
  CapabilityDetailCredentialOption,
  type ConnectorMetadata,
  ConnectorMetadataSchema,
} from "../proto/gen/c1/connector/v2/connector_pb.ts";
import type { BatonServiceHelloRequest } from "../proto/gen/c1/connectorapi/baton/v1/baton_pb.ts";

export const BATON_EDGE_VERSION = "0.1.0";

export function connectorMetadata(plugin: AnyPlugin): ConnectorMetadata {
  const derived = capabilities(plugin);
  const byId = new Map(plugin.resourceTypes.map((definition) => [definition.resourceType.id, definition.resourceType]));
  const credentialOptions = {
    supportedCredentialOptions: [
      CapabilityDetailCredentialOption.NO_PASSWORD,
      CapabilityDetailCredentialOption.RANDOM_PASSWORD,
    ],
    preferredCredentialOption: CapabilityDetailCredentialOption.RANDOM_PASSWORD,
  };
  return create(ConnectorMetadataSchema, {
    displayName: plugin.displayName,
    description: plugin.description ?? "",
    helpUrl: plugin.metadata?.helpUrl ?? "",
    profile: plugin.metadata?.profile as JsonObject | undefined,
    capabilities: {
      resourceTypeCapabilities: derived.resourceTypes.map((entry) => ({
        resourceType: byId.get(entry.resourceTypeId),
        capabilities: entry.capabilities.map(
          (name) => Capability[name.slice("CAPABILITY_".length) as keyof typeof Capability],
        ),
        permissions: {},
      })),
      connectorCapabilities: derived.connector.map(
        (name) => Capability[name.slice("CAPABILITY_".length) as keyof typeof Capability],
      ),
      credentialDetails:
        accountResourceType(plugin) || rotateResourceTypes(plugin).length > 0
          ? {
              capabilityAccountProvisioning: accountResourceType(plugin) ? credentialOptions : undefined,
              capabilityCredentialRotation: rotateResourceTypes(plugin).length > 0 ? credentialOptions : undefined,
            }
          : undefined,
    },
  });
}

function osRelease(): Record<string, string> {
  try {
    const out: Record<string, string> = {};
    for (const line of readFileSync("/etc/os-release", "utf8").split("\n")) {
      const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
      if (match) out[match[1]] = match[2].replace(/^"(.*)"$/, "$1");
    }
    return out;
  } catch {
    return {};
  }
}

/** The JavaScript runtime and its version, e.g. `node v20.20.2`, `bun 1.2.3`, `deno 2.1.0`. */
function runtimeVersion(): string {
  const versions = process.versions as Record<string, string | undefined>;
  if (versions.bun) return `bun ${versions.bun}`;
  if (versions.deno) return `deno ${versions.deno}`;
  return `node ${process.version}`;
}

type HelloFields = Omit<BatonServiceHelloRequest, "$typeName" | "hostId">;

export function helloRequest(plugin: AnyPlugin, taskId = ""): HelloFields {
  const os = osRelease();
  const kernel = release() || "unknown";
  const osName = platform() || "unknown";
  const distro = os.ID || osName;
  return {
    taskId,
    buildInfo: {
      $typeName: "c1.connectorapi.baton.v1.BatonServiceHelloRequest.BuildInfo",
      langVersion: runtimeVersion(),
      package: `baton-edge/${plugin.name}`,
      packageVersion: plugin.version ? `${BATON_EDGE_VERSION}+${plugin.name}.${plugin.version}` : BATON_EDGE_VERSION,
    },
    osInfo: {
      $typeName: "c1.connectorapi.baton.v1.BatonServiceHelloRequest.OSInfo",
      hostname: hostname() || "unknown",
      os: osName,
      platform: distro,
      platformVersion: os.VERSION_ID || kernel,
      platformFamily: os.ID_LIKE?.split(" ")[0] || distro,
      kernelVersion: kernel,
      kernelArch: machine() || arch() || "unknown",
      virtualizationSystem: "none",
    },
    connectorMetadata: connectorMetadata(plugin),
    annotations: [],
  };
}

/** `BATON_HOST_ID`, else the hostname, else `baton-edge`; at most 256 characters. */
export function hostId(env: Record<string, string | undefined>): string {
  return (env.BATON_HOST_ID || hostname() || "baton-edge").slice(0, 256);
}
