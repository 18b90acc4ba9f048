/**
 * The latest finished sync of each connector, opened once and shared by the
 * read and provisioning routes. A reader is closed only when it has been
 * replaced and no request is using it.
 */
import type { C1zReader, C1zWriter } from "../c1z/store.ts";
import { conflict } from "./problem.ts";
import { openStoredC1z, type SyncRecord, type SyncStateStore } from "./state/store.ts";

interface Entry {
  record: SyncRecord;
  opened: Promise<C1zWriter>;
  users: number;
  stale: boolean;
  closed?: boolean;
}

export interface Snapshot {
  record: SyncRecord;
  reader: C1zReader;
}

export class Snapshots {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly state: SyncStateStore,
    /** Look the latest sync up on every request: it may have finished in another process or isolate. */
    private readonly options: { checkLatest?: boolean } = {},
  ) {}

  private async latestRecord(connector: string): Promise<SyncRecord | undefined> {
    return (await this.state.listSyncs(connector)).find((r) => r.state === "succeeded" && r.c1zAvailable);
  }

  /** Runs `use` against the latest finished sync; a 409 when there is none yet. */
  async with<T>(connector: string, use: (snapshot: Snapshot) => T | Promise<T>): Promise<T> {
    let entry = this.entries.get(connector);
    if (entry && !entry.stale && this.options.checkLatest) {
      const latest = await this.latestRecord(connector);
      if (latest?.id !== entry.record.id) this.invalidate(connector);
      entry = this.entries.get(connector);
    }
    if (!entry || entry.stale) {
      const record = await this.latestRecord(connector);
      if (!record) {
        throw conflict("no-finished-sync", `connector ${connector} has no finished sync yet; start one first`);
      }
      entry = this.entries.get(connector);
      if (!entry || entry.stale || entry.record.id !== record.id) {
        if (entry) this.retire(connector, entry);
        const opened = openStoredC1z(this.state, connector, record.id).then((store) => {
          if (!store) throw conflict("no-finished-sync", `the c1z of sync ${record.id} is no longer stored`);
          return store;
        });
        entry = { record, opened, users: 0, stale: false };
        this.entries.set(connector, entry);
        opened.catch(() => this.entries.get(connector) === entry && this.entries.delete(connector));
      }
    }
    entry.users++;
    try {
      const reader = await entry.opened;
      return await use({ record: entry.record, reader });
    } finally {
      entry.users--;
      if (entry.stale && entry.users === 0) this.close(entry);
    }
  }

  /** A newer sync finished: the next request opens it. */
  invalidate(connector: string): void {
    const entry = this.entries.get(connector);
    if (entry) this.retire(connector, entry);
  }

  private retire(connector: string, entry: Entry): void {
    entry.stale = true;
    if (this.entries.get(connector) === entry) this.entries.delete(connector);
    if (entry.users === 0) this.close(entry);
  }

  private close(entry: Entry): void {
    if (entry.closed) return;
    entry.closed = true;
    entry.opened.then((reader) => reader.close()).catch(() => undefined);
  }
}
