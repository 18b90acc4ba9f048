/** Which syncs a diff or an export reads when the user names none. */
import type { SyncRun } from "../c1z/store.ts";

/** A pick that cannot be made; the callers turn it into a usage error or a 4xx. */
export class SyncChoiceError extends Error {
  override name = "SyncChoiceError";
}

interface SyncList {
  listSyncs(): SyncRun[];
  getSync(syncId: string): SyncRun | undefined;
}

/** Finished full syncs, newest first, in Go's order (`ended_at desc, sync_id desc`). */
export function finishedFullSyncs(reader: SyncList): SyncRun[] {
  return reader
    .listSyncs()
    .filter((run) => run.endedAt !== null && run.syncType === "full")
    .sort((a, b) => (a.endedAt === b.endedAt ? cmp(b.syncId, a.syncId) : cmp(b.endedAt ?? "", a.endedAt ?? "")));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function requireSync(reader: SyncList, syncId: string, what: string): SyncRun {
  const run = reader.getSync(syncId);
  if (!run) throw new SyncChoiceError(`${what}: no sync ${syncId} in the c1z`);
  return run;
}

/**
 * `baton diff` on one file: the latest finished full sync against the one before it.
 * `to` picks the newer sync (its predecessor is then the older one); `from` the older.
 */
export function pairInOneFile(reader: SyncList, choice: { from?: string; to?: string }): { from: string; to: string } {
  const full = finishedFullSyncs(reader);
  const to = choice.to ? requireSync(reader, choice.to, "--sync-id").syncId : full[0]?.syncId;
  if (!to) throw new SyncChoiceError("no finished full sync in the c1z: cannot diff");
  if (choice.from) return { from: requireSync(reader, choice.from, "--from-sync-id").syncId, to };
  const index = full.findIndex((run) => run.syncId === to);
  const from = index >= 0 ? full[index + 1]?.syncId : undefined;
  if (!from) throw new SyncChoiceError(`cannot diff a single sync run: no finished full sync before ${to}`);
  return { from, to };
}

/** One file's side of a two-file diff or an export: the named sync, else the latest finished full one, else the newest. */
export function defaultSync(reader: SyncList, requested: string | undefined, what: string): string {
  if (requested) return requireSync(reader, requested, what).syncId;
  const latest = finishedFullSyncs(reader)[0] ?? reader.listSyncs().at(-1);
  if (!latest) throw new SyncChoiceError(`${what}: the c1z has no sync`);
  return latest.syncId;
}
