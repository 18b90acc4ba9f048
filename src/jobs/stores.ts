/** Store sources: where the c1z a sync writes into comes from. */
import { createC1z, openC1z } from "../c1z/open.ts";
import type { StoreSource } from "./types.ts";

/**
 * The c1z `load` returns (previous syncs, or an unfinished one to resume), opened
 * as a writable in-memory copy; a new, empty c1z when it returns nothing.
 */
export function c1zBytesSource(load: () => Promise<Uint8Array | undefined>): StoreSource {
  return {
    async open() {
      const bytes = await load();
      return bytes ? openC1z(bytes) : createC1z();
    },
  };
}
