/**
 * The HTTP API's state store on Workers: every record lives in the
 * connector's Durable Object (idempotency records in one object of their
 * own), so whichever isolate serves a request reads and writes the same state.
 * No checkpoints here: syncs run inside the objects, step by step, and never
 * in the isolate that took the request.
 */
import type { SyncStateStore } from "../http/state/store.ts";
import { type ConnectorObjects, connectorObject, idempotencyObject } from "./stubs.ts";

/** RPC messages are bounded (32 MiB); a stored c1z comes over in slices well below that. */
const SLICE_BYTES = 8 * 1024 * 1024;

export function createDurableStateStore(namespace: ConnectorObjects): SyncStateStore {
  const of = (connector: string) => connectorObject(namespace, connector);
  const idempotency = idempotencyObject(namespace);
  return {
    putSync: (record) => of(record.connector).putSync(record),
    getSync: (connector, id) => of(connector).getSync(id),
    listSyncs: (connector) => of(connector).listSyncs(),
    async putC1z(connector, id, bytes) {
      await of(connector).putC1z(id, bytes);
    },
    async getC1z(connector, id) {
      const object = of(connector);
      const size = await object.c1zSize(id);
      if (size === undefined) return undefined;
      const out = new Uint8Array(size);
      for (let at = 0; at < size; at += SLICE_BYTES) {
        out.set(await object.c1zSlice(id, at, Math.min(SLICE_BYTES, size - at)), at);
      }
      return out;
    },
    deleteC1z: (connector, id) => of(connector).deleteC1z(id),
    getIdempotency: (key) => idempotency.getIdempotency(key),
    putIdempotency: (key, record) => idempotency.putIdempotency(key, record),
    deleteIdempotency: (key) => idempotency.deleteIdempotency(key),
    getPluginState: (connector) => of(connector).getPluginState(),
    putPluginState: (connector, text) => of(connector).putPluginState(text),
  };
}
