/**
 * The OpenAPI 3.1 document, generated from the same route declarations and
 * valibot schemas that serve and validate the requests.
 */
import { toJsonSchema } from "@valibot/to-json-schema";
import type * as v from "valibot";
import type { AnyRoute } from "./route.ts";
import { Problem } from "./schemas.ts";

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: v.GenericSchema, typeMode: "input" | "output"): JsonSchema {
  const out = toJsonSchema(schema, { target: "draft-2020-12", typeMode, errorMode: "ignore" }) as JsonSchema;
  delete out.$schema;
  return out;
}

type Entries = Record<string, v.GenericSchema & { type: string }>;

function entriesOf(schema: v.GenericSchema | undefined): Entries {
  return ((schema as { entries?: Entries } | undefined)?.entries ?? {}) as Entries;
}

const PROBLEM_REF = { $ref: "#/components/schemas/Problem" };
const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: PROBLEM_REF } },
});

function operation(spec: AnyRoute): Record<string, unknown> {
  const parameters: Record<string, unknown>[] = [];
  for (const [name, entry] of Object.entries(entriesOf(spec.params))) {
    parameters.push({ name, in: "path", required: true, schema: jsonSchema(entry, "input") });
  }
  for (const [name, entry] of Object.entries(entriesOf(spec.query))) {
    parameters.push({ name, in: "query", required: entry.type !== "optional", schema: jsonSchema(entry, "input") });
  }
  if (spec.idempotent) {
    parameters.push({
      name: "Idempotency-Key",
      in: "header",
      required: false,
      description: "Retries with the same key get the first result (kept 24 h).",
      schema: { type: "string", minLength: 1, maxLength: 255 },
    });
  }
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(spec.responses)) {
    const contentType = response.contentType ?? "application/json";
    const isProblem = Number(status) >= 400;
    responses[status] = isProblem
      ? problem(response.description)
      : {
          description: response.description,
          ...(response.schema || contentType !== "application/json"
            ? {
                content: {
                  [contentType]: {
                    schema: response.schema
                      ? jsonSchema(response.schema, "output")
                      : contentType === "application/json"
                        ? { type: "object" }
                        : { type: "string" },
                  },
                },
              }
            : { content: { "application/json": { schema: { type: "object" } } } }),
        };
  }
  const add = (status: number, description: string) => {
    responses[status] ??= problem(description);
  };
  if (spec.params || spec.query || spec.body) add(400, "Invalid parameters or body");
  if (spec.scope) {
    add(401, "Missing or invalid bearer token (see WWW-Authenticate)");
    add(403, "The token lacks the required scope");
  }
  if (spec.path.includes("{name}")) add(404, "No such connector or object");
  if (spec.body) {
    add(413, "Body too large");
    add(415, "Body is not JSON");
  }
  if (spec.idempotent) add(422, "Idempotency-Key reused with a different request");
  add(500, "Internal error (see the request id)");

  const op: Record<string, unknown> = {
    operationId: spec.operationId,
    summary: spec.summary,
    tags: [spec.tag],
    parameters,
    responses,
    security: spec.scope ? [{ bearerAuth: [spec.scope] }] : [],
  };
  if (spec.description) op.description = spec.description;
  if (spec.scope) op["x-required-scope"] = spec.scope;
  if (spec.provisioning) op["x-requires-provisioning"] = true;
  if (spec.body) {
    op.requestBody = { required: true, content: { "application/json": { schema: jsonSchema(spec.body, "input") } } };
  }
  return op;
}

export function openApiDocument(routes: readonly AnyRoute[], info: { title: string; version: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const spec of routes) {
    paths[spec.path] ??= {};
    paths[spec.path][spec.method] = operation(spec);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: info.title,
      version: info.version,
      description:
        "baton-edge: Baton-compatible connector syncs (c1z) and provisioning. " +
        "Bearer JWT with scopes sync:read, sync:write, provision. Errors are RFC 9457 problem details.",
    },
    paths,
    components: {
      schemas: { Problem: jsonSchema(Problem, "output") },
      securitySchemes: {
        bearerAuth: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description: "Scopes from the `scope` or `scp` claim: sync:read, sync:write, provision.",
        },
      },
    },
  };
}
