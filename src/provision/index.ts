/**
 * One-shot provisioning, shared by the CLI, the HTTP API and service mode:
 * grant and revoke (grants.ts), create account, rotate credentials and delete
 * resource (accounts.ts), actions (actions.ts).
 */
export {
  type CreateAccountRequest,
  type CreateAccountResult,
  createAccount,
  type DeleteResult,
  deleteResource,
  type ResourceRequest,
  type RotateResult,
  rotateCredentials,
} from "./accounts.ts";
export { assertProvisioningEnabled, ProvisionError, type ProvisionErrorCode } from "./errors.ts";
export {
  type GrantRequest,
  type GrantResult,
  grantEntitlement,
  grantResolved,
  type RevokeResult,
  revokeGrant,
  revokeResolved,
} from "./grants.ts";
export { loadEntitlement, loadGrant, loadResource } from "./resolve.ts";
export { PROVISION_RETRY, type ProvisionOptions } from "./retry.ts";
export type { ProvisionTarget } from "./target.ts";
