/**
 * What the explorer's search looks at, per sync and resource type: each
 * resource's external id and its lower-cased id and display name, in id order.
 * Built on the first search with one pass that reads only the head of each
 * row's protobuf (the display name is field 3, after the ids) and decodes
 * nothing else; later searches and their pages are in-memory scans of short
 * strings. A handful of indexes are kept per store.
 */
import type { SqliteC1zStore } from "../c1z/index.ts";

export interface SearchEntry {
  externalId: string;
  /** `resource id` + newline + `display name`, lower-cased. */
  text: string;
}

const HEAD_BYTES = 512;
const KEEP_PER_STORE = 8;
const decoder = new TextDecoder();
const indexes = new WeakMap<SqliteC1zStore, Map<string, SearchEntry[]>>();

/**
 * Resource.display_name (field 3) from the start of an encoded Resource;
 * undefined when `data` is cut before it (or is not a message we can walk).
 */
export function displayNameOf(data: Uint8Array, complete: boolean): string | undefined {
  let pos = 0;
  const varint = (): number | undefined => {
    let result = 0;
    let multiplier = 1;
    while (pos < data.length && multiplier < 2 ** 63) {
      const byte = data[pos++];
      result += (byte & 0x7f) * multiplier;
      if (byte < 0x80) return result;
      multiplier *= 128;
    }
    return undefined;
  };
  while (pos < data.length) {
    const tag = varint();
    if (tag === undefined) return undefined;
    const field = Math.floor(tag / 8);
    switch (tag & 7) {
      case 0:
        if (varint() === undefined) return undefined;
        break;
      case 1:
        pos += 8;
        break;
      case 5:
        pos += 4;
        break;
      case 2: {
        const length = varint();
        if (length === undefined || pos + length > data.length) return undefined;
        if (field === 3) return decoder.decode(data.subarray(pos, pos + length));
        pos += length;
        break;
      }
      default:
        return undefined;
    }
  }
  return complete && pos === data.length ? "" : undefined;
}

export function searchIndex(store: SqliteC1zStore, syncId: string, type: string): SearchEntry[] {
  let perStore = indexes.get(store);
  if (!perStore) {
    perStore = new Map();
    indexes.set(store, perStore);
  }
  const key = `${syncId}\u0000${type}`;
  const cached = perStore.get(key);
  if (cached) return cached;
  const rows = store.db
    .prepare(
      `select external_id, substr(data, 1, ${HEAD_BYTES}) as head, length(data) as size from v1_resources
       where sync_id = ? and resource_type_id = ? order by external_id`,
    )
    .all(syncId, type);
  const full = store.db.prepare("select data from v1_resources where sync_id = ? and external_id = ?");
  const entries: SearchEntry[] = [];
  try {
    for (const row of rows) {
      const externalId = String(row.external_id);
      const head = row.head as Uint8Array;
      let name = displayNameOf(head, Number(row.size) === head.length);
      if (name === undefined) {
        const data = full.get(syncId, externalId)?.data as Uint8Array | undefined;
        name = data ? (displayNameOf(data, true) ?? "") : "";
      }
      const id = externalId.startsWith(`${type}:`) ? externalId.slice(type.length + 1) : externalId;
      entries.push({ externalId, text: `${id}\n${name}`.toLowerCase() });
    }
  } finally {
    full.finalize();
  }
  if (perStore.size >= KEEP_PER_STORE) perStore.delete(perStore.keys().next().value as string);
  perStore.set(key, entries);
  return entries;
}
