/**
 * Cloudflare Workers entry: the HTTP API (fetch) and the cron sync (scheduled).
 * Everything heavy (plugins, the app, sql.js's wasm) is built on first use,
 * not at global scope, which has a 1 s startup limit.
 */
import type { Hono } from "hono";
import { createApp } from "../http/app.ts";
import type { AppEnv } from "../http/route.ts";
import { cronRedactor, runScheduledSyncs, stringEnv } from "../jobs/cron.ts";
import { locationCheckpoints } from "../jobs/location-checkpoints.ts";
import { consoleSink, createLogger } from "../log/index.ts";
import type { AnyPlugin, PluginRegistry } from "../plugins/contract.ts";
import { staticRegistry } from "../registry/static-registry.ts";
import { authSettingsFromEnv, connectorsFromRegistry, type EnvLike } from "./settings.ts";

interface ExecutionContextLike {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException?(): void;
}

interface ScheduledControllerLike {
  cron: string;
  scheduledTime: number;
}

let registry: Promise<PluginRegistry> | undefined;
let app: Hono<AppEnv> | undefined;

function plugins(): Promise<PluginRegistry> {
  registry ??= staticRegistry();
  return registry;
}

/** With auth off a Worker cannot bind to loopback, so it answers only requests addressed to loopback (`wrangler dev`). */
export function refusesWithAuthOff(env: EnvLike, url: URL): boolean {
  return authSettingsFromEnv(env).mode === "off" && !["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
}

async function appFor(env: EnvLike): Promise<Hono<AppEnv>> {
  if (app) return app;
  const loaded = await plugins();
  const { connectors, failures } = connectorsFromRegistry(loaded, env);
  // Workers have no loopback to fall back to: auth off is allowed only for `wrangler dev`-style local use,
  // and createApp itself logs the warning.
  app = createApp({ connectors, loadFailures: failures, auth: authSettingsFromEnv(env) });
  return app;
}

const log = createLogger({ sink: consoleSink });

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
    const run = (async () => {
      const loaded = await plugins();
      const byName = new Map<string, AnyPlugin>(loaded.plugins.map((p) => [p.name, p.plugin]));
      cronLog.info("cron: run started", { cron: controller.cron, scheduledTime: controller.scheduledTime });
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
