/** Reads over the latest finished sync of a connector, paged as Go's reader pages. */

import type { PageOf } from "../../c1z/store.ts";
import { resourceId } from "../../model/builders.ts";
import { EntitlementSchema, GrantSchema, ResourceSchema } from "../../model/types.ts";
import { toProtoJson } from "../../plugins/protojson.ts";
import { badRequest } from "../problem.ts";
import { type AnyRoute, route } from "../route.ts";
import {
  AccessPage,
  AccessQuery,
  ConnectorParams,
  EntitlementsQuery,
  GrantsQuery,
  ResourcePage,
  ResourcesQuery,
} from "../schemas.ts";
import type { AppServices } from "../services.ts";

const DEFAULT_PAGE_SIZE = 100;

function pair(type: string | undefined, id: string | undefined, what: string) {
  if ((type === undefined) !== (id === undefined)) throw badRequest(`${what}Type and ${what}Id go together`);
  return type !== undefined && id !== undefined ? resourceId(type, id) : undefined;
}

/** One page of a read: the HTTP sync record it came from, the items as JSON, the next token. */
function pageResponse<T>(record: { id: string }, result: PageOf<T>, toJson: (item: T) => unknown) {
  return {
    status: 200 as const,
    body: { syncId: record.id, items: result.items.map(toJson), nextPageToken: result.nextPageToken },
  };
}

export function readRoutes(services: AppServices): AnyRoute[] {
  const page = (query: { pageToken?: string; pageSize?: number }, syncId: string | null) => ({
    syncId: syncId ?? undefined,
    pageToken: query.pageToken ?? "",
    pageSize: query.pageSize ?? DEFAULT_PAGE_SIZE,
  });
  const common = { tag: "reads", scope: "sync:read" as const, params: ConnectorParams };

  return [
    route({
      ...common,
      method: "get",
      path: "/v1/connectors/{name}/resources",
      operationId: "listResources",
      summary: "Resources of the latest finished sync (protojson), optionally of one type or parent.",
      query: ResourcesQuery,
      responses: { 200: { description: "A page of resources", schema: ResourcePage } },
      handler: async (_c, { params, query }) => {
        services.connector(params.name);
        const parent = pair(query.parentType, query.parentId, "parent");
        return services.snapshots.with(params.name, ({ record, reader }) => {
          const result = reader.listResources({
            ...page(query, record.c1zSyncId),
            resourceTypeId: query.resourceType,
            parent,
          });
          return pageResponse(record, result, (r) => toProtoJson(ResourceSchema, r));
        });
      },
    }),
    route({
      ...common,
      method: "get",
      path: "/v1/connectors/{name}/entitlements",
      operationId: "listEntitlements",
      summary: "Entitlements of the latest finished sync, optionally of one resource.",
      query: EntitlementsQuery,
      responses: { 200: { description: "A page of entitlements", schema: ResourcePage } },
      handler: async (_c, { params, query }) => {
        services.connector(params.name);
        const resource = pair(query.resourceType, query.resourceId, "resource");
        return services.snapshots.with(params.name, ({ record, reader }) => {
          const result = reader.listEntitlements({ ...page(query, record.c1zSyncId), resource });
          return pageResponse(record, result, (e) => toProtoJson(EntitlementSchema, e));
        });
      },
    }),
    route({
      ...common,
      method: "get",
      path: "/v1/connectors/{name}/grants",
      operationId: "listGrants",
      summary: "Grants of the latest finished sync, filtered by entitlement, principal or resource.",
      query: GrantsQuery,
      responses: { 200: { description: "A page of grants", schema: ResourcePage } },
      handler: async (_c, { params, query }) => {
        services.connector(params.name);
        const principal = pair(query.principalType, query.principalId, "principal");
        const resource = pair(query.resourceType, query.resourceId, "resource");
        return services.snapshots.with(params.name, ({ record, reader }) => {
          const result = reader.listGrants({
            ...page(query, record.c1zSyncId),
            entitlementId: query.entitlementId,
            principal,
            resource,
          });
          return pageResponse(record, result, (g) => toProtoJson(GrantSchema, g));
        });
      },
    }),
    route({
      ...common,
      method: "get",
      path: "/v1/connectors/{name}/access",
      operationId: "listAccess",
      summary: "What one principal can access: its grants with their entitlements and resources.",
      query: AccessQuery,
      responses: { 200: { description: "A page of access entries", schema: AccessPage } },
      handler: async (_c, { params, query }) => {
        services.connector(params.name);
        const principal = resourceId(query.principalType, query.principalId);
        return services.snapshots.with(params.name, ({ record, reader }) => {
          const syncId = record.c1zSyncId ?? undefined;
          const result = reader.listGrants({ ...page(query, record.c1zSyncId), principal });
          const items = result.items.map((grant) => {
            const entitlement = grant.entitlement ? reader.getEntitlement(grant.entitlement.id, syncId) : undefined;
            const owner = grant.entitlement?.resource?.id;
            const resource = owner ? reader.getResource(owner, syncId) : undefined;
            return {
              grant: toProtoJson(GrantSchema, grant),
              entitlement: entitlement ? toProtoJson(EntitlementSchema, entitlement) : null,
              resource: resource ? toProtoJson(ResourceSchema, resource) : null,
            };
          });
          return { status: 200, body: { syncId: record.id, items, nextPageToken: result.nextPageToken } };
        });
      },
    }),
  ];
}
