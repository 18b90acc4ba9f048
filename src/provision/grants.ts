/**
 * Grant and revoke: resolve their objects from a c1z (or take them hydrated, as
 * service mode's tasks carry them) and dispatch by the entitlement's resource
 * type, as baton-sdk does; "already granted" / "already revoked" are outcomes,
 * not errors. Both retry transient upstream failures (see retry.ts).
 */
import { create } from "@bufbuild/protobuf";
import type { C1zReader } from "../c1z/store.ts";
import { packAny } from "../model/annotations.ts";
import {
  type Any,
  type Entitlement,
  type Grant,
  GrantAlreadyExistsSchema,
  GrantAlreadyRevokedSchema,
  type Resource,
} from "../model/types.ts";
import type { AnyPlugin, ResourceTypeDefinition } from "../plugins/contract.ts";
import { ProvisionError } from "./errors.ts";
import { loadEntitlement, loadGrant, loadResource, principalId } from "./resolve.ts";
import { type ProvisionOptions, withProvisionRetry } from "./retry.ts";
import type { ProvisionTarget } from "./target.ts";

function typeDefinition(plugin: AnyPlugin, resourceTypeId: string): ResourceTypeDefinition<unknown> {
  const definition = plugin.resourceTypes.find((rt) => rt.resourceType.id === resourceTypeId);
  if (!definition) {
    throw new ProvisionError("not-found", `plugin ${plugin.name} has no resource type "${resourceTypeId}"`);
  }
  return definition;
}

export interface GrantRequest {
  entitlementId: string;
  principalId: string;
  principalType: string;
}

export interface GrantResult {
  status: "granted" | "already-exists";
  grants: Grant[];
  /** Includes `GrantAlreadyExists` when the principal already held it. */
  annotations: Any[];
}

export async function grantEntitlement(
  target: ProvisionTarget,
  reader: C1zReader,
  request: GrantRequest,
  options: ProvisionOptions = {},
): Promise<GrantResult> {
  const entitlement = loadEntitlement(reader, request.entitlementId);
  const principal = loadResource(reader, principalId(request.principalType, request.principalId), "principal");
  return grantResolved(target, entitlement, principal, options);
}

/** Grant with the objects already in hand (service mode's GrantTask carries them hydrated). */
export async function grantResolved(
  target: ProvisionTarget,
  entitlement: Entitlement,
  principal: Resource,
  options: ProvisionOptions = {},
): Promise<GrantResult> {
  const typeId = entitlement.resource?.id?.resourceType;
  if (!typeId) throw new ProvisionError("invalid-argument", "the entitlement names no resource");
  const definition = typeDefinition(target.plugin, typeId);
  if (!definition.grant) {
    throw new ProvisionError("unimplemented", `resource type ${typeId} does not have provisioner configured`);
  }
  const outcome = await withProvisionRetry("grant", target, options, () =>
    definition.grant!(principal, entitlement, target.ctx),
  );
  const annotations = [...(outcome.annotations ?? [])];
  if (outcome.alreadyExists) annotations.push(packAny(GrantAlreadyExistsSchema, create(GrantAlreadyExistsSchema)));
  return {
    status: outcome.alreadyExists ? "already-exists" : "granted",
    grants: outcome.grants ?? [],
    annotations,
  };
}

export interface RevokeResult {
  status: "revoked" | "already-revoked";
  /** Includes `GrantAlreadyRevoked` when there was nothing to revoke. */
  annotations: Any[];
}

export async function revokeGrant(
  target: ProvisionTarget,
  reader: C1zReader,
  request: { grantId: string },
  options: ProvisionOptions = {},
): Promise<RevokeResult> {
  return revokeResolved(target, loadGrant(reader, request.grantId), options);
}

/** Revoke with the grant already in hand (service mode's RevokeTask carries it hydrated). */
export async function revokeResolved(
  target: ProvisionTarget,
  grant: Grant,
  options: ProvisionOptions = {},
): Promise<RevokeResult> {
  const typeId = grant.entitlement?.resource?.id?.resourceType;
  if (!typeId) throw new ProvisionError("invalid-argument", "the grant's entitlement names no resource");
  const definition = typeDefinition(target.plugin, typeId);
  if (!definition.revoke) {
    throw new ProvisionError("unimplemented", `resource type ${typeId} does not have provisioner configured`);
  }
  const outcome = await withProvisionRetry("revoke", target, options, () => definition.revoke!(grant, target.ctx));
  const annotations = [...(outcome.annotations ?? [])];
  if (outcome.alreadyRevoked) annotations.push(packAny(GrantAlreadyRevokedSchema, create(GrantAlreadyRevokedSchema)));
  return { status: outcome.alreadyRevoked ? "already-revoked" : "revoked", annotations };
}
