/** The state store for Workers and tests: everything in the isolate's memory. */
import { type IdempotencyRecord, newestFirst, type SyncRecord, type SyncStateStore } from "./store.ts";

export function createMemoryStateStore(): SyncStateStore {
  const syncs = new Map<string, SyncRecord>();
  const files = new Map<string, Uint8Array>();
  const idempotency = new Map<string, IdempotencyRecord>();
  const pluginState = new Map<string, string>();
  const key = (connector: string, id: string) => `${connector}\u0000${id}`;
  // Records are copied in and out, so callers never share mutable state with the store.
  const copy = (record: SyncRecord): SyncRecord => structuredClone(record);
  return {
    async putSync(record) {
      syncs.set(key(record.connector, record.id), copy(record));
    },
    async getSync(connector, id) {
      const record = syncs.get(key(connector, id));
      return record && copy(record);
    },
    async listSyncs(connector) {
      return [...syncs.values()]
        .filter((r) => r.connector === connector)
        .map(copy)
        .sort(newestFirst);
    },
    async putC1z(connector, id, bytes) {
      files.set(key(connector, id), bytes.slice());
    },
    async getC1z(connector, id) {
      return files.get(key(connector, id));
    },
    async deleteC1z(connector, id) {
      files.delete(key(connector, id));
    },
    async getIdempotency(k) {
      return idempotency.get(k);
    },
    async putIdempotency(k, record) {
      idempotency.set(k, structuredClone(record));
    },
    async deleteIdempotency(k) {
      idempotency.delete(k);
    },
    async getPluginState(connector) {
      return pluginState.get(connector);
    },
    async putPluginState(connector, text) {
      pluginState.set(connector, text);
    },
  };
}
