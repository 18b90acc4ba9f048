/**
 * One Durable Object per connector (SQLite-backed). It is the connector's
 * single place of truth on Workers: the one-sync-at-a-time lock, the sync
 * records and c1z files the HTTP API serves, idempotency records and the
 * plugin's state. It also runs the syncs, one step per alarm:
 *
 *   trigger (cron or POST …/syncs) → startSync: take the lock, set an alarm
 *   alarm → open the sync's paged database (its last commit) → run the pipeline
 *   for the step budget, committing at each checkpoint → next alarm
 *   … → the step that finishes streams the c1z out and clears the job.
 *
 * A step first sets an alarm far ahead (the lease): if its invocation dies,
 * that alarm runs the step again from the last checkpoint. Each try counts;
 * a step that fails or dies `maxAttempts` times in a row ends the sync as failed.
 */

import { DurableObject } from "#durable-object";
import type { C1zWriter } from "../c1z/store.ts";
import { type IdempotencyRecord, newSyncRecord, type SyncRecord, type SyncRequest } from "../http/state/store.ts";
import { cronRedactor, stringEnv } from "../jobs/cron.ts";
import { countsInStore, runConnectorSync } from "../jobs/pipeline.ts";
import type { SavedC1z, SyncScope } from "../jobs/types.ts";
import { consoleSink, createLogger, type Logger, type Redactor } from "../log/index.ts";
import { resourceId } from "../model/builders.ts";
import { secretValues } from "../plugins/secrets.ts";
import type { ObjectCounts, ProgressEvent } from "../sync/types.ts";
import { expandKeyTemplate } from "../upload/index.ts";
import { abortMultipartUpload } from "../upload/stream.ts";
import { type StepConnector, stepConnector } from "./connectors.ts";
import {
  type FinishedSync,
  retryDelayMs,
  type StepPolicy,
  type SyncJob,
  type SyncTrigger,
  stepPolicyFrom,
} from "./job.ts";
import type { DurableObjectState, DurableObjectStorage } from "./platform.ts";
import { pagedStepStorage, type StepStorage } from "./step-storage.ts";
import { ObjectTables } from "./tables.ts";

export interface StartSyncInput {
  connector: string;
  trigger: SyncTrigger;
  request?: SyncRequest;
  requestId?: string;
}

export type StartSyncReply = { started: true; record: SyncRecord } | { started: false; running: SyncRecord };

/** c1z files the HTTP API keeps per connector, as on the other runtimes. */
const KEEP_C1Z = 3;

const c1zBlob = (id: string) => `c1z:${id}`;

/** The counts of a sync in the store (every step's rows, not only this step's). */
function countsOf(store: C1zWriter, syncId: string | undefined): ObjectCounts {
  return syncId ? countsInStore(store, syncId) : { resourceTypes: 0, resources: 0, entitlements: 0, grants: 0 };
}

