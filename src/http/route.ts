/**
 * A route is declared once, with its schemas, and that declaration is used
 * both to serve it (auth, validation, idempotency, problem errors) and to
 * describe it in the OpenAPI document.
 */
import type { Context, Hono } from "hono";
import * as v from "valibot";
import type { Logger } from "../plugins/contract.ts";
import type { Principal, Scope } from "./auth/jwt.ts";
import { requireScope } from "./auth/middleware.ts";
import { badRequest, HttpProblem } from "./problem.ts";
import type { AppServices } from "./services.ts";
import type { Reply } from "./types.ts";

export type { Reply };

export type HttpMethod = "get" | "post" | "delete";

export interface AppEnv {
  Variables: { requestId: string; log: Logger; principal: Principal };
}

export interface ResponseSpec {
  description: string;
  schema?: v.GenericSchema;
  /** Defaults to application/json. */
  contentType?: string;
}

type MaybeSchema = v.GenericSchema | undefined;
type Out<S extends MaybeSchema> = S extends v.GenericSchema ? v.InferOutput<S> : undefined;

export interface RouteInput<P extends MaybeSchema, Q extends MaybeSchema, B extends MaybeSchema> {
  params: Out<P>;
  query: Out<Q>;
  body: Out<B>;
  principal: Principal;
  log: Logger;
  requestId: string;
}

export interface RouteSpec<
  P extends MaybeSchema = MaybeSchema,
  Q extends MaybeSchema = MaybeSchema,
  B extends MaybeSchema = MaybeSchema,
> {
  method: HttpMethod;
  /** OpenAPI style: `/v1/connectors/{name}/syncs`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** `null`: public (health, readiness, the API description). */
  scope: Scope | null;
  /** Also needs the connector's provisioning enabled (Baton's `--provisioning`). */
  provisioning?: boolean;
  /** Honours an `Idempotency-Key` header. */
  idempotent?: boolean;
  params?: P;
  query?: Q;
  body?: B;
  responses: Record<number, ResponseSpec>;
  handler(c: Context<AppEnv>, input: RouteInput<P, Q, B>): Promise<Reply | Response>;
}

export type AnyRoute = RouteSpec<MaybeSchema, MaybeSchema, MaybeSchema>;

/** Declares a route with its input types inferred from the schemas. */
export function route<P extends MaybeSchema, Q extends MaybeSchema, B extends MaybeSchema>(
  spec: RouteSpec<P, Q, B>,
): AnyRoute {
  return spec as unknown as AnyRoute;
}

export function honoPath(openApiPath: string): string {
  return openApiPath.replace(/\{([A-Za-z0-9_]+)\}/g, ":$1");
}

function issuesOf(issues: readonly v.BaseIssue<unknown>[]) {
  return issues.map((issue) => ({
    path: issue.path?.map((item) => String(item.key)).join(".") ?? "",
    // The expectation, never the received value: a body may carry something sensitive.
    message: issue.expected ? `${issue.kind === "schema" ? "expected" : "must be"} ${issue.expected}` : issue.message,
  }));
}

function parseInput<S extends MaybeSchema>(schema: S, value: unknown, where: string): Out<S> {
  if (!schema) return undefined as Out<S>;
  const result = v.safeParse(schema, value);
  if (!result.success) {
    throw badRequest(
      `invalid ${where}: ${issuesOf(result.issues)
        .map((i) => `${i.path || where} ${i.message}`)
        .join("; ")}`,
      {
        issues: issuesOf(result.issues),
      },
    );
  }
  return result.output as Out<S>;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export function mountRoute(app: Hono<AppEnv>, spec: AnyRoute, services: AppServices): void {
  app.on(spec.method.toUpperCase(), honoPath(spec.path), async (c) => {
    let principal: Principal = { subject: "", scopes: new Set() };
    if (spec.scope) {
      principal = await services.auth.authenticate(c.req.header("authorization"));
      requireScope(principal, spec.scope);
      c.set("principal", principal);
    }
    const params = parseInput(spec.params, c.req.param(), "path");
    if (spec.provisioning) {
      const name = (params as { name: string }).name;
      const connector = services.connector(name);
      if (!connector.provisioning) {
        throw new HttpProblem(
          403,
          "provisioning-disabled",
          "Provisioning not enabled",
          `provisioning is not enabled for connector ${name}`,
          { extensions: { reason: "provisioning-disabled" } },
        );
      }
    }
    const query = parseInput(spec.query, c.req.query(), "query");
    let body: unknown;
    let rawBody = "";
    if (spec.body) {
      const type = c.req.header("content-type") ?? "";
      rawBody = await c.req.text();
      if (rawBody !== "" && !/^application\/([a-z.+-]*\+)?json\b/i.test(type)) {
        throw new HttpProblem(
          415,
          "unsupported-media-type",
          "Unsupported Media Type",
          "send the body as application/json",
        );
      }
      let json: unknown = {};
      if (rawBody !== "") {
        try {
          json = JSON.parse(rawBody);
        } catch {
          throw badRequest("the body is not valid JSON");
        }
      }
      body = parseInput(spec.body, json, "body");
    }
    const input = { params, query, body, principal, log: c.get("log"), requestId: c.get("requestId") };
    const run = () => spec.handler(c, input as RouteInput<MaybeSchema, MaybeSchema, MaybeSchema>);

    const key = c.req.header("idempotency-key");
    let reply: Reply | Response;
    if (spec.idempotent && key !== undefined) {
      if (!IDEMPOTENCY_KEY.test(key)) throw badRequest("Idempotency-Key must be 1-255 visible ASCII characters");
      const scopeKey = [spec.operationId, principal.subject, c.req.path, key].join("\u0000");
      const fingerprint = `${spec.method} ${c.req.path}\n${rawBody}`;
      reply = await services.idempotency.run(scopeKey, fingerprint, async () => {
        const result = await run();
        if (result instanceof Response) throw new Error("idempotent routes must reply with JSON");
        return result;
      });
    } else {
      reply = await run();
    }
    if (reply instanceof Response) return reply;
    return c.json(reply.body as object, reply.status as 200, reply.headers);
  });
}
