/** Health, readiness, the connector catalogue, and the API's own description. */

import { ResourceTypeSchema } from "../../model/types.ts";
import { capabilitiesJson } from "../../plugins/capabilities.ts";
import { configSchemaJson } from "../../plugins/config-schema.ts";
import { toProtoJson } from "../../plugins/protojson.ts";
import { docsPage } from "../docs.ts";
import { type AnyRoute, route } from "../route.ts";
import { ConnectorList, Health, Ready } from "../schemas.ts";
import type { AppServices } from "../services.ts";

export function metaRoutes(services: AppServices, openApi: () => Record<string, unknown>): AnyRoute[] {
  return [
    route({
      method: "get",
      path: "/healthz",
      operationId: "health",
      summary: "Liveness: the process answers.",
      tag: "meta",
      scope: null,
      responses: { 200: { description: "Alive", schema: Health } },
      handler: async () => ({ status: 200, body: { status: "ok" } }),
    }),
    route({
      method: "get",
      path: "/readyz",
      operationId: "ready",
      summary: "Readiness: connectors loaded and the state store answers.",
      tag: "meta",
      scope: null,
      responses: {
        200: { description: "Ready", schema: Ready },
        503: { description: "Not ready", schema: Ready },
      },
      handler: async () => {
        let ok = services.connectors.size > 0;
        try {
          await services.syncs.ready;
          await services.state.getSync("healthcheck", "readyz");
        } catch {
          ok = false;
        }
        return {
          status: ok ? 200 : 503,
          body: {
            status: ok ? "ready" : "not-ready",
            connectors: services.connectors.size,
            failures: services.loadFailures.length,
          },
        };
      },
    }),
    route({
      method: "get",
      path: "/v1/connectors",
      operationId: "listConnectors",
      summary: "Connectors: metadata, capabilities and config schema (never config values).",
      tag: "connectors",
      scope: "sync:read",
      responses: { 200: { description: "The connectors this server runs", schema: ConnectorList } },
      handler: async () => ({
        status: 200,
        body: {
          connectors: [...services.connectors.values()].map((entry) => ({
            name: entry.name,
            plugin: entry.plugin.name,
            displayName: entry.plugin.displayName,
            description: entry.plugin.description ?? "",
            version: entry.plugin.version ?? null,
            helpUrl: entry.plugin.metadata?.helpUrl ?? null,
            provisioning: entry.provisioning === true,
            capabilities: capabilitiesJson(entry.plugin),
            resourceTypes: entry.plugin.resourceTypes.map((t) => toProtoJson(ResourceTypeSchema, t.resourceType)),
            configSchema: configSchemaJson(entry.plugin),
          })),
          failures: services.loadFailures.map((f) => ({ name: f.name, reason: services.redactor.redact(f.reason) })),
        },
      }),
    }),
    route({
      method: "get",
      path: "/openapi.json",
      operationId: "openApi",
      summary: "This API as an OpenAPI 3.1 document.",
      tag: "meta",
      scope: null,
      responses: { 200: { description: "The OpenAPI document" } },
      handler: async () => ({ status: 200, body: openApi() }),
    }),
    route({
      method: "get",
      path: "/docs",
      operationId: "docs",
      summary: "A human-readable page describing every route.",
      tag: "meta",
      scope: null,
      responses: { 200: { description: "HTML", contentType: "text/html" } },
      handler: async () =>
        new Response(docsPage(openApi()), {
          headers: {
            "content-type": "text/html; charset=utf-8",
            "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'",
          },
        }),
    }),
  ];
}