function scopeOf(request: SyncRequest): SyncScope {
  return {
    resourceTypeIds: request.resourceTypes,
    targetResources: request.targetResources?.map((r) => resourceId(r.resourceType, r.resource)),
    resourcesOnly: request.skipEntitlementsAndGrants,
    skipGrants: request.skipGrants,
    skipExpansion: request.skipExpansion,
    skipFullSync: request.skipFullSync,
    workers: request.workers,
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const iso = (ms: number) => new Date(ms).toISOString();

function newRecord(id: string, connector: string, request: SyncRequest, now: number): SyncRecord {
  return { ...newSyncRecord(id, connector, request, iso(now)), invocations: 0 };
}

/** Sorts by creation time, like the HTTP API's ids elsewhere. */
function newSyncId(now: number): string {
  return `${now.toString(36).padStart(10, "0")}-${crypto.randomUUID().replaceAll("-", "").slice(0, 14)}`;
}

export class ConnectorSyncObject extends DurableObject<Record<string, unknown>> {
  private readonly storage: DurableObjectStorage;
  private readonly vars: Record<string, unknown>;
  private readonly tables: ObjectTables;
  private readonly steps: StepStorage;

  constructor(ctx: DurableObjectState, env: Record<string, unknown>) {
    super(ctx, env);
    this.storage = ctx.storage;
    this.vars = env;
    this.tables = new ObjectTables(ctx.storage.sql);
    this.steps = pagedStepStorage(ctx.storage);
  }

  // ---- triggers ------------------------------------------------------------------------------

  /** Starts a sync unless one is in progress (then returns its record): the lock is one synchronous transaction. */
  async startSync(input: StartSyncInput): Promise<StartSyncReply> {
    const now = Date.now();
    const request = input.request ?? {};
    const record = newRecord(newSyncId(now), input.connector, request, now);
    const job: SyncJob = {
      id: record.id,
      trigger: input.trigger,
      connector: input.connector,
      request,
      requestId: input.requestId ?? "",
      stage: "sync",
      invocations: 0,
      attempts: 0,
      createdAt: now,
    };
    const running = this.storage.transactionSync(() => {
      const held = this.tables.claim(job);
      if (!held) this.tables.putRecord(record);
      return held;
    });
    if (running) {
      // A job whose alarm was lost (a local dev server restarted without it) is picked up again here.
      if ((await this.storage.getAlarm()) === null) await this.storage.setAlarm(now);
      return {
        started: false,
        running: this.tables.record(running.id) ?? newRecord(running.id, running.connector, running.request, now),
      };
    }
    await this.storage.setAlarm(now);
    return { started: true, record };
  }

  // ---- the HTTP API's state (src/workers/http-state.ts calls these over RPC) -----------------

  getSync(id: string): SyncRecord | undefined {
    return this.tables.record(id);
  }

  listSyncs(limit?: number): SyncRecord[] {
    return this.tables.records(limit);
  }

  putSync(record: SyncRecord): void {
    this.tables.putRecord(record);
  }

  c1zSize(id: string): number | undefined {
    return this.tables.blobSize(c1zBlob(id));
  }

  /** One slice of a stored c1z: RPC messages are bounded, so a large file travels in slices. */
  c1zSlice(id: string, offset: number, length: number): Uint8Array {
    return this.tables.blobSlice(c1zBlob(id), offset, length);
  }

  putC1z(id: string, bytes: Uint8Array): void {
    this.storage.transactionSync(() => this.tables.putBlob(c1zBlob(id), bytes));
  }

  deleteC1z(id: string): void {
    this.tables.deleteBlob(c1zBlob(id));
  }

  getIdempotency(key: string): IdempotencyRecord | undefined {
    return this.tables.idempotency(key);
  }

  putIdempotency(key: string, record: IdempotencyRecord): void {
    this.tables.putIdempotency(key, record);
  }

  deleteIdempotency(key: string): void {
    this.tables.deleteIdempotency(key);
  }

  getPluginState(): string | undefined {
    return this.tables.pluginState();
  }

  putPluginState(text: string): void {
    this.tables.putPluginState(text);
  }

  // ---- steps ---------------------------------------------------------------------------------

  async alarm(): Promise<void> {
    const job = this.tables.job();
    if (!job) return;
    const redactor = cronRedactor(this.vars);
    const log = createLogger({ sink: consoleSink, redactor });
    const record = this.tables.record(job.id) ?? newRecord(job.id, job.connector, job.request, job.createdAt);
    const fields = {
      connector: job.connector,
      syncId: job.id,
      trigger: job.trigger,
      ...(job.requestId && { requestId: job.requestId }),
    };
    let policy: StepPolicy;
    try {
      policy = stepPolicyFrom(this.vars);
    } catch (error) {
      await this.fail(job, record, redactor.redact(messageOf(error)), log);
      return;
    }
    if (job.attempts >= policy.maxAttempts) {
      const why = job.lastError ?? "every try was killed before it ended";
      await this.fail(job, record, `gave up after ${job.attempts} tries of step ${job.invocations}: ${why}`, log);
      return;
    }
    // A new sync starts from an empty database (c1z files hold one sync, as the cron's always did).
    if (job.invocations === 0) this.steps.reset();
    job.attempts++;
    job.invocations++;
    const now = Date.now();
    if (record.state === "queued") {
      record.state = "running";
      record.startedAt = iso(now);
    }
    record.invocations = job.invocations;
    this.storage.transactionSync(() => {
      this.tables.putJob(job);
      this.tables.putRecord(record);
    });
    // The lease: should this invocation die, this alarm runs the step again. Both it and the counted
    // try must be durable before the step's CPU-bound work starts, or a step that kills its isolate
    // every time would never use up its tries.
    await this.storage.setAlarm(now + policy.leaseMs);
    await this.storage.sync();
    log.info(`sync step ${job.invocations} started (${job.stage}, try ${job.attempts})`, fields);
    try {
      const finished =
        job.stage === "upload"
          ? await this.uploadStep(job, record, redactor, log)
          : await this.syncStep(job, record, policy, redactor, log);
      if (!finished) {
        // The step ended at a checkpoint: its tries start over.
        job.attempts = 0;
        job.lastError = undefined;
        this.tables.putJob(job);
        log.info(`sync step ${job.invocations} checkpointed`, {
          ...fields,
          invocation: job.invocations,
          phase: record.phase,
          next: job.stage,
          stepMs: Date.now() - now,
          databaseBytes: this.steps.size(),
        });
        await this.storage.setAlarm(Date.now() + policy.gapMs);
      }
    } catch (error) {
      const message = redactor.redact(messageOf(error));
      job.lastError = message;
      this.tables.putJob(job);
      log.warn(
        `sync step ${job.invocations} failed (try ${job.attempts} of ${policy.maxAttempts}): ${message}`,
        fields,
      );
      if (job.attempts >= policy.maxAttempts) {
        await this.fail(job, record, `failed ${job.attempts} times in a row: ${message}`, log);
      } else {
        await this.storage.setAlarm(Date.now() + retryDelayMs(policy, job.attempts));
      }
    }
  }

  /** One step of the engine; true when the sync finished (and was saved). */
  private async syncStep(
    job: SyncJob,
    record: SyncRecord,
    policy: StepPolicy,
    redactor: Redactor,
    log: Logger,
  ): Promise<boolean> {
    const connector = await stepConnector(this.vars, job.trigger, job.connector);
    redactor.add(secretValues(connector.entry.plugin, connector.entry.config));
    const stepStarted = Date.now();
    let uploadDeferred = false;
    const outcome = await runConnectorSync(connector.entry, {
      store: { open: () => this.steps.open() },
      checkpoints: {
        save: async (store) => {
          record.counts = countsOf(store, store.latestUnfinishedSync()?.syncId);
          this.steps.save(() => this.tables.putRecord(record));
          // Reads of this object's records (any isolate's API requests) wait while a step computes:
          // let them in at every checkpoint.
          await new Promise((resolve) => setTimeout(resolve, 0));
        },
        // The job's last transaction clears it (see finish).
        clear: async () => {},
      },
      destination: {
        save: async (store, result) => {
          // Kept first, so a failed upload is retried on its own, without syncing again.
          job.finished = {
            syncId: result.syncId,
            date: new Date().toISOString().slice(0, 10),
            counts: countsOf(store, result.syncId),
            expandedGrants: result.expandedGrants,
            warnings: result.warnings.slice(0, 100).map((w) => redactor.redact(w)),
          };
          job.stage = "upload";
          job.attempts = 0;
          this.steps.save(() => this.tables.putJob(job));
          // The sync's end work (index builds, VACUUM) is not cut by the budget: once it has used the
          // step up, the upload gets an invocation of its own (at 1M grants they were 40 s and 16 s of one).
          if (Date.now() - stepStarted >= policy.budgetMs) {
            uploadDeferred = true;
            return { destination: "(the next step)", bytes: 0 };
          }
          return this.upload(job, job.finished, connector, log);
        },
      },
      runDurationMs: policy.budgetMs,
      // A checkpoint (the token committed with the rows before it) about every second, each one a save.
      checkpointIntervalMs: 1000,
      checkpointSaveIntervalMs: 0,
      scope: scopeOf(job.request),
      log,
      onProgress: (event) => this.onProgress(record, event, redactor),
      pluginState: {
        load: async () => this.tables.pluginState(),
        save: async (text) => this.tables.putPluginState(text),
      },
    });
    if (outcome.status === "checkpointed" || uploadDeferred) return false;
    this.finish(job, record, job.finished!, outcome.saved, log);
    await this.storage.deleteAlarm();
    return true;
  }

  /** The sync finished in an earlier step and its upload failed or was cut off: upload again. */
  private async uploadStep(job: SyncJob, record: SyncRecord, redactor: Redactor, log: Logger): Promise<boolean> {
    const finished = job.finished;
    if (!finished) throw new Error("the job is at its upload but holds no finished sync");
    const connector = await stepConnector(this.vars, job.trigger, job.connector);
    redactor.add(secretValues(connector.entry.plugin, connector.entry.config));
    const saved = await this.upload(job, finished, connector, log);
    this.finish(job, record, finished, saved, log);
    await this.storage.deleteAlarm();
    return true;
  }

  /** Streams the finished database's c1z out: to the cron's destination, or into the object for the HTTP API. */
  private async upload(job: SyncJob, finished: FinishedSync, connector: StepConnector, log: Logger): Promise<SavedC1z> {
    if (job.trigger === "http") {
      const writer = this.tables.blobWriter(c1zBlob(job.id));
      await this.steps.encode(async (chunk) => writer.write(chunk));
      return { destination: `the API's store (sync ${job.id})`, bytes: writer.end() };
    }
    const template = connector.destination;
    if (!template) throw new Error(`connector ${job.connector} has no destination`);
    await this.abortLeftoverUpload(job, finished, template, log);
    const saved = await this.steps.upload(this.locationOf(job, finished, template), {
      env: stringEnv(this.vars),
      bindings: this.vars,
      onMultipartCreated: async (upload) => {
        job.upload = { uploadId: upload.uploadId, destination: upload.destination };
        this.tables.putJob(job);
        // Durable before the first part: a try killed from here on leaves an id to abort.
        await this.storage.sync();
      },
    });
    job.upload = undefined;
    this.tables.putJob(job);
    return saved;
  }

  private locationOf(job: SyncJob, finished: FinishedSync, template: string): string {
    return expandKeyTemplate(template, { connector: job.connector, syncId: finished.syncId, date: finished.date });
  }

  /** A multipart upload an earlier try created and never completed or aborted: abort it first. */
  private async abortLeftoverUpload(job: SyncJob, finished: FinishedSync, template: string, log: Logger) {
    const open = job.upload;
    if (!open) return;
    await abortMultipartUpload(this.locationOf(job, finished, template), open.uploadId, {
      env: stringEnv(this.vars),
      bindings: this.vars,
    });
    log.info(`aborted multipart upload ${open.uploadId} of ${open.destination}, left open by an earlier try`, {
      connector: job.connector,
      syncId: job.id,
    });
    job.upload = undefined;
    this.tables.putJob(job);
  }

  private finish(job: SyncJob, record: SyncRecord, finished: FinishedSync, saved: SavedC1z, log: Logger): void {
    const now = Date.now();
    record.state = "succeeded";
    record.counts = finished.counts;
    record.expandedGrants = finished.expandedGrants;
    record.warnings = finished.warnings;
    record.c1zSyncId = finished.syncId;
    record.c1zBytes = saved.bytes;
    record.c1zAvailable = job.trigger === "http";
    record.endedAt = iso(now);
    record.durationMs = now - (record.startedAt ? Date.parse(record.startedAt) : job.createdAt);
    record.invocations = job.invocations;
    record.error = null;
    this.steps.clear(() => {
      this.tables.putRecord(record);
      this.tables.clearJob();
    });
    if (job.trigger === "http") this.prune();
    const fields = {
      connector: job.connector,
      syncId: finished.syncId,
      recordId: job.id,
      durationMs: record.durationMs,
      sha256: saved.sha256,
      invocations: job.invocations,
      counts: finished.counts,
    };
    if (job.trigger === "cron") {
      log.info(`cron: connector ${job.connector} uploaded ${saved.bytes} bytes to ${saved.destination}`, fields);
    } else {
      log.info("sync succeeded", fields);
    }
  }

  private async fail(job: SyncJob, record: SyncRecord, reason: string, log: Logger): Promise<void> {
    if (job.upload && job.finished && job.trigger === "cron") {
      try {
        const connector = await stepConnector(this.vars, job.trigger, job.connector);
        if (connector.destination) await this.abortLeftoverUpload(job, job.finished, connector.destination, log);
      } catch (error) {
        log.warn(`could not abort multipart upload ${job.upload.uploadId}: ${messageOf(error)}`, {
          connector: job.connector,
          syncId: job.id,
        });
      }
    }
    const now = Date.now();
    record.state = "failed";
    record.error = { title: "Sync failed", detail: reason };
    record.endedAt = iso(now);
    record.durationMs = now - (record.startedAt ? Date.parse(record.startedAt) : job.createdAt);
    record.invocations = job.invocations;
    // A failure keeps the destination's last good c1z and nothing of this sync.
    this.steps.clear(() => {
      this.tables.putRecord(record);
      this.tables.clearJob();
    });
    await this.storage.deleteAlarm();
    const prefix = job.trigger === "cron" ? `cron: connector ${job.connector} failed` : "sync failed";
    log.error(`${prefix}: ${reason}`, { connector: job.connector, syncId: job.id, invocations: job.invocations });
  }

  private onProgress(record: SyncRecord, event: ProgressEvent, redactor: Redactor): void {
    if (event.type === "phase") {
      record.phase = event.phase;
      record.phases.push({ phase: event.phase, at: iso(event.at) });
      this.tables.putRecord(record);
    } else if (event.type === "warning" && record.warnings.length < 100) {
      record.warnings.push(redactor.redact(event.message));
    }
  }

  private prune(): void {
    for (const old of this.tables
      .records()
      .filter((r) => r.c1zAvailable)
      .slice(KEEP_C1Z)) {
      this.storage.transactionSync(() => {
        this.tables.deleteBlob(c1zBlob(old.id));
        old.c1zAvailable = false;
        this.tables.putRecord(old);
      });
    }
  }
}
