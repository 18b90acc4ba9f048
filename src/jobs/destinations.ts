/** Sync destinations: where a finished sync's c1z goes. */
import type { SyncResult } from "../sync/types.ts";
import { saveC1z, type TransferOptions } from "../upload/index.ts";
import type { SyncDestination } from "./types.ts";

/**
 * A c1z location (a path, `s3://…`, `r2://…`), fixed or chosen once the sync id
 * is known (a key template). Files are written atomically and multipart uploads
 * aborted on failure, so a failed save never replaces a good c1z.
 */
export function locationDestination(
  location: string | ((result: SyncResult) => string),
  options: TransferOptions = {},
): SyncDestination {
  return {
    save: (store, result) =>
      saveC1z(typeof location === "string" ? location : location(result), store.toBytes(), options),
  };
}
