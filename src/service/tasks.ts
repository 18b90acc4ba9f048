/**
 * What each ConductorOne task does, as baton-sdk's pkg/tasks/c1api handlers do
 * (baton-model.md §5.2–5.4). Every handler ends in exactly one FinishTask,
 * except Hello, which answers with a Hello carrying the task id (as Go does).
 * Provisioning needs `--provisioning` and fails non-retryable, as in Baton.
 */

import { randomUUID } from "node:crypto";
import { create, type JsonObject } from "@bufbuild/protobuf";
import { connectPlugin } from "../plugins/connect.ts";
import {
  BatonActionStatus,
  CreateAccountResponse_ActionRequiredResultSchema,
  CreateAccountResponse_AlreadyExistsResultSchema,
  CreateAccountResponse_InProgressResultSchema,
  CreateAccountResponse_SuccessResultSchema,
  CreateAccountResponseSchema,
  DeleteResourceResponseSchema,
  GetActionSchemaResponseSchema,
  GrantManagerServiceGrantResponseSchema,
  GrantManagerServiceRevokeResponseSchema,
  InvokeActionResponseSchema,
  ListActionSchemasResponseSchema,
  RotateCredentialResponseSchema,
} from "../proto/gen/c1/connector/v2/provisioning_pb.ts";
import type { Task, Task_SyncFullTask } from "../proto/gen/c1/connectorapi/baton/v1/baton_pb.ts";
import { actionSchemas, invokeAction } from "../provision/actions.ts";
import {
  assertProvisioningEnabled,
  createAccount,
  deleteResource,
  grantResolved,
  ProvisionError,
  type ProvisionTarget,
  revokeResolved,
  rotateCredentials,
} from "../provision/index.ts";
import { encryptCredentials } from "./encrypt.ts";
import { finishError, finishSuccess, NonRetryableError } from "./finish.ts";
import { startHeartbeat } from "./heartbeat.ts";
import { helloRequest } from "./hello.ts";
import { syncAndUpload } from "./sync.ts";
import type { TaskContext } from "./types.ts";

export type { LocalSyncDefaults, ServiceEntry, TaskContext } from "./types.ts";

export type TaskKind =
  | "none"
  | "hello"
  | "sync_full"
  | "grant"
  | "revoke"
  | "create_account"
  | "delete_resource"
  | "rotate_credentials"
  | "action_list_schemas"
  | "action_get_schema"
  | "action_invoke"
  | "action_status"
  | "unsupported";

export interface TaskOutcome {
  kind: TaskKind;
  /** Whether the task finished successfully. */
  ok: boolean;
  error?: unknown;
}

function kindOf(task: Task): TaskKind {
  switch (task.taskType.case) {
    case undefined:
    case "none":
      return "none";
    case "hello":
    case "syncFull":
    case "grant":
    case "revoke":
    case "createAccount":
    case "deleteResource":
    case "rotateCredentials":
    case "actionListSchemas":
    case "actionGetSchema":
    case "actionInvoke":
    case "actionStatus":
      return task.taskType.case.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) as TaskKind;
    default:
      return "unsupported";
  }
}

function nonRetryable(error: unknown): NonRetryableError {
  if (error instanceof NonRetryableError) return error;
  return new NonRetryableError(error instanceof Error ? error.message : String(error), { cause: error });
}

/** Runs a provisioning call on a freshly connected plugin (state persists through the state store). */
async function withTarget<T>(ctx: TaskContext, signal: AbortSignal, run: (target: ProvisionTarget) => Promise<T>) {
  const connected = await connectPlugin(ctx.entry.plugin, ctx.entry.config, {
    log: ctx.log,
    signal,
    state: ctx.pluginState,
    now: ctx.clock.now,
  });
  try {
    return await run(connected);
  } finally {
    await connected.close();
  }
}

