/**
 * `baton-edge <plugin> --client-id … --client-secret …`: service mode. Checks
 * the credentials (a malformed one is a usage error naming its flag), connects
 * to ConductorOne and runs the task loop until SIGTERM/SIGINT, or, with
 * `--one-shot`, until the first full sync task has uploaded (`Task complete!`).
 */

import { canUseWorkFile, workDirFrom } from "../jobs/work-file.ts";
import type { Redactor } from "../log/index.ts";
import { ConfigError } from "../plugins/config.ts";
import type { Logger, PluginStateStore } from "../plugins/contract.ts";
import type { Clock } from "../upstream/clock.ts";
import { systemClock } from "../upstream/clock.ts";
import { createBatonClient } from "./client.ts";
import { parseClientId, parseClientSecret } from "./credentials.ts";
import { BATON_EDGE_VERSION, hostId } from "./hello.ts";
import { runServiceLoop } from "./runner.ts";
import type { LocalSyncDefaults, ServiceEntry } from "./tasks.ts";
import { trustedCertificates } from "./tls.ts";
import { createTokenSource, httpsFormPoster } from "./token.ts";

export const TASK_COMPLETE = "Task complete!";
const MAX_TASK_CONCURRENCY = 100;

export interface ServiceCommandOptions {
  entry: ServiceEntry;
  clientId: string;
  clientSecret: string | undefined;
  taskConcurrency: number;
  oneShot: boolean;
  provisioning: boolean;
  defaults: LocalSyncDefaults;
  env: Record<string, string | undefined>;
  log: Logger;
  redactor: Redactor;
  pluginState?: PluginStateStore;
  stdout(text: string): void;
  clock?: Clock;
  /** Aborted to stop the service; the CLI wires SIGTERM and SIGINT to it. */
  stop?: AbortSignal;
}

export async function runServiceCommand(options: ServiceCommandOptions): Promise<number> {
  const { redactor, log, env } = options;
  if (options.clientSecret === undefined || options.clientSecret === "") {
    throw new ConfigError("--client-id ($BATON_CLIENT_ID) needs --client-secret ($BATON_CLIENT_SECRET)");
  }
  // Scrubbed from every log line and error from here on.
  redactor.add([options.clientSecret]);
  const concurrency = options.taskConcurrency;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_TASK_CONCURRENCY) {
    throw new ConfigError("invalid value for --task-concurrency ($BATON_TASK_CONCURRENCY): must be 1 to 100");
  }
  const client = parseClientId(options.clientId);
  const secret = await parseClientSecret(options.clientSecret);
  redactor.add(secret.sensitive);
  const host = env.BATON_C1_API_HOST || client.tokenHost;
  const ca = trustedCertificates(env);
  const clock = options.clock ?? systemClock;
  const tokens = createTokenSource({
    client,
    key: secret.key,
    host,
    post: httpsFormPoster(ca),
    now: clock.now,
    onToken: (token) => redactor.add([token.value]),
  });
  const baton = createBatonClient({
    address: host,
    ca,
    tokens,
    userAgent: `${client.clientName} baton-edge/${BATON_EDGE_VERSION}`,
    hostId: hostId(env),
    clock,
    onUploadRetry: (attempt, error) =>
      log.warn("upload failed; retrying", { attempt, error: error instanceof Error ? error.message : String(error) }),
  });
  const stop = options.stop ?? new AbortController().signal;
  log.info("service mode starting", {
    plugin: options.entry.plugin.name,
    host,
    hostId: baton.hostId,
    taskConcurrency: options.oneShot ? 1 : concurrency,
    oneShot: options.oneShot,
    provisioning: options.provisioning,
  });
  try {
    const result = await runServiceLoop({
      client: baton,
      host,
      concurrency,
      clock,
      stop,
      log,
      redactor,
      oneShot: options.oneShot,
      onSyncComplete: () => options.stdout(`${TASK_COMPLETE}\n`),
      ctx: {
        entry: options.entry,
        client: baton,
        log,
        redactor,
        clock,
        provisioning: options.provisioning,
        defaults: options.defaults,
        pluginState: options.pluginState,
        workDir: (await canUseWorkFile()) ? await workDirFrom(env) : undefined,
      },
    });
    log.info("service mode stopped", { syncsCompleted: result.syncsCompleted, stopped: stop.aborted });
    return 0;
  } finally {
    baton.close();
  }
}

/** An AbortSignal aborted by the first SIGTERM or SIGINT; `dispose` removes the handlers. */
export function shutdownSignal(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  // An AbortError, so running tasks report Canceled, as Go's cancelled context does.
  const onSignal = (name: string) => () => controller.abort(new DOMException(`${name} received`, "AbortError"));
  const term = onSignal("SIGTERM");
  const int = onSignal("SIGINT");
  process.once("SIGTERM", term);
  process.once("SIGINT", int);
  return {
    signal: controller.signal,
    dispose() {
      process.off("SIGTERM", term);
      process.off("SIGINT", int);
    },
  };
}
