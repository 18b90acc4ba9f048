/** Provisioning failures with the gRPC-like code Baton would answer, so the CLI and HTTP API can map them. */
export type ProvisionErrorCode = "not-found" | "unimplemented" | "failed-precondition" | "invalid-argument";

export class ProvisionError extends Error {
  constructor(
    readonly code: ProvisionErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "ProvisionError";
  }
}

/** Baton's no-op provisioner answer when `--provisioning` is off (service mode). */
export function assertProvisioningEnabled(enabled: boolean): void {
  if (!enabled) throw new ProvisionError("failed-precondition", "provisioning is not enabled");
}