export async function runTask(ctx: TaskContext, task: Task, signal: AbortSignal): Promise<TaskOutcome> {
  const kind = kindOf(task);
  const log = ctx.log;
  log.info("task received", { taskId: task.id, taskType: kind });
  if (kind === "none") return { kind, ok: true };
  if (kind === "hello") {
    await ctx.client.hello(helloRequest(ctx.entry.plugin, task.id), signal);
    log.info("hello sent", { taskId: task.id });
    return { kind, ok: true };
  }
  if (kind === "sync_full") return runSyncTask(ctx, task, signal);
  let outcome: TaskOutcome;
  try {
    const finish = await provisioningTask(ctx, task, signal);
    await ctx.client.finishTask(finish);
    outcome = { kind, ok: true };
  } catch (error) {
    log.error("task failed", { taskId: task.id, taskType: kind, error: errorText(error) });
    await ctx.client.finishTask(finishError(task.id, error, ctx.redactor));
    outcome = { kind, ok: false, error };
  }
  log.info("task finished", { taskId: task.id, taskType: kind, ok: outcome.ok });
  return outcome;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function provisioningTask(ctx: TaskContext, task: Task, signal: AbortSignal) {
  const plugin = ctx.entry.plugin;
  const t = task.taskType;
  switch (t.case) {
    case "grant": {
      const { entitlement, principal } = t.value;
      if (!entitlement || !principal) throw new NonRetryableError("malformed grant task");
      const result = await guarded(ctx, () =>
        withTarget(ctx, signal, (target) => grantResolved(target, entitlement, principal)),
      );
      const response = create(GrantManagerServiceGrantResponseSchema, {
        annotations: result.annotations,
        grants: result.grants,
      });
      return finishSuccess(
        task.id,
        { schema: GrantManagerServiceGrantResponseSchema, message: response },
        result.annotations,
      );
    }
    case "revoke": {
      const { grant } = t.value;
      if (!grant) throw new NonRetryableError("malformed revoke task");
      const result = await guarded(ctx, () => withTarget(ctx, signal, (target) => revokeResolved(target, grant)));
      const response = create(GrantManagerServiceRevokeResponseSchema, { annotations: result.annotations });
      return finishSuccess(
        task.id,
        { schema: GrantManagerServiceRevokeResponseSchema, message: response },
        result.annotations,
      );
    }
    case "createAccount": {
      const info = t.value.accountInfo;
      if (!info) throw new NonRetryableError("malformed create account task");
      const configs = t.value.encryptionConfigs;
      const response = await guarded(ctx, async () => {
        const result = await withTarget(ctx, signal, (target) =>
          createAccount(target, {
            login: info.login,
            emails: info.emails.map((email) => ({ address: email.address, primary: email.isPrimary })),
            profile: info.profile,
            resourceType: t.value.resourceTypeId || undefined,
          }),
        );
        const encryptedData = await encryptCredentials(result.credentials, configs);
        const response = create(CreateAccountResponseSchema, { encryptedData, annotations: result.annotations });
        const value = { resource: result.resource, isCreateAccountResult: true };
        if (result.status === "already-exists") {
          response.result = {
            case: "alreadyExists",
            value: create(CreateAccountResponse_AlreadyExistsResultSchema, value),
          };
        } else if (result.status === "action-required") {
          response.result = {
            case: "actionRequired",
            value: create(CreateAccountResponse_ActionRequiredResultSchema, value),
          };
        } else if (result.status === "in-progress") {
          response.result = { case: "inProgress", value: create(CreateAccountResponse_InProgressResultSchema, value) };
        } else {
          response.result = { case: "success", value: create(CreateAccountResponse_SuccessResultSchema, value) };
        }
        return response;
      });
      return finishSuccess(task.id, { schema: CreateAccountResponseSchema, message: response }, response.annotations);
    }
    case "deleteResource": {
      const id = t.value.resourceId;
      if (!id?.resource || !id.resourceType) throw new NonRetryableError("malformed delete resource task");
      const result = await guarded(ctx, () =>
        withTarget(ctx, signal, (target) =>
          deleteResource(target, { resourceId: id.resource, resourceType: id.resourceType }),
        ),
      );
      const response = create(DeleteResourceResponseSchema, { annotations: result.annotations });
      return finishSuccess(task.id, { schema: DeleteResourceResponseSchema, message: response }, result.annotations);
    }
    case "rotateCredentials": {
      const id = t.value.resourceId;
      if (!id) throw new NonRetryableError("malformed rotate credentials task");
      const configs = t.value.encryptionConfigs;
      const response = await guarded(ctx, async () => {
        const result = await withTarget(ctx, signal, (target) =>
          rotateCredentials(target, { resourceId: id.resource, resourceType: id.resourceType }),
        );
        return create(RotateCredentialResponseSchema, {
          encryptedData: await encryptCredentials(result.credentials, configs),
          resourceId: id,
          annotations: result.annotations,
        });
      });
      return finishSuccess(
        task.id,
        { schema: RotateCredentialResponseSchema, message: response },
        response.annotations,
      );
    }
    // Actions: errors stay retryable, as in Go's action handlers.
    case "actionListSchemas": {
      const schemas = actionSchemas(plugin).map((schema) => ({
        name: schema.name,
        displayName: schema.displayName ?? "",
        description: schema.description ?? "",
      }));
      const response = create(ListActionSchemasResponseSchema, { schemas });
      return finishSuccess(task.id, { schema: ListActionSchemasResponseSchema, message: response });
    }
    case "actionGetSchema": {
      if (!t.value.name) throw new Error("action name required");
      const schema = actionSchemas(plugin).find((candidate) => candidate.name === t.value.name);
      if (!schema) throw new ProvisionError("not-found", `plugin ${plugin.name} has no action "${t.value.name}"`);
      const response = create(GetActionSchemaResponseSchema, {
        schema: { name: schema.name, displayName: schema.displayName ?? "", description: schema.description ?? "" },
      });
      return finishSuccess(task.id, { schema: GetActionSchemaResponseSchema, message: response });
    }
    case "actionInvoke": {
      const name = t.value.name;
      if (!name) throw new Error("action name required");
      const args = t.value.args ?? {};
      const outcome = await withTarget(ctx, signal, (target) => invokeAction(target, name, args));
      const response = create(InvokeActionResponseSchema, {
        id: randomUUID(),
        name,
        status: BatonActionStatus.COMPLETE,
        response: outcome.response as JsonObject,
      });
      return finishSuccess(task.id, { schema: InvokeActionResponseSchema, message: response });
    }
    case "actionStatus":
      // Invocations here run to completion within their task; no id outlives it.
      throw new ProvisionError("not-found", `action invocation "${t.value.id}" is not known to this connector`);
    default:
      throw new Error("unsupported task type");
  }
}

/** Provisioning: gated by --provisioning, and any failure is non-retryable (Go's ErrTaskNonRetryable). */
async function guarded<T>(ctx: TaskContext, run: () => Promise<T>): Promise<T> {
  try {
    assertProvisioningEnabled(ctx.provisioning);
    return await run();
  } catch (error) {
    throw nonRetryable(error);
  }
}

async function runSyncTask(ctx: TaskContext, task: Task, signal: AbortSignal): Promise<TaskOutcome> {
  const log = ctx.log;
  const spec = task.taskType.value as Task_SyncFullTask;
  let heartbeat: Awaited<ReturnType<typeof startHeartbeat>>;
  try {
    heartbeat = await startHeartbeat({
      client: ctx.client,
      taskId: task.id,
      clock: ctx.clock,
      parent: signal,
      onBeat: (intervalMs) => log.debug("heartbeat", { taskId: task.id, nextHeartbeatMs: intervalMs }),
      onFailure: (error, attempt) =>
        log.warn("heartbeat failed", { taskId: task.id, attempt, error: errorText(error) }),
    });
  } catch (error) {
    // As Go: a task whose first heartbeat fails (or is already cancelled) is left to the server.
    log.error("task not started: first heartbeat failed", { taskId: task.id, error: errorText(error) });
    return { kind: "sync_full", ok: false, error };
  }
  try {
    const synced = await syncAndUpload(ctx, task.id, spec, heartbeat.signal);
    log.info("sync uploaded", { taskId: task.id, syncId: synced.syncId, ...synced.counts, bytes: synced.saved.bytes });
    await ctx.client.finishTask(finishSuccess(task.id));
    log.info("task finished", { taskId: task.id, taskType: "sync_full", ok: true });
    return { kind: "sync_full", ok: true };
  } catch (error) {
    const reason = heartbeat.signal.aborted ? heartbeat.signal.reason : error;
    log.error("sync task failed", { taskId: task.id, error: errorText(reason) });
    await ctx.client.finishTask(finishError(task.id, reason, ctx.redactor));
    return { kind: "sync_full", ok: false, error: reason };
  } finally {
    heartbeat.stop();
  }
}
