/**
 * Reaching a connector's Durable Object from any isolate. Every method of the
 * object is called over RPC, so its result arrives as a promise.
 */
import type { ConnectorSyncObject } from "./connector-object.ts";
import type { DurableObjectNamespace } from "./platform.ts";

type Rpc<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

export type ConnectorObjectStub = Rpc<
  Pick<
    ConnectorSyncObject,
    | "startSync"
    | "getSync"
    | "listSyncs"
    | "putSync"
    | "c1zSize"
    | "c1zSlice"
    | "putC1z"
    | "deleteC1z"
    | "getIdempotency"
    | "putIdempotency"
    | "deleteIdempotency"
    | "getPluginState"
    | "putPluginState"
  >
>;

export type ConnectorObjects = DurableObjectNamespace<ConnectorObjectStub>;

/** The binding's name in wrangler.toml. */
export const SYNCS_BINDING = "SYNCS";

/** Connector names are `[a-z0-9_-]`-style; the idempotency object's name cannot collide with one. */
const IDEMPOTENCY_OBJECT = "~idempotency";

export function connectorObject(namespace: ConnectorObjects, connector: string): ConnectorObjectStub {
  return namespace.get(namespace.idFromName(`connector:${connector}`));
}

export function idempotencyObject(namespace: ConnectorObjects): ConnectorObjectStub {
  return namespace.get(namespace.idFromName(IDEMPOTENCY_OBJECT));
}
