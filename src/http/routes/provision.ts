/**
 * Grant, revoke, create account, rotate credentials, delete resource. Each
 * needs the `provision` scope and the connector's provisioning enabled. Grant
 * and revoke resolve their objects from the latest finished sync, as Baton's
 * one-shot provisioning resolves them from the c1z.
 */
import { GrantSchema, ResourceSchema } from "../../model/types.ts";
import type { PlaintextCredential } from "../../plugins/contract.ts";
import { toProtoJson } from "../../plugins/protojson.ts";
import { provisioner } from "../provisioning.ts";
import { type AnyRoute, type Reply, route } from "../route.ts";
import {
  AccountBody,
  AccountResult,
  ConnectorParams,
  DeleteResult,
  GrantBody,
  GrantParams,
  GrantResult,
  ResourceParams,
  ResourceRef,
  RevokeResult,
  RotateResult,
} from "../schemas.ts";
import type { AppServices } from "../services.ts";
import { actionRoutes } from "./actions.ts";

const credentialsJson = (credentials: PlaintextCredential[] | undefined) =>
  (credentials ?? []).map((c) => ({ name: c.name, value: c.value }));

/**
 * What an idempotency record may keep: plaintext credentials are returned once
 * and never stored, so a replay shows them as redacted.
 */
export function storableReply(reply: Reply): Reply {
  const body = reply.body as { credentials?: unknown } | null;
  if (!body || typeof body !== "object" || !Array.isArray(body.credentials)) return reply;
  return {
    ...reply,
    body: {
      ...body,
      credentials: (body.credentials as { name: string }[]).map((c) => ({ name: c.name, value: null, redacted: true })),
    },
  };
}

export function provisionRoutes(services: AppServices): AnyRoute[] {
  const common = { tag: "provisioning", scope: "provision" as const, provisioning: true };
  const failures = {
    403: { description: "Missing scope, or provisioning not enabled for this connector" },
    503: {
      description:
        "The upstream stayed unavailable or rate limited (grant and revoke after their retries); Retry-After when it gave a reset",
    },
  };

  return [
    route({
      ...common,
      method: "post",
      path: "/v1/connectors/{name}/grants",
      operationId: "grantEntitlement",
      summary: "Grant an entitlement to a principal (both from the latest finished sync).",
      idempotent: true,
      params: ConnectorParams,
      body: GrantBody,
      responses: {
        201: { description: "Granted", schema: GrantResult },
        200: { description: "The principal already held it (GrantAlreadyExists)", schema: GrantResult },
        ...failures,
      },
      handler: async (_c, { params, body, log }) => {
        const entry = services.connector(params.name);
        const outcome = await provisioner(services, entry, log).grant(body.entitlementId, body.principal);
        const alreadyExists = outcome.status === "already-exists";
        log.info("grant", { connector: entry.name, entitlementId: body.entitlementId, alreadyExists });
        return {
          status: alreadyExists ? 200 : 201,
          body: {
            alreadyExists,
            grants: (outcome.grants ?? []).map((g) => toProtoJson(GrantSchema, g)),
          },
        };
      },
    }),
    route({
      ...common,
      method: "delete",
      path: "/v1/connectors/{name}/grants/{grantId}",
      operationId: "revokeGrant",
      summary: "Revoke a grant of the latest finished sync.",
      idempotent: true,
      params: GrantParams,
      responses: {
        200: { description: "Revoked, or already revoked (GrantAlreadyRevoked)", schema: RevokeResult },
        ...failures,
      },
      handler: async (_c, { params, log }) => {
        const entry = services.connector(params.name);
        const outcome = await provisioner(services, entry, log).revoke(params.grantId);
        const alreadyRevoked = outcome.status === "already-revoked";
        log.info("revoke", { connector: entry.name, grantId: params.grantId, alreadyRevoked });
        return { status: 200, body: { alreadyRevoked } };
      },
    }),
    route({
      ...common,
      method: "post",
      path: "/v1/connectors/{name}/accounts",
      operationId: "createAccount",
      summary: "Create an account. Credentials are in this response only (a replay shows them redacted).",
      idempotent: true,
      params: ConnectorParams,
      body: AccountBody,
      responses: { 201: { description: "Created", schema: AccountResult }, ...failures },
      handler: async (_c, { params, body, log }) => {
        const entry = services.connector(params.name);
        const outcome = await provisioner(services, entry, log).createAccount(body);
        log.info("account created", { connector: entry.name, status: outcome.status });
        return {
          status: 201,
          body: {
            status: outcome.status,
            resource: outcome.resource ? toProtoJson(ResourceSchema, outcome.resource) : null,
            credentials: credentialsJson(outcome.credentials),
          },
        };
      },
    }),
    route({
      ...common,
      method: "post",
      path: "/v1/connectors/{name}/credentials/rotate",
      operationId: "rotateCredentials",
      summary: "Rotate a resource's credentials; the new ones are in this response only.",
      params: ConnectorParams,
      body: ResourceRef,
      responses: { 200: { description: "Rotated", schema: RotateResult }, ...failures },
      handler: async (_c, { params, body, log }) => {
        const entry = services.connector(params.name);
        const outcome = await provisioner(services, entry, log).rotate(body);
        log.info("credentials rotated", { connector: entry.name, resourceType: body.resourceType });
        return { status: 200, body: { credentials: credentialsJson(outcome.credentials) } };
      },
    }),
    route({
      ...common,
      method: "delete",
      path: "/v1/connectors/{name}/resources/{type}/{id}",
      operationId: "deleteResource",
      summary: "Delete a resource in the application.",
      params: ResourceParams,
      responses: { 200: { description: "Deleted, or already gone", schema: DeleteResult }, ...failures },
      handler: async (_c, { params, log }) => {
        const entry = services.connector(params.name);
        const outcome = await provisioner(services, entry, log).deleteResource({
          resourceType: params.type,
          resource: params.id,
        });
        const alreadyDeleted = outcome.status === "already-deleted";
        log.info("resource deleted", { connector: entry.name, resourceType: params.type, alreadyDeleted });
        return { status: 200, body: { alreadyDeleted } };
      },
    }),
    ...actionRoutes(services),
  ];
}
