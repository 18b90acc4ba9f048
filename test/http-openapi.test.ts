/**
 * The OpenAPI document: valid per an independent OpenAPI 3.1 validator, one
 * operation for every route the app registered (and no more), and real
 * responses that match the schemas it documents.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import { beforeAll, describe, expect, it } from "vitest";
import demo from "../plugins/demo/index.ts";
import { createApp } from "../src/http/app.ts";
import { json, parseSse } from "./http-support.ts";

type Operation = {
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
  parameters: { name: string; in: string }[];
  requestBody?: unknown;
  security: Record<string, string[]>[];
};
type Doc = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: object } };

const app = createApp({
  connectors: [
    { name: "demo", plugin: demo, config: { users: 6, groups: 2, grants: 8, pageSize: 50 }, provisioning: true },
  ],
  auth: { mode: "off" },
  log: () => {},
});
let doc: Doc;

beforeAll(async () => {
  const response = await app.request("/openapi.json");
  expect(response.status).toBe(200);
  doc = (await response.json()) as Doc;
});

describe("the OpenAPI document", () => {
  it("validates as OpenAPI 3.1", async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc) as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("holds only valid JSON Schema 2020-12 (which the OpenAPI validator does not look into)", () => {
    const ajv = new Ajv2020({ strict: false });
    const schemas: object[] = [];
    const collect = (node: unknown) => {
      if (!node || typeof node !== "object") return;
      for (const [key, value] of Object.entries(node)) {
        if (key === "schema" && value && typeof value === "object") schemas.push(value);
        else collect(value);
      }
    };
    collect(doc.paths);
    schemas.push(...Object.values(doc.components.schemas));
    expect(schemas.length).toBeGreaterThan(50);
    for (const schema of schemas) {
      expect(ajv.validateSchema(schema), JSON.stringify(schema).slice(0, 200)).toBe(true);
    }
  });

  it("documents exactly the routes the app registered", () => {
    const registered = new Set(
      app.routes
        // The web explorer (HTML pages under /ui) is not part of the API.
        .filter((r) => r.method !== "ALL" && r.path !== "/ui" && !r.path.startsWith("/ui/"))
        .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}")}`),
    );
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m} ${path}`)),
    );
    expect([...documented].sort()).toEqual([...registered].sort());
    // The list of routes, written out by hand.
    for (const expected of [
      "get /healthz",
      "get /readyz",
      "get /v1/connectors",
      "post /v1/connectors/{name}/syncs",
      "get /v1/connectors/{name}/syncs",
      "get /v1/connectors/{name}/syncs/{id}",
      "get /v1/connectors/{name}/syncs/{id}/events",
      "get /v1/connectors/{name}/syncs/{id}/c1z",
      "post /v1/connectors/{name}/grants",
      "delete /v1/connectors/{name}/grants/{grantId}",
      "post /v1/connectors/{name}/accounts",
      "post /v1/connectors/{name}/credentials/rotate",
      "delete /v1/connectors/{name}/resources/{type}/{id}",
      "get /v1/connectors/{name}/actions",
      "post /v1/connectors/{name}/actions/{action}",
      "get /v1/connectors/{name}/resources",
      "get /v1/connectors/{name}/entitlements",
      "get /v1/connectors/{name}/grants",
      "get /v1/connectors/{name}/access",
      "get /v1/connectors/{name}/diff",
      "get /v1/connectors/{name}/syncs/{id}/export.xlsx",
      "get /v1/connectors/{name}/syncs/{id}/export.csv",
      "get /openapi.json",
      "get /docs",
    ]) {
      expect(documented).toContain(expected);
    }
  });

  it("declares every path parameter, the bearer scopes and the problem responses", () => {
    for (const [path, methods] of Object.entries(doc.paths)) {
      const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const [method, op] of Object.entries(methods)) {
        expect(op.parameters.filter((p) => p.in === "path").map((p) => p.name)).toEqual(names);
        if (path.startsWith("/v1/")) {
          expect(op.security.length, `${method} ${path}`).toBe(1);
          expect(op.responses["401"]).toBeDefined();
          expect(op.responses["403"]).toBeDefined();
          expect(Object.keys(op.responses["401"].content ?? {})).toEqual(["application/problem+json"]);
        } else {
          expect(op.security).toEqual([]);
        }
      }
    }
    expect(doc.paths["/v1/connectors/{name}/grants"].post.parameters.map((p) => p.name)).toContain("Idempotency-Key");
  });

  it("describes the responses the app really sends", async () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    ajv.addSchema({ $id: "components", ...doc.components }, "components");
    const check = async (path: string, method: string, response: Response, template = path) => {
      const op = doc.paths[template][method];
      const documented = op.responses[String(response.status)];
      expect(documented, `${method} ${path} ${response.status}`).toBeDefined();
      const type = (response.headers.get("content-type") ?? "").split(";")[0];
      const schema = documented.content?.[type]?.schema;
      expect(schema, `${method} ${path} ${type}`).toBeDefined();
      if (type.endsWith("json")) {
        const body = await response.json();
        const fixed = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"components#/'));
        const valid = ajv.validate(fixed, body);
        expect(ajv.errors ?? [], `${method} ${path}`).toEqual([]);
        expect(valid).toBe(true);
      }
    };
    const started = await app.request("/v1/connectors/demo/syncs", json({ skipExpansion: false }));
    const { location } = (await started.clone().json()) as { location: string };
    await check("/v1/connectors/demo/syncs", "post", started, "/v1/connectors/{name}/syncs");
    parseSse(await (await app.request(`${location}/events`)).text());
    const id = location.split("/").at(-1)!;
    await check(location, "get", await app.request(location), "/v1/connectors/{name}/syncs/{id}");
    await check(
      "/v1/connectors/demo/syncs",
      "get",
      await app.request("/v1/connectors/demo/syncs"),
      "/v1/connectors/{name}/syncs",
    );
    await check(`${location}/c1z`, "get", await app.request(`${location}/c1z`), "/v1/connectors/{name}/syncs/{id}/c1z");
    await check("/v1/connectors", "get", await app.request("/v1/connectors"));
    await check("/healthz", "get", await app.request("/healthz"));
    await check("/readyz", "get", await app.request("/readyz"));
    for (const read of ["resources", "entitlements", "grants"]) {
      const path = `/v1/connectors/demo/${read}`;
      await check(path, "get", await app.request(path), `/v1/connectors/{name}/${read}`);
    }
    const access = "/v1/connectors/demo/access?principalType=user&principalId=u-0001";
    await check(access, "get", await app.request(access), "/v1/connectors/{name}/access");
    await check(
      "/v1/connectors/demo/actions",
      "get",
      await app.request("/v1/connectors/demo/actions"),
      "/v1/connectors/{name}/actions",
    );
    const actionTemplate = "/v1/connectors/{name}/actions/{action}";
    for (const [args, status] of [
      [{ userId: "u-0002" }, 200],
      [{ userId: 5 }, 422],
      [{ userId: "u-9999" }, 502],
    ] as const) {
      const invoked = await app.request("/v1/connectors/demo/actions/lock_user", json({ args }));
      expect(invoked.status).toBe(status);
      await check("/v1/connectors/demo/actions/lock_user", "post", invoked, actionTemplate);
    }
    const missing = `/v1/connectors/demo/syncs/${id}x`;
    await check(missing, "get", await app.request(missing), "/v1/connectors/{name}/syncs/{id}");
    const docs = await app.request("/docs");
    await check("/docs", "get", docs);

    const diffTemplate = "/v1/connectors/{name}/diff";
    await check("/v1/connectors/demo/diff", "get", await app.request("/v1/connectors/demo/diff"), diffTemplate);
    const second = await app.request("/v1/connectors/demo/syncs", json({}));
    const next = ((await second.json()) as { location: string }).location;
    parseSse(await (await app.request(`${next}/events`)).text());
    await check("/v1/connectors/demo/diff", "get", await app.request("/v1/connectors/demo/diff"), diffTemplate);
    const badToken = "/v1/connectors/demo/diff?pageToken=zz";
    await check(badToken, "get", await app.request(badToken), diffTemplate);
    for (const format of ["xlsx", "csv"]) {
      const path = `${location}/export.${format}`;
      const response = await app.request(path);
      expect(response.headers.get("content-disposition")).toMatch(
        new RegExp(`^attachment; filename="demo-${id}\\.${format}"`),
      );
      await check(path, "get", response, `/v1/connectors/{name}/syncs/{id}/export.${format}`);
      await response.arrayBuffer();
    }
  });

  it("the docs page lists every documented operation", async () => {
    const html = await (await app.request("/docs")).text();
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const method of Object.keys(methods)) {
        expect(html).toContain(`<td><code>${method.toUpperCase()}</code></td><td><code>${path}</code></td>`);
      }
    }
  });
});

describe("src/http uses only standard Web APIs", () => {
  it("imports no node: module outside the data-directory store", () => {
    const root = join(import.meta.dirname, "../src/http");
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (name.endsWith(".ts")) files.push(path);
      }
    };
    walk(root);
    const offenders = files
      .filter((file) => !file.endsWith(join("state", "fs.ts")))
      .filter((file) => /from\s+["'](node:|fs|path|os|http|crypto)["']/.test(readFileSync(file, "utf8")));
    expect(files.length).toBeGreaterThan(10);
    expect(offenders).toEqual([]);
    const importers = files.filter((file) => /state\/fs\.ts/.test(readFileSync(file, "utf8")));
    expect(importers).toEqual([]);
  });
});
