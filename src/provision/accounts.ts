/**
 * Accounts and credentials: create an account, rotate a resource's credentials,
 * delete a resource. Each is one call to the plugin, not retried (a retry could
 * create or rotate twice); credentials are returned once, never logged or stored.
 */
import { create } from "@bufbuild/protobuf";
import { type Any, type Resource, type ResourceId, ResourceIdSchema } from "../model/types.ts";
import { accountResourceType, deleteResourceTypes, rotateResourceTypes } from "../plugins/capabilities.ts";
import type { PlaintextCredential } from "../plugins/contract.ts";
import { systemClock } from "../upstream/clock.ts";
import { ProvisionError } from "./errors.ts";
import { callOnce, type ProvisionOptions } from "./retry.ts";
import type { ProvisionTarget } from "./target.ts";

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

/** The resource a rotate or delete is about. */
export interface ResourceRequest {
  resourceId: string;
  resourceType: string;
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
  request: ResourceRequest,
  options: ProvisionOptions = {},
): Promise<RotateResult> {
  const { plugin } = target;
  const outcome = await onResource(target, request, options, {
    operation: "rotate credentials",
    call: plugin.rotateCredentials?.bind(plugin),
    types: rotateResourceTypes(plugin),
    unsupported: `plugin ${plugin.name} does not rotate credentials of resource type ${request.resourceType}`,
  });
  return { credentials: outcome.credentials, annotations: outcome.annotations ?? [] };
}

export interface DeleteResult {
  status: "deleted" | "already-deleted";
  annotations: Any[];
}

export async function deleteResource(
  target: ProvisionTarget,
  request: ResourceRequest,
  options: ProvisionOptions = {},
): Promise<DeleteResult> {
  const { plugin } = target;
  const outcome = await onResource(target, request, options, {
    operation: "delete resource",
    call: plugin.deleteResource?.bind(plugin),
    types: deleteResourceTypes(plugin),
    unsupported: `plugin ${plugin.name} does not delete resources of type ${request.resourceType}`,
  });
  return { status: outcome.alreadyDeleted ? "already-deleted" : "deleted", annotations: outcome.annotations ?? [] };
}

/** Rotate and delete: one call (not retried) on a resource of a type the plugin declares for the operation. */
async function onResource<T>(
  target: ProvisionTarget,
  request: ResourceRequest,
  options: ProvisionOptions,
  spec: {
    operation: "rotate credentials" | "delete resource";
    call: ((id: ResourceId, ctx: ProvisionTarget["ctx"]) => Promise<T>) | undefined;
    types: string[];
    unsupported: string;
  },
): Promise<T> {
  const { call } = spec;
  if (!call || !spec.types.includes(request.resourceType)) throw new ProvisionError("unimplemented", spec.unsupported);
  return callOnce(spec.operation, options.clock ?? systemClock, () =>
    call(resourceIdOf(request.resourceType, request.resourceId), target.ctx),
  );
}
