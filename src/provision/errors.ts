/** Provisioning failures with the gRPC-like code Baton would answer, so the CLI and HTTP API can map them. */
export type ProvisionErrorCode =
  | "not-found"
  | "unimplemented"
  | "failed-precondition"
  | "invalid-argument"
  /** The upstream stayed unavailable or rate limited (gRPC Unavailable) after the allowed attempts. */
  | "unavailable";

export interface ProvisionErrorOptions {
  cause?: unknown;
  /** Epoch ms when the upstream said it will take requests again, when it said. */
  resetAt?: number;
}

export class ProvisionError extends Error {
  readonly resetAt?: number;

  constructor(
    readonly code: ProvisionErrorCode,
    message: string,
    options: ProvisionErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ProvisionError";
    this.resetAt = options.resetAt;
  }
}

/** Baton's no-op provisioner answer when `--provisioning` is off (service mode). */
export function assertProvisioningEnabled(enabled: boolean): void {
  if (!enabled) throw new ProvisionError("failed-precondition", "provisioning is not enabled");
}
