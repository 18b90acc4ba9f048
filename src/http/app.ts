/**
 * The HTTP API as one Hono app. Only standard Web APIs here: the same app runs
 * on Node, Bun, Deno and Workers; src/runtime/* supply the entry points and
 * the state store (a data directory where there is a filesystem).
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import { mountExplorer } from "../explorer/routes.ts";
import { consoleSink, createLogger, createRedactor, type LogSink } from "../log/index.ts";
import type { PluginLoadFailure } from "../plugins/contract.ts";
import { secretValues } from "../plugins/secrets.ts";
import type { Clock } from "../sync/types.ts";
import { systemClock } from "../upstream/clock.ts";
import { type AuthSettings, checkAuthSettings, createVerifier, type Verifier } from "./auth/jwt.ts";
import { createAuthenticator, requireScope } from "./auth/middleware.ts";
import { createIdempotency } from "./idempotency.ts";
import { openApiDocument } from "./openapi.ts";
import { HttpProblem, problemBody, problemResponse } from "./problem.ts";
import { httpReviewSource } from "./review-source.ts";
import { type AnyRoute, type AppEnv, mountRoute } from "./route.ts";
import { metaRoutes } from "./routes/meta.ts";
import { provisionRoutes, storableReply } from "./routes/provision.ts";
import { readRoutes } from "./routes/reads.ts";
import { exportDownload, reviewProblem, reviewRoutes } from "./routes/review.ts";
import { syncRoutes } from "./routes/syncs.ts";
import { type AppServices, type ConnectorEntry, connectorLookup } from "./services.ts";
import { Snapshots } from "./snapshots.ts";
import { createMemoryStateStore } from "./state/memory.ts";
import type { SyncStateStore } from "./state/store.ts";
import { SyncManager } from "./syncs/manager.ts";
import type { SyncRunner } from "./syncs/runner.ts";

export type { AuthSettings, ConnectorEntry, SyncStateStore };

export interface AppOptions {
  connectors: ConnectorEntry[];
  /** Plugins that failed to load, reported by /v1/connectors and /readyz. */
  loadFailures?: PluginLoadFailure[];
  /** Required: JWT settings, or `{ mode: "off" }` said explicitly (then bind to loopback only). */
  auth: AuthSettings;
  /** Defaults to memory (lost on restart); Node/Bun/Deno pass `createFsStateStore(dataDir)`. */
  state?: SyncStateStore;
  clock?: Clock;
  log?: LogSink;
  /** Request bodies larger than this get a 413; default 1 MiB. */
  bodyLimitBytes?: number;
  /** c1z files kept per connector; default 3. */
  keepC1z?: number;
  /**
   * With a state store that keeps checkpoints (a data directory): minimum time
   * between two saves of a running sync's c1z, from which a restart resumes it; default 30 s.
   */
  checkpointSaveIntervalMs?: number;
  idempotencyTtlMs?: number;
  /**
   * Runs the syncs elsewhere (Workers: the connector Durable Objects) instead of
   * a `SyncManager` in this process; the reads then look up the latest sync on
   * every request, since it can finish outside this process.
   */
  syncs?: SyncRunner;
  /** The fetch used for a JWKS URL. */
  fetch?: typeof fetch;
  version?: string;
}

const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
};

export function createApp(options: AppOptions): Hono<AppEnv> {
  return createAppWithServices(options).app;
}

