/**
 * One cron run: sync every configured connector and upload its c1z. The
 * connectors run one after another (a Worker isolate has 128 MB, and there each
 * sync holds its database in memory). One failure is logged and the rest still run.
 *
 * Where a native file engine is (Node, Bun, Deno), each sync runs through a work
 * file in `BATON_WORK_DIR` (`<work dir>/cron/<connector>.work.db`) and its c1z is
 * streamed from it to the destination, so memory stays bounded. The work file is
 * the connector's local checkpoint: a run that stops, fails or is killed leaves it,
 * and the next run resumes the unfinished sync from it.
 *
 * A sync that does not finish within the run's budget is aborted at its next
 * checkpoint: nothing is uploaded, so the destination keeps its last good c1z,
 * and the unfinished c1z (its `sync_token` says where to resume) goes to the
 * `CheckpointSink`, the seam for continuing it in a later invocation.
 */

import { join } from "node:path";
import { createRedactor, type Logger, type Redactor, redactingLogger } from "../log/index.ts";
import { resolveConfig } from "../plugins/config.ts";
import type { AnyPlugin } from "../plugins/contract.ts";
import { environmentSecretValues, secretValues } from "../plugins/secrets.ts";
import { expandKeyTemplate, inlineCredentialValues, parseDestination } from "../upload/index.ts";
import { checkpointsIn, type CheckpointSink as SyncCheckpointSink } from "./checkpoints.ts";
import { type ConnectorJob, jobConfig, parseConnectorJobs } from "./connectors.ts";
import { locationDestination } from "./destinations.ts";
import { runConnectorSync } from "./pipeline.ts";
import { c1zBytesSource } from "./stores.ts";
import type { CheckpointStore } from "./types.ts";
import { abortLeftoverUpload, uploadNotes } from "./upload-notes.ts";
import { canUseWorkFile, workDirFrom, workFileSync } from "./work-file.ts";

/** Where an unfinished sync is kept between invocations, one per connector. */
export type CheckpointSink = SyncCheckpointSink<ConnectorJob>;

export interface CronOptions {
  env: Record<string, unknown>;
  /** Looks a plugin up by name (the generated registry on Workers). */
  plugin(name: string): Promise<AnyPlugin | undefined>;
  log: Logger;
  /** Wall time for the whole run; the platform allows 15 min for a cron invocation. */
  budgetMs?: number;
  checkpoints?: CheckpointSink;
  now?: () => number;
  /** Test hook: a signal that ends the run early, as the budget does. */
  signal?: AbortSignal;
  /** Scrubs logs and outcomes; defaults to `cronRedactor(env)`. Each plugin's secret config is added to it. */
  redactor?: Redactor;
  /** Where work files go (file engines only); defaults to `workDirFrom(env)`. */
  workDir?: string;
}

export type JobOutcome =
  | { connector: string; status: "uploaded"; syncId: string; destination: string; bytes: number; sha256?: string }
  | { connector: string; status: "checkpointed"; syncId?: string; reason: string }
  | { connector: string; status: "failed"; error: string };

export const DEFAULT_CRON_BUDGET_MS = 14 * 60 * 1000;

export function cronBudgetFrom(env: Record<string, unknown>): number {
  const raw = Number(env.BATON_CRON_BUDGET_MS);
  return Number.isFinite(raw) && raw >= 0 && env.BATON_CRON_BUDGET_MS !== "" ? raw : DEFAULT_CRON_BUDGET_MS;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * What a cron run must never log: every job's named secrets, inline `s3://KEY:SECRET@` credentials,
 * the `AWS_*` credentials and the auth secret. Unparseable settings add nothing (their error says why).
 */
export function cronRedactor(env: Record<string, unknown>): Redactor {
  const values: (string | undefined)[] = [...environmentSecretValues(env)];
  if (typeof env.BATON_AUTH_HS_SECRET === "string") values.push(env.BATON_AUTH_HS_SECRET);
  if (typeof env.BATON_CHECKPOINT_LOCATION === "string")
    values.push(...inlineCredentialValues(env.BATON_CHECKPOINT_LOCATION));
  let jobs: ConnectorJob[] = [];
  try {
    jobs = parseConnectorJobs(env);
  } catch {
    // runScheduledSyncs reports the same error.
  }
  for (const job of jobs) {
    for (const name of Object.values(job.secrets)) values.push(typeof env[name] === "string" ? env[name] : undefined);
    values.push(...inlineCredentialValues(job.destination));
  }
  return createRedactor(values);
}

export function stringEnv(env: Record<string, unknown>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, value] of Object.entries(env)) if (typeof value === "string") out[k] = value;
  return out;
}

