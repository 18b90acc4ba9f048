/**
 * Plugin actions (Baton's global actions): their schemas, and one invocation.
 * Invoking needs the `provision` scope and the connector's provisioning enabled,
 * like the other one-shot operations, and honours an Idempotency-Key.
 */
import * as v from "valibot";
import { actionSchemas } from "../../provision/actions.ts";
import { provisioner } from "../provisioning.ts";
import { type AnyRoute, route } from "../route.ts";
import { ConnectorName, ConnectorParams } from "../schemas.ts";
import type { AppServices } from "../services.ts";

const JsonObject = v.record(v.string(), v.unknown());

export const ActionParams = v.object({
  name: ConnectorName,
  action: v.pipe(
    v.string(),
    v.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "an action name is letters, digits, '.', '-' or '_'"),
    v.description("The action's name, as listed by GET /v1/connectors/{name}/actions."),
  ),
});

export const ActionSchemaList = v.object({
  actions: v.array(
    v.object({
      name: v.string(),
      displayName: v.optional(v.string()),
      description: v.optional(v.string()),
      args: v.pipe(JsonObject, v.description("JSON Schema (2020-12) of the action's arguments.")),
    }),
  ),
});

export const ActionBody = v.object({
  args: v.pipe(
    v.optional(JsonObject, {}),
    v.description("The action's arguments, checked against its schema; default {}."),
  ),
});

export const ActionResult = v.object({
  action: v.string(),
  status: v.pipe(v.picklist(["complete"]), v.description("Baton's terminal status; a failed action is a problem.")),
  response: v.pipe(JsonObject, v.description("What the action returned.")),
});

export function actionRoutes(services: AppServices): AnyRoute[] {
  return [
    route({
      method: "get",
      path: "/v1/connectors/{name}/actions",
      operationId: "listActions",
      summary: "The connector's actions and the JSON Schema of their arguments.",
      tag: "actions",
      scope: "sync:read",
      params: ConnectorParams,
      responses: { 200: { description: "The actions, in declaration order", schema: ActionSchemaList } },
      handler: async (_c, { params }) => {
        const entry = services.connector(params.name);
        return { status: 200, body: { actions: actionSchemas(entry.plugin) } };
      },
    }),
    route({
      method: "post",
      path: "/v1/connectors/{name}/actions/{action}",
      operationId: "invokeAction",
      summary: "Invoke an action and wait for its result.",
      tag: "actions",
      scope: "provision",
      provisioning: true,
      idempotent: true,
      params: ActionParams,
      body: ActionBody,
      responses: {
        200: { description: "The action completed", schema: ActionResult },
        403: { description: "Missing scope, or provisioning not enabled for this connector" },
        404: { description: "No such connector or action" },
        422: { description: "The arguments do not match the action's schema" },
        502: { description: "The action failed" },
      },
      handler: async (_c, { params, body, log }) => {
        const entry = services.connector(params.name);
        const outcome = await provisioner(services, entry, log).invokeAction(params.action, body.args);
        log.info("action complete", { connector: entry.name, action: params.action });
        return { status: 200, body: outcome };
      },
    }),
  ];
}
