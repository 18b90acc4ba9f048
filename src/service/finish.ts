/**
 * How a task's outcome becomes a FinishTask request (baton-model.md §5.4):
 * success with the connector's response packed in an Any, or an error with a
 * google.rpc.Status and `non_retryable` set for malformed tasks and every
 * provisioning failure. Messages pass through the redactor.
 */
import { create, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Redactor } from "../log/index.ts";
import type { Any } from "../model/types.ts";
import { PluginOutputError } from "../plugins/validate-output.ts";
import type { BatonServiceFinishTaskRequest } from "../proto/gen/c1/connectorapi/baton/v1/baton_pb.ts";
import { StatusSchema } from "../proto/gen/google/rpc/status_pb.ts";
import { ProvisionError, type ProvisionErrorCode } from "../provision/errors.ts";
import { TransientError } from "../upstream/errors.ts";
import { HeartbeatFailedError, TaskCancelledError } from "./heartbeat.ts";

/** A task that must not be retried as it is (Go's ErrTaskNonRetryable). */
export class NonRetryableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "NonRetryableError";
  }
}

const PROVISION_CODES: Record<ProvisionErrorCode, Code> = {
  "not-found": Code.NotFound,
  unimplemented: Code.Unimplemented,
  "failed-precondition": Code.FailedPrecondition,
  "invalid-argument": Code.InvalidArgument,
  unavailable: Code.Unavailable,
};

/** The gRPC status code Go's finishTask would report for this error. */
export function statusCode(error: unknown): Code {
  const inner = error instanceof NonRetryableError && error.cause !== undefined ? error.cause : error;
  if (inner instanceof ConnectError) return inner.code;
  if (inner instanceof TaskCancelledError) return Code.Canceled;
  if (inner instanceof HeartbeatFailedError) return Code.Canceled;
  if (inner instanceof ProvisionError) return PROVISION_CODES[inner.code];
  if (inner instanceof TransientError) return Code.Unavailable;
  if (inner instanceof PluginOutputError) return Code.InvalidArgument;
  if (inner instanceof DOMException && inner.name === "AbortError") return Code.Canceled;
  if (inner instanceof DOMException && inner.name === "TimeoutError") return Code.DeadlineExceeded;
  return Code.Unknown;
}

function message(error: unknown): string {
  if (error instanceof ConnectError) return error.rawMessage;
  return error instanceof Error ? error.message : String(error);
}

type FinishFields = Omit<BatonServiceFinishTaskRequest, "$typeName" | "hostId">;

export function finishSuccess<Desc extends DescMessage>(
  taskId: string,
  response?: { schema: Desc; message: MessageShape<Desc> },
  annotations: Any[] = [],
): FinishFields {
  return {
    taskId,
    status: undefined,
    finalState: {
      case: "success",
      value: {
        $typeName: "c1.connectorapi.baton.v1.BatonServiceFinishTaskRequest.Success",
        annotations,
        response: response ? anyPack(response.schema, response.message) : undefined,
      },
    },
  };
}

export function finishError(taskId: string, error: unknown, redactor: Redactor): FinishFields {
  return {
    taskId,
    status: create(StatusSchema, { code: statusCode(error), message: redactor.redact(message(error)) }),
    finalState: {
      case: "error",
      value: {
        $typeName: "c1.connectorapi.baton.v1.BatonServiceFinishTaskRequest.Error",
        nonRetryable: error instanceof NonRetryableError,
        annotations: [],
        response: undefined,
      },
    },
  };
}