/** The app and what it runs on (tests look at the services; runtimes only need the app). */
export function createAppWithServices(options: AppOptions): { app: Hono<AppEnv>; services: AppServices } {
  if (!options.auth) throw new Error("createApp: auth settings are required (use { mode: 'off' } to turn auth off)");
  checkAuthSettings(options.auth);
  const clock = options.clock ?? systemClock;
  const connectors = new Map<string, ConnectorEntry>();
  for (const entry of options.connectors) {
    if (connectors.has(entry.name)) throw new Error(`createApp: two connectors are named ${entry.name}`);
    connectors.set(entry.name, entry);
  }
  const log = createLogger({
    sink: options.log ?? consoleSink,
    now: clock.now,
    redactor: createRedactor([
      ...options.connectors.flatMap((entry) => secretValues(entry.plugin, entry.config)),
      ...(options.auth.mode === "jwt" && options.auth.hsSecret ? [options.auth.hsSecret] : []),
    ]),
  });
  const { redactor } = log;
  const state = options.state ?? createMemoryStateStore();

  let verifier: Promise<Verifier> | undefined;
  if (options.auth.mode === "jwt") {
    verifier = createVerifier(options.auth, { now: clock.now, fetch: options.fetch });
  } else {
    log.warn("auth is OFF: every request is trusted; serve on loopback only");
  }

  const snapshots = new Snapshots(state, { checkLatest: options.syncs !== undefined });
  const services: AppServices = {
    connectors,
    loadFailures: options.loadFailures ?? [],
    connector: connectorLookup(connectors),
    state,
    syncs:
      options.syncs ??
      new SyncManager(
        {
          state,
          clock,
          log,
          keepC1z: options.keepC1z,
          checkpointSaveIntervalMs: options.checkpointSaveIntervalMs,
          onSucceeded: (name) => snapshots.invalidate(name),
        },
        [...connectors.values()],
      ),
    snapshots,
    idempotency: createIdempotency(state, clock.now, { ttlMs: options.idempotencyTtlMs, storable: storableReply }),
    auth: createAuthenticator(options.auth, verifier),
    redactor,
    log,
    clock,
  };

  const app = new Hono<AppEnv>();
  app.use(requestId({ headerName: "X-Request-Id" }));
  app.use(async (c, next) => {
    const requestLog = log.child({ requestId: c.get("requestId") });
    c.set("log", requestLog);
    const started = clock.now();
    await next();
    // Responses built outside c.json (problems, files, pages) get the same headers.
    const headers = { ...SECURITY_HEADERS, "x-request-id": c.get("requestId") };
    for (const [name, value] of Object.entries(headers)) {
      if (!c.res.headers.has(name)) c.res.headers.set(name, value);
    }
    requestLog.info("request", {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      durationMs: clock.now() - started,
    });
  });
  app.use(
    bodyLimit({
      maxSize: options.bodyLimitBytes ?? 1024 * 1024,
      onError: () => {
        throw new HttpProblem(413, "body-too-large", "Payload Too Large", "the request body is too large");
      },
    }),
  );

  let document: Record<string, unknown> | undefined;
  const reviewSource = httpReviewSource(services);
  const routes: AnyRoute[] = [
    ...metaRoutes(services, () => document!),
    ...syncRoutes(services),
    ...readRoutes(services),
    ...provisionRoutes(services),
    ...reviewRoutes(reviewSource),
  ];
  document = openApiDocument(routes, { title: "baton-edge", version: options.version ?? "0.1.0" });
  for (const spec of routes) mountRoute(app, spec, services);
  // The web explorer at /ui: the same sync:read bearer auth as the API.
  mountExplorer(app, {
    source: reviewSource,
    auth: options.auth.mode === "jwt",
    authorize: async (c) => {
      requireScope(await services.auth.authenticate(c.req.header("authorization")), "sync:read");
    },
    exportResponse: (name, id, format) => exportDownload(reviewSource, name, id, format),
    problem: reviewProblem,
  });

  app.notFound((c) =>
    problemResponse(
      problemBody(
        new HttpProblem(404, "not-found", "Not Found", `no route for ${c.req.method} ${c.req.path}`),
        c.req.path,
        redactor.redact,
      ),
    ),
  );
  app.onError((error, c) => {
    if (error instanceof HttpProblem) {
      return problemResponse(problemBody(error, c.req.path, redactor.redact), error.headers);
    }
    c.get("log")?.error("unhandled error", { error: error.message, name: error.name });
    const internal = new HttpProblem(
      500,
      "internal",
      "Internal Server Error",
      `internal error (request ${c.get("requestId")})`,
    );
    return problemResponse(problemBody(internal, c.req.path, redactor.redact));
  });
  return { app, services };
}
