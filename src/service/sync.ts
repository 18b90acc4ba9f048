/**
 * A full-sync task runs the one sync pipeline (runConnectorSync) into a new
 * c1z, with the task's flags over the local ones (Go prefers the task's
 * resource types and adds the local targeted resources), and its destination
 * is ConductorOne: the finished file goes up through UploadAsset.
 *
 * With a native file engine the sync's database lives in a work file in the
 * work directory, the c1z is streamed from it into a file beside it, and the
 * upload reads that file in chunks: memory stays bounded whatever the size. A
 * task is never resumed (a restarted service gets new tasks), so both files are
 * removed when the task ends, however it ends.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { fileChunks } from "../c1z/file.ts";
import { createC1z } from "../c1z/index.ts";
import { fileBackedC1z } from "../jobs/destinations.ts";
import { runConnectorSync } from "../jobs/pipeline.ts";
import type { SavedC1z, StoreSource, SyncDestination, SyncScope } from "../jobs/types.ts";
import { workFileSync } from "../jobs/work-file.ts";
import type { ResourceId } from "../model/types.ts";
import type { Task_SyncFullTask } from "../proto/gen/c1/connectorapi/baton/v1/baton_pb.ts";
import type { ObjectCounts } from "../sync/types.ts";
import { saveC1zStream } from "../upload/stream.ts";
import { sha256, UPLOAD_CHUNK_BYTES } from "./client.ts";
import type { TaskContext } from "./types.ts";

export function taskSyncScope(spec: Task_SyncFullTask, defaults: TaskContext["defaults"]): SyncScope {
  const targets: ResourceId[] = [
    ...spec.targetedSyncResources.flatMap((resource) => (resource.id ? [resource.id] : [])),
    ...(defaults.targetResources ?? []),
  ];
  const types = spec.syncResourceTypeIds.length > 0 ? spec.syncResourceTypeIds : defaults.resourceTypeIds;
  return {
    resourceTypeIds: types && types.length > 0 ? [...types] : undefined,
    targetResources: targets.length > 0 ? targets : undefined,
    resourcesOnly: spec.skipEntitlementsAndGrants,
    skipGrants: spec.skipGrants,
    skipExpansion: spec.skipExpandGrants,
    skipFullSync: defaults.skipFullSync,
    workers: defaults.workers,
  };
}

/** UploadAsset as a pipeline destination: the c1z, in 512 KiB chunks, for this task. */
export function uploadDestination(ctx: TaskContext, taskId: string, signal: AbortSignal): SyncDestination {
  return {
    async save(store): Promise<SavedC1z> {
      const destination = `ConductorOne task ${taskId}`;
      const streamed = fileBackedC1z(store);
      if (streamed) {
        const c1zPath = `${streamed.path}.c1z`;
        try {
          const saved = await saveC1zStream(c1zPath, streamed.produce);
          await ctx.client.uploadAsset(taskId, () => fileChunks(c1zPath, UPLOAD_CHUNK_BYTES), signal);
          return { destination, bytes: saved.bytes, sha256: saved.sha256 };
        } finally {
          await rm(c1zPath, { force: true });
        }
      }
      const bytes = store.toBytes();
      await ctx.client.uploadAsset(taskId, bytes, signal);
      const digest = Array.from(await sha256(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
      return { destination, bytes: bytes.length, sha256: digest };
    },
  };
}

export interface TaskSync {
  syncId: string;
  counts: ObjectCounts;
  saved: SavedC1z;
}

/** Syncs and uploads; throws when the sync fails or is cancelled (nothing is uploaded then). */
export async function syncAndUpload(
  ctx: TaskContext,
  taskId: string,
  spec: Task_SyncFullTask,
  signal: AbortSignal,
): Promise<TaskSync> {
  const work =
    ctx.workDir === undefined
      ? undefined
      : workFileSync(join(ctx.workDir, "service", `${safeFileName(taskId)}.work.db`), async () => undefined);
  try {
    const store: StoreSource = work?.store ?? { open: () => createC1z() };
    const outcome = await runConnectorSync(ctx.entry, {
      store,
      destination: uploadDestination(ctx, taskId, signal),
      scope: taskSyncScope(spec, ctx.defaults),
      log: ctx.log,
      signal,
      clock: ctx.clock,
      pluginState: ctx.pluginState,
    });
    if (outcome.status !== "finished") throw new Error(`the sync stopped before it finished: ${outcome.reason}`);
    return { syncId: outcome.result.syncId, counts: outcome.totals, saved: outcome.saved };
  } finally {
    await work?.remove();
  }
}

/** A task id as a file name: ConductorOne's ids are KSUIDs, anything else is hex-escaped. */
function safeFileName(id: string): string {
  return /^[A-Za-z0-9_-]{1,128}$/.test(id)
    ? id
    : Array.from(new TextEncoder().encode(id), (b) => b.toString(16).padStart(2, "0"))
        .join("")
        .slice(0, 200);
}
