/**
 * Unfinished cron syncs kept between invocations in a c1z location
 * (`BATON_CHECKPOINT_LOCATION`, e.g. `r2://C1Z_BUCKET/checkpoints/{connector}.c1z`),
 * so a sync larger than one invocation continues where the last one stopped.
 */
import { expandKeyTemplate, loadC1zSource, removeC1z, saveC1z, type TransferOptions } from "../upload/index.ts";
import type { ConnectorJob } from "./connectors.ts";
import type { CheckpointSink } from "./cron.ts";
import { saveStoreC1z } from "./destinations.ts";

export class CheckpointConfigError extends Error {
  override readonly name = "CheckpointConfigError";
}

export function locationCheckpoints(template: string, options: TransferOptions): CheckpointSink {
  if (!template.includes("{connector}")) {
    throw new CheckpointConfigError("BATON_CHECKPOINT_LOCATION must contain {connector}");
  }
  if (template.includes("{syncId}") || template.includes("{date}")) {
    throw new CheckpointConfigError(
      "BATON_CHECKPOINT_LOCATION may use only {connector}: a checkpoint outlives its date",
    );
  }
  const at = (job: ConnectorJob) => expandKeyTemplate(template, { connector: job.name, syncId: "", date: "" });
  return {
    load: (job) => loadC1zSource(at(job), options),
    save: async (job, bytes) => {
      await saveC1z(at(job), bytes, options);
    },
    saveStore: (job, store, hooks) => saveStoreC1z(at(job), store, { ...options, ...hooks }),
    clear: (job) => removeC1z(at(job), options),
    locate: at,
  };
}
