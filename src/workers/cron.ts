/**
 * The cron trigger on Workers with Durable Objects: it only starts syncs. Each
 * connector in `BATON_CONNECTORS` whose settings check out is handed to its
 * object, which runs the sync in steps (one per alarm) and uploads it; a
 * connector whose previous sync is still going is left to finish it.
 */
import { parseConnectorJobs } from "../jobs/connectors.ts";
import type { Logger, Redactor } from "../log/index.ts";
import { parseDestination } from "../upload/index.ts";
import { stepConnector } from "./connectors.ts";
import { type ConnectorObjects, connectorObject } from "./stubs.ts";

export type CronStart =
  | { connector: string; status: "started"; syncId: string }
  | { connector: string; status: "running"; syncId: string }
  | { connector: string; status: "failed"; error: string };

export async function startScheduledSyncs(
  env: Record<string, unknown>,
  namespace: ConnectorObjects,
  log: Logger,
  redactor: Redactor,
): Promise<CronStart[]> {
  const jobs = parseConnectorJobs(env);
  if (jobs.length === 0) log.warn("cron: BATON_CONNECTORS lists no connectors; nothing to sync");
  const outcomes: CronStart[] = [];
  for (const job of jobs) {
    try {
      // Settings errors are not worth retrying: check them before a sync is started.
      parseDestination(job.destination);
      await stepConnector(env, "cron", job.name);
      const reply = await connectorObject(namespace, job.name).startSync({ connector: job.name, trigger: "cron" });
      if (reply.started) {
        log.info(`cron: connector ${job.name} sync started`, { connector: job.name, syncId: reply.record.id });
        outcomes.push({ connector: job.name, status: "started", syncId: reply.record.id });
      } else {
        log.info(`cron: connector ${job.name} is still syncing; left to finish`, {
          connector: job.name,
          syncId: reply.running.id,
        });
        outcomes.push({ connector: job.name, status: "running", syncId: reply.running.id });
      }
    } catch (error) {
      const message = redactor.redact(error instanceof Error ? error.message : String(error));
      log.error(`cron: connector ${job.name} failed: ${message}`, { connector: job.name });
      outcomes.push({ connector: job.name, status: "failed", error: message });
    }
  }
  return outcomes;
}
