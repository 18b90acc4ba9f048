/**
 * One-shot provisioning, shared by the CLI and the HTTP API: grant, revoke,
 * create account, rotate credentials, delete resource. Grant and revoke resolve
 * their objects from a c1z and dispatch by the entitlement's resource type, as
 * baton-sdk does; "already granted" / "already revoked" are outcomes, not errors.
 * Grant and revoke retry transient upstream failures (see retry.ts).
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
  type ResourceId,
  ResourceIdSchema,
} from "../model/types.ts";
import { accountResourceType, deleteResourceTypes, rotateResourceTypes } from "../plugins/capabilities.ts";
import type { AnyPlugin, PlaintextCredential, ResourceTypeDefinition } from "../plugins/contract.ts";
import { systemClock } from "../upstream/clock.ts";
import { ProvisionError } from "./errors.ts";
import { loadEntitlement, loadGrant, loadResource, principalId } from "./resolve.ts";
import { callOnce, type ProvisionOptions, withProvisionRetry } from "./retry.ts";
import type { ProvisionTarget } from "./target.ts";

export { assertProvisioningEnabled, ProvisionError, type ProvisionErrorCode } from "./errors.ts";
export { loadEntitlement, loadGrant, loadResource } from "./resolve.ts";
export { PROVISION_RETRY, type ProvisionOptions } from "./retry.ts";
export type { ProvisionTarget } from "./target.ts";

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

export interface CreateAccountRequest {
  login: string;
  emails?: { address: string; primary?: boolean }[];
  profile?: Record<string, unknown>;
  resourceType?: string;
}

export interface CreateAccountResult {
  status: "success" | "already-exists" | "action-required" | "in-progress";
  resource?: Resource;
  /** Returned once to the caller; never log or store them. */
  credentials: PlaintextCredential[];
  annotations: Any[];
}

const ACCOUNT_STATUS = {
  success: "success",
  alreadyExists: "already-exists",
  actionRequired: "action-required",
  inProgress: "in-progress",
} as const;

export async function createAccount(
  target: ProvisionTarget,
  request: CreateAccountRequest,
  options: ProvisionOptions = {},
): Promise<CreateAccountResult> {
  const { plugin } = target;
  const accountType = accountResourceType(plugin);
  if (!plugin.createAccount || !accountType) {
    throw new ProvisionError("unimplemented", `plugin ${plugin.name} does not create accounts`);
  }
  if (request.resourceType && request.resourceType !== accountType) {
    throw new ProvisionError("unimplemented", `plugin ${plugin.name} creates accounts of type ${accountType} only`);
  }
  if (!request.login) throw new ProvisionError("invalid-argument", "an account needs a login");
  const outcome = await callOnce("create account", options.clock ?? systemClock, () =>
    plugin.createAccount!(
      {
        login: request.login,
        emails: request.emails ?? [],
        profile: request.profile,
        resourceType: accountType,
      },
      target.ctx,
    ),
  );
  return {
    status: ACCOUNT_STATUS[outcome.result ?? "success"],
    resource: outcome.resource,
    credentials: outcome.credentials ?? [],
    annotations: outcome.annotations ?? [],
  };
}

function resourceIdOf(type: string, id: string): ResourceId {
  return create(ResourceIdSchema, { resourceType: type, resource: id });
}

export interface RotateResult {
  /** Returned once to the caller; never log or store them. */
  credentials: PlaintextCredential[];
  annotations: Any[];
}

export async function rotateCredentials(
  target: ProvisionTarget,
  request: { resourceId: string; resourceType: string },
  options: ProvisionOptions = {},
): Promise<RotateResult> {
  const { plugin } = target;
  if (!plugin.rotateCredentials || !rotateResourceTypes(plugin).includes(request.resourceType)) {
    throw new ProvisionError(
      "unimplemented",
      `plugin ${plugin.name} does not rotate credentials of resource type ${request.resourceType}`,
    );
  }
  const outcome = await callOnce("rotate credentials", options.clock ?? systemClock, () =>
    plugin.rotateCredentials!(resourceIdOf(request.resourceType, request.resourceId), target.ctx),
  );
  return { credentials: outcome.credentials, annotations: outcome.annotations ?? [] };
}

export interface DeleteResult {
  status: "deleted" | "already-deleted";
  annotations: Any[];
}

export async function deleteResource(
  target: ProvisionTarget,
  request: { resourceId: string; resourceType: string },
  options: ProvisionOptions = {},
): Promise<DeleteResult> {
  const { plugin } = target;
  if (!plugin.deleteResource || !deleteResourceTypes(plugin).includes(request.resourceType)) {
    throw new ProvisionError(
      "unimplemented",
      `plugin ${plugin.name} does not delete resources of type ${request.resourceType}`,
    );
  }
  const outcome = await callOnce("delete resource", options.clock ?? systemClock, () =>
    plugin.deleteResource!(resourceIdOf(request.resourceType, request.resourceId), target.ctx),
  );
  return { status: outcome.alreadyDeleted ? "already-deleted" : "deleted", annotations: outcome.annotations ?? [] };
}
