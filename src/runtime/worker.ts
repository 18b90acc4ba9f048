/**
 * Cloudflare Workers entry: the HTTP API (fetch) and the cron sync (scheduled).
 * Everything heavy (plugins, the app, sql.js's wasm) is built on first use,
 * not at global scope, which has a 1 s startup limit.
 *
 * With the `SYNCS` Durable Object binding (wrangler.toml), syncs run in the
 * connector objects (src/workers/), step by step across invocations, and the
 * API's records and locks live there. Without it, a cron sync must fit in
 * one invocation and the API keeps its state in the isolate.
 */
import type { Hono } from "hono";
import { createApp } from "../http/app.ts";
import type { AppEnv } from "../http/route.ts";
import { cronRedactor, runScheduledSyncs, stringEnv } from "../jobs/cron.ts";
import { locationCheckpoints } from "../jobs/location-checkpoints.ts";
import { consoleSink, createLogger } from "../log/index.ts";
import type { AnyPlugin } from "../plugins/contract.ts";
import { connectorsFromRegistry } from "../registry/connectors.ts";
import { plugins } from "../workers/connectors.ts";
import { startScheduledSyncs } from "../workers/cron.ts";
import { createDurableStateStore } from "../workers/http-state.ts";
import { durableSyncRunner } from "../workers/http-syncs.ts";
import { type ExecutionContextLike, isDurableObjectNamespace } from "../workers/platform.ts";
import { type ConnectorObjects, SYNCS_BINDING } from "../workers/stubs.ts";
import { authSettingsFromEnv, type EnvLike } from "./settings.ts";

export { ConnectorSyncObject } from "../workers/connector-object.ts";

interface ScheduledControllerLike {
  cron: string;
  scheduledTime: number;
}

let app: Hono<AppEnv> | undefined;
const log = createLogger({ sink: consoleSink });

function syncObjects(env: EnvLike): ConnectorObjects | undefined {
  const binding = env[SYNCS_BINDING];
  return isDurableObjectNamespace(binding) ? (binding as ConnectorObjects) : undefined;
}

/** With auth off a Worker cannot bind to loopback, so it answers only requests addressed to loopback (`wrangler dev`). */
export function refusesWithAuthOff(env: EnvLike, url: URL): boolean {
  return authSettingsFromEnv(env).mode === "off" && !["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
}

async function appFor(env: EnvLike): Promise<Hono<AppEnv>> {
  if (app) return app;
  const loaded = await plugins();
  const { connectors, failures } = connectorsFromRegistry(loaded, env);
  const objects = syncObjects(env);
  // Workers have no loopback to fall back to: auth off is allowed only for `wrangler dev`-style local use,
  // and createApp itself logs the warning.
  app = createApp({
    connectors,
    loadFailures: failures,
    auth: authSettingsFromEnv(env),
    ...(objects && { state: createDurableStateStore(objects), syncs: durableSyncRunner(objects) }),
  });
  return app;
}

export default {
  async fetch(request: Request, env: EnvLike, ctx: ExecutionContextLike): Promise<Response> {
    try {
      if (refusesWithAuthOff(env, new URL(request.url))) {
        return Response.json(
          {
            type: "about:blank",
            title: "Forbidden",
            status: 403,
            detail:
              "API auth is off (BATON_AUTH=off): only local requests are served; configure BATON_AUTH_* to deploy",
          },
          { status: 403, headers: { "content-type": "application/problem+json" } },
        );
      }
      return await (await appFor(env)).fetch(request, env, ctx as never);
    } catch (error) {
      log.error("worker failed to start", { error: error instanceof Error ? error.message : String(error) });
      return Response.json(
        {
          type: "about:blank",
          title: "Service Unavailable",
          status: 503,
          detail: "the server is misconfigured; see the logs",
        },
        { status: 503, headers: { "content-type": "application/problem+json" } },
      );
    }
  },

  async scheduled(controller: ScheduledControllerLike, env: EnvLike, ctx: ExecutionContextLike): Promise<void> {
    // One redactor for the run: cron adds each plugin's secret config as it resolves it.
    const redactor = cronRedactor(env);
    const cronLog = createLogger({ sink: consoleSink, redactor });
    const objects = syncObjects(env);
    const run = (async () => {
      cronLog.info("cron: run started", { cron: controller.cron, scheduledTime: controller.scheduledTime });
      if (objects) {
        const started = await startScheduledSyncs(env, objects, cronLog, redactor);
        cronLog.info("cron: run finished", { started });
        return;
      }
      const loaded = await plugins();
      const byName = new Map<string, AnyPlugin>(loaded.plugins.map((p) => [p.name, p.plugin]));
      const template = typeof env.BATON_CHECKPOINT_LOCATION === "string" ? env.BATON_CHECKPOINT_LOCATION : "";
      const checkpoints = template ? locationCheckpoints(template, { env: stringEnv(env), bindings: env }) : undefined;
      const outcomes = await runScheduledSyncs({
        env,
        plugin: async (name) => byName.get(name),
        log: cronLog,
        checkpoints,
        redactor,
      });
      cronLog.info("cron: run finished", { outcomes });
    })().catch((error: unknown) => {
      // What reaches the platform's log must be scrubbed too.
      const message = redactor.redact(error instanceof Error ? error.message : String(error));
      cronLog.error("cron: run failed", { error: message });
      throw new Error(message);
    });
    ctx.waitUntil(run);
    await run;
  },
};
