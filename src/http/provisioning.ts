/**
 * Connects a plugin for one provisioning call and hands it to src/provision,
 * which resolves objects from the latest finished sync as Baton's one-shot
 * provisioning resolves them from the c1z.
 */

import { connectPlugin } from "../plugins/connect.ts";
import type { Logger } from "../plugins/contract.ts";
import { type ActionOutcome, invokeAction } from "../provision/actions.ts";
import {
  type CreateAccountResult,
  createAccount,
  type DeleteResult,
  deleteResource,
  type GrantResult,
  grantEntitlement,
  ProvisionError,
  type ProvisionTarget,
  type RevokeResult,
  type RotateResult,
  revokeGrant,
  rotateCredentials,
} from "../provision/index.ts";
import { retryingFetch } from "../upstream/fetch.ts";
import { HttpProblem } from "./problem.ts";
import type { AppServices, ConnectorEntry } from "./services.ts";
import { pluginStateStore } from "./syncs/manager.ts";

export interface ResourceRef {
  resourceType: string;
  resource: string;
}

export interface AccountRequest {
  login: string;
  emails?: { address: string; primary?: boolean }[];
  profile?: Record<string, unknown>;
  resourceType?: string;
}

export interface Provisioner {
  grant(entitlementId: string, principal: ResourceRef): Promise<GrantResult>;
  revoke(grantId: string): Promise<RevokeResult>;
  createAccount(account: AccountRequest): Promise<CreateAccountResult>;
  rotate(id: ResourceRef): Promise<RotateResult>;
  deleteResource(id: ResourceRef): Promise<DeleteResult>;
  invokeAction(name: string, args: Record<string, unknown>): Promise<ActionOutcome>;
}

const STATUS: Record<ProvisionError["code"], [number, string, string]> = {
  "not-found": [404, "not-found", "Not Found"],
  unimplemented: [501, "unimplemented", "Not Implemented"],
  "failed-precondition": [409, "failed-precondition", "Failed precondition"],
  "invalid-argument": [422, "invalid-argument", "Unprocessable Content"],
  unavailable: [503, "upstream-unavailable", "Service Unavailable"],
};

/** Whole seconds until the upstream's reset, for `Retry-After` (RFC 9110 §10.2.3: delay-seconds). */
function retryAfterHeader(error: ProvisionError, now: number): Record<string, string> {
  if (error.resetAt === undefined) return {};
  return { "retry-after": String(Math.max(0, Math.ceil((error.resetAt - now) / 1000))) };
}

/** Provisioning errors become problems; their text passes the redactor on the way out. */
function toProblem(error: unknown, now: number): unknown {
  if (error instanceof HttpProblem) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof ProvisionError) {
    const [status, slug, title] = STATUS[error.code];
    return new HttpProblem(status, slug, title, message, { headers: retryAfterHeader(error, now) });
  }
  return new HttpProblem(502, "connector-error", "Connector error", message);
}

export function provisioner(services: AppServices, entry: ConnectorEntry, log: Logger): Provisioner {
  const options = { clock: services.clock };
  const withPlugin = async <T>(work: (target: ProvisionTarget) => Promise<T>): Promise<T> => {
    const connected = await connectPlugin(entry.plugin, entry.config, {
      log,
      fetch: retryingFetch({ now: services.clock.now }),
      state: pluginStateStore(services.state, entry.name),
    });
    try {
      return await work({ plugin: entry.plugin, ctx: connected.ctx });
    } catch (error) {
      throw toProblem(error, services.clock.now());
    } finally {
      await connected.close().catch(() => undefined);
    }
  };
  return {
    grant: (entitlementId, principal) =>
      services.snapshots.with(entry.name, ({ reader }) =>
        withPlugin((target) =>
          grantEntitlement(
            target,
            reader,
            {
              entitlementId,
              principalType: principal.resourceType,
              principalId: principal.resource,
            },
            options,
          ),
        ),
      ),
    revoke: (grantId) =>
      services.snapshots.with(entry.name, ({ reader }) =>
        withPlugin((target) => revokeGrant(target, reader, { grantId }, options)),
      ),
    createAccount: (account) =>
      withPlugin((target) =>
        createAccount(
          target,
          {
            login: account.login,
            emails: account.emails,
            profile: account.profile,
            resourceType: account.resourceType,
          },
          options,
        ),
      ),
    rotate: (id) =>
      withPlugin((target) =>
        rotateCredentials(target, { resourceType: id.resourceType, resourceId: id.resource }, options),
      ),
    deleteResource: (id) =>
      withPlugin((target) =>
        deleteResource(target, { resourceType: id.resourceType, resourceId: id.resource }, options),
      ),
    invokeAction: (name, args) => withPlugin((target) => invokeAction(target, name, args)),
  };
}