export async function runScheduledSyncs(options: CronOptions): Promise<JobOutcome[]> {
  const now = options.now ?? Date.now;
  const deadline = now() + (options.budgetMs ?? cronBudgetFrom(options.env));
  const redactor = options.redactor ?? cronRedactor(options.env);
  const log = redactingLogger(options.log, redactor);
  const jobs = parseConnectorJobs(options.env);
  if (jobs.length === 0) log.warn("cron: BATON_CONNECTORS lists no connectors; nothing to sync");
  const outcomes: JobOutcome[] = [];
  for (const job of jobs) {
    const outcome = await runJob(job, deadline, { ...options, log, redactor }, now).catch(
      (error: unknown): JobOutcome => ({
        connector: job.name,
        status: "failed",
        // A plugin's error can echo its config (a DSN, a token).
        error: redactor.redact(messageOf(error)),
      }),
    );
    if (outcome.status === "checkpointed") outcome.reason = redactor.redact(outcome.reason);
    if (outcome.status === "failed") {
      log.error(`cron: connector ${job.name} failed: ${outcome.error}`, { connector: job.name });
    } else if (outcome.status === "checkpointed") {
      log.warn(
        `cron: connector ${job.name} stopped at a checkpoint: ${outcome.reason}; the destination keeps its previous c1z`,
        { connector: job.name, syncId: outcome.syncId },
      );
    } else {
      log.info(`cron: connector ${job.name} uploaded ${outcome.bytes} bytes to ${outcome.destination}`, {
        connector: job.name,
        syncId: outcome.syncId,
        sha256: outcome.sha256,
      });
    }
    outcomes.push(outcome);
  }
  return outcomes;
}

async function runJob(
  job: ConnectorJob,
  deadline: number,
  options: CronOptions & { redactor: Redactor },
  now: () => number,
): Promise<JobOutcome> {
  const plugin = await options.plugin(job.plugin);
  if (!plugin) throw new Error(`no plugin named "${job.plugin}" in this build`);
  // Validate the destination before spending a sync on it.
  parseDestination(job.destination);
  const { config } = resolveConfig(plugin, { file: jobConfig(job, options.env) });
  options.redactor.add(secretValues(plugin, config));

  const budget = new AbortController();
  const remaining = Math.max(0, deadline - now());
  const timer = setTimeout(() => budget.abort(new Error("the cron run's time budget is spent")), remaining);
  const outer = options.signal;
  const onOuter = () => budget.abort(outer?.reason ?? new Error("the cron run was cancelled"));
  outer?.addEventListener("abort", onOuter);
  if (outer?.aborted || remaining === 0) onOuter();

  const env = stringEnv(options.env);
  const sink = options.checkpoints;
  const load = async () => sink?.load(job);
  const work = (await canUseWorkFile())
    ? workFileSync(join(options.workDir ?? (await workDirFrom(options.env)), "cron", `${job.name}.work.db`), load)
    : undefined;
  // Uploads in flight are noted beside the work file (the c1z's and the checkpoint's, which may go to another
  // bucket); one a killed run left open is aborted before this run uploads again.
  const uploads = work && uploadNotes(`${work.workPath}.upload.json`);
  const checkpointAt = sink?.locate?.(job);
  const checkpointUploads =
    work && checkpointAt !== undefined ? uploadNotes(`${work.workPath}.checkpoint.upload.json`) : undefined;
  const kept = sink && checkpointsIn(sink, job, undefined, checkpointUploads?.hooks);
  const transfer = { env, bindings: options.env };
  const warn = (message: string) => options.log.warn(message);
  if (uploads) await abortLeftoverUpload(uploads, parseDestination(job.destination), transfer, warn, "cron");
  if (checkpointUploads && checkpointAt !== undefined) {
    await abortLeftoverUpload(checkpointUploads, parseDestination(checkpointAt), transfer, warn, "cron checkpoint");
  }
  try {
    const outcome = await runConnectorSync(
      { name: job.name, plugin, config },
      {
        store: work?.store ?? c1zBytesSource(load),
        destination: locationDestination(
          (result) =>
            expandKeyTemplate(job.destination, { connector: job.name, syncId: result.syncId, date: new Date(now()) }),
          { ...transfer, ...uploads?.hooks },
        ),
        checkpoints: work ? bothCheckpoints(work.checkpoints, kept) : kept,
        log: options.log,
        stop: budget.signal,
        // Checkpoint after every page, so a run cut short loses no finished work.
        checkpointIntervalMs: 0,
      },
    );
    if (outcome.status === "checkpointed") {
      return {
        connector: job.name,
        status: "checkpointed",
        syncId: outcome.syncId,
        reason: `${outcome.reason}${outcome.kept ? " (unfinished c1z kept for the next run)" : ""}`,
      };
    }
    return {
      connector: job.name,
      status: "uploaded",
      syncId: outcome.result.syncId,
      destination: outcome.saved.destination,
      bytes: outcome.saved.bytes,
      sha256: outcome.saved.sha256,
    };
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener("abort", onOuter);
  }
}

/** The local work file and, when configured, the checkpoint location too (it outlives this machine's disk). */
function bothCheckpoints(local: CheckpointStore, remote: CheckpointStore | undefined): CheckpointStore {
  if (!remote) return local;
  return {
    async save(store) {
      await local.save(store);
      await remote.save(store);
    },
    async clear() {
      await local.clear();
      await remote.clear();
    },
  };
}
