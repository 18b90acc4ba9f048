/** Reads over the latest finished sync of a connector, paged as Go's reader pages. */

import type * as v from "valibot";
import type { C1zReader, PageOf, PageRequest } from "../../c1z/store.ts";
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

/** What differs between the list routes; the paging, the snapshot and the reply are the same. */
/** The paging fields every list query has. */
interface PageQuery {
  pageToken?: string;
  pageSize?: number;
}

interface ListRoute<Q extends v.GenericSchema<unknown, PageQuery>, F> {
  /** The path segment after `/v1/connectors/{name}/`. */
  noun: string;
  operationId: string;
  summary: string;
  query: Q;
  page: v.GenericSchema;
  /** The query's filters, checked before any c1z is opened (a bad pair is a 400 first). */
  filters(query: v.InferOutput<Q>): F;
  /** One page from the snapshot, as JSON items. */
  read(reader: C1zReader, page: PageRequest, filters: F, syncId: string | undefined): PageOf<unknown>;
}

function listRoute<Q extends v.GenericSchema<unknown, PageQuery>, F>(
  services: AppServices,
  spec: ListRoute<Q, F>,
): AnyRoute {
  return route({
    tag: "reads",
    scope: "sync:read" as const,
    params: ConnectorParams,
    method: "get",
    path: `/v1/connectors/{name}/${spec.noun}`,
    operationId: spec.operationId,
    summary: spec.summary,
    query: spec.query,
    responses: { 200: { description: `A page of ${spec.noun}`, schema: spec.page } },
    handler: async (_c, { params, query }) => {
      services.connector(params.name);
      const filters = spec.filters(query);
      // Q's constraint guarantees these fields; the route's inferred type cannot see through it.
      const { pageToken, pageSize } = query as PageQuery;
      return services.snapshots.with(params.name, ({ record, reader }) => {
        const paging = {
          syncId: record.c1zSyncId ?? undefined,
          pageToken: pageToken ?? "",
          pageSize: pageSize ?? DEFAULT_PAGE_SIZE,
        };
        const result = spec.read(reader, paging, filters, paging.syncId);
        return { status: 200 as const, body: { syncId: record.id, ...result } };
      });
    },
  });
}

function jsonPage<T>(result: PageOf<T>, toJson: (item: T) => unknown): PageOf<unknown> {
  return { items: result.items.map(toJson), nextPageToken: result.nextPageToken };
}

export function readRoutes(services: AppServices): AnyRoute[] {
  return [
    listRoute(services, {
      noun: "resources",
      operationId: "listResources",
      summary: "Resources of the latest finished sync (protojson), optionally of one type or parent.",
      query: ResourcesQuery,
      page: ResourcePage,
      filters: (query) => ({
        resourceTypeId: query.resourceType,
        parent: pair(query.parentType, query.parentId, "parent"),
      }),
      read: (reader, page, filters) =>
        jsonPage(reader.listResources({ ...page, ...filters }), (r) => toProtoJson(ResourceSchema, r)),
    }),
    listRoute(services, {
      noun: "entitlements",
      operationId: "listEntitlements",
      summary: "Entitlements of the latest finished sync, optionally of one resource.",
      query: EntitlementsQuery,
      page: ResourcePage,
      filters: (query) => ({ resource: pair(query.resourceType, query.resourceId, "resource") }),
      read: (reader, page, filters) =>
        jsonPage(reader.listEntitlements({ ...page, ...filters }), (e) => toProtoJson(EntitlementSchema, e)),
    }),
    listRoute(services, {
      noun: "grants",
      operationId: "listGrants",
      summary: "Grants of the latest finished sync, filtered by entitlement, principal or resource.",
      query: GrantsQuery,
      page: ResourcePage,
      filters: (query) => ({
        entitlementId: query.entitlementId,
        principal: pair(query.principalType, query.principalId, "principal"),
        resource: pair(query.resourceType, query.resourceId, "resource"),
      }),
      read: (reader, page, filters) =>
        jsonPage(reader.listGrants({ ...page, ...filters }), (g) => toProtoJson(GrantSchema, g)),
    }),
    listRoute(services, {
      noun: "access",
      operationId: "listAccess",
      summary: "What one principal can access: its grants with their entitlements and resources.",
      query: AccessQuery,
      page: AccessPage,
      filters: (query) => ({ principal: resourceId(query.principalType, query.principalId) }),
      read: (reader, page, filters, syncId) =>
        jsonPage(reader.listGrants({ ...page, ...filters }), (grant) => {
          const entitlement = grant.entitlement ? reader.getEntitlement(grant.entitlement.id, syncId) : undefined;
          const owner = grant.entitlement?.resource?.id;
          const resource = owner ? reader.getResource(owner, syncId) : undefined;
          return {
            grant: toProtoJson(GrantSchema, grant),
            entitlement: entitlement ? toProtoJson(EntitlementSchema, entitlement) : null,
            resource: resource ? toProtoJson(ResourceSchema, resource) : null,
          };
        }),
    }),
  ];
}
