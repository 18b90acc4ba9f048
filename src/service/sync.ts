/**
 * A full-sync task runs the one sync pipeline (runConnectorSync) into a new
 * c1z, with the task's flags over the local ones (Go prefers the task's
 * resource types and adds the local targeted resources), and its destination
 * is ConductorOne: the finished file goes up through UploadAsset.
 */
import { createC1z } from "../c1z/index.ts";
import { runConnectorSync } from "../jobs/pipeline.ts";
import type { SavedC1z, SyncDestination, SyncScope } from "../jobs/types.ts";
import type { ResourceId } from "../model/types.ts";
import type { Task_SyncFullTask } from "../proto/gen/c1/connectorapi/baton/v1/baton_pb.ts";
import type { ObjectCounts } from "../sync/types.ts";
import { sha256 } from "./client.ts";
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

/** UploadAsset as a pipeline destination: the c1z's bytes, in 512 KiB chunks, for this task. */
export function uploadDestination(ctx: TaskContext, taskId: string, signal: AbortSignal): SyncDestination {
  return {
    async save(store): Promise<SavedC1z> {
      const bytes = store.toBytes();
      await ctx.client.uploadAsset(taskId, bytes, signal);
      const digest = Array.from(await sha256(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
      return { destination: `ConductorOne task ${taskId}`, bytes: bytes.length, sha256: digest };
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
  const outcome = await runConnectorSync(ctx.entry, {
    store: { open: () => createC1z() },
    destination: uploadDestination(ctx, taskId, signal),
    scope: taskSyncScope(spec, ctx.defaults),
    log: ctx.log,
    signal,
    clock: ctx.clock,
    pluginState: ctx.pluginState,
  });
  if (outcome.status !== "finished") throw new Error(`the sync stopped before it finished: ${outcome.reason}`);
  return { syncId: outcome.result.syncId, counts: outcome.totals, saved: outcome.saved };
}
