/**
 * Resolving provisioning inputs from a c1z the way baton-sdk's local provisioner
 * does: the entitlement with its full resource, the principal by (type, id), the
 * grant with its entitlement and principal. Objects imported from another
 * connector (BatonID) are refused.
 */
import { create } from "@bufbuild/protobuf";
import type { C1zReader } from "../c1z/store.ts";
import { hasAnnotation } from "../model/annotations.ts";
import {
  BatonIDSchema,
  type Entitlement,
  EntitlementSchema,
  type Grant,
  GrantSchema,
  type Resource,
  type ResourceId,
  ResourceIdSchema,
} from "../model/types.ts";
import { ProvisionError } from "./errors.ts";

function resourceRef(id: ResourceId): string {
  return `${id.resourceType}:${id.resource}`;
}

export function loadResource(reader: C1zReader, id: ResourceId, role: string): Resource {
  const found = reader.getResource(id);
  if (!found)
    throw new ProvisionError("not-found", `${role} ${resourceRef(id)} not found in the c1z (run a sync first)`);
  if (hasAnnotation(found.annotations, BatonIDSchema)) {
    throw new ProvisionError("failed-precondition", `${role} ${resourceRef(id)} is an external resource (BatonID)`);
  }
  return found;
}

/** The entitlement with its resource replaced by the stored, complete one. */
export function loadEntitlement(reader: C1zReader, entitlementId: string): Entitlement {
  const found = reader.getEntitlement(entitlementId);
  if (!found)
    throw new ProvisionError("not-found", `entitlement ${entitlementId} not found in the c1z (run a sync first)`);
  const owner = found.resource?.id;
  if (!owner) throw new ProvisionError("failed-precondition", `entitlement ${entitlementId} has no resource`);
  return create(EntitlementSchema, { ...found, resource: loadResource(reader, owner, "entitlement resource") });
}

export function principalId(type: string, id: string): ResourceId {
  return create(ResourceIdSchema, { resourceType: type, resource: id });
}

/** The grant as Baton's revoke sends it: id, full entitlement, full principal, annotations. */
export function loadGrant(reader: C1zReader, grantId: string): Grant {
  const found = reader.getGrant(grantId);
  if (!found) throw new ProvisionError("not-found", `grant ${grantId} not found in the c1z (run a sync first)`);
  const entitlementId = found.entitlement?.id;
  const principal = found.principal?.id;
  if (!entitlementId || !principal) {
    throw new ProvisionError("failed-precondition", `grant ${grantId} has no entitlement or principal`);
  }
  return create(GrantSchema, {
    id: found.id,
    entitlement: loadEntitlement(reader, entitlementId),
    principal: loadResource(reader, principal, "principal"),
    annotations: found.annotations,
  });
}
