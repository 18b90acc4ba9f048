/**
 * The state store for Node, Bun and Deno: a data directory that survives a
 * restart. Imported by the runtime entry points, never by the app itself
 * (Workers have no filesystem).
 *
 *   <dir>/syncs/<connector>/<id>.json   sync records
 *   <dir>/syncs/<connector>/<id>.c1z    the file a successful sync wrote
 *   <dir>/idempotency/<sha256>.json     idempotency records
 *   <dir>/plugin-state/<connector>.json a plugin's own state between runs
 *   <dir>/checkpoints/<connector>/<id>.c1z the unfinished c1z of a running sync (in-memory engines)
 *   <dir>/work/<connector>/<id>.work.db  the database of a running sync (native file engine;
 *                                         `BATON_WORK_DIR` moves it), also its checkpoint
 *   <dir>/work/<connector>/<id>.*.read.db a finished sync's c1z opened for the read routes
 *
 * Every write is a temp file + rename, so a crash never leaves half a record.
 */
import { mkdir, readdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { fileChunks, writeFileAtomic } from "../../c1z/file.ts";
import { removeC1zWorkFile } from "../../c1z/work-file.ts";
import { canUseWorkFile, openC1zReadCopy, saveC1zFile, workFileSync } from "../../jobs/work-file.ts";
import {
  type IdempotencyRecord,
  newestFirst,
  type SyncKey,
  type SyncRecord,
  type SyncStateStore,
  type SyncWorkFiles,
} from "./store.ts";

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function safe(name: string): string {
  if (!SAFE_NAME.test(name) || name.includes("..")) throw new Error(`unsafe name for a state file: ${name}`);
  return name;
}

function writeAtomic(path: string, content: Uint8Array | string): Promise<void> {
  return writeFileAtomic(path, typeof content === "string" ? new TextEncoder().encode(content) : content);
}

async function readIfExists(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return undefined;
    throw error;
  }
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Read copies a previous process left open when it died (they are never reopened). */
async function removeReadCopies(workDir: string): Promise<void> {
  const connectors = await readdir(workDir).catch(() => [] as string[]);
  for (const connector of connectors) {
    const names = await readdir(join(workDir, connector)).catch(() => [] as string[]);
    for (const name of names.filter((n) => /\.read\.db(-journal)?$/.test(n))) {
      await rm(join(workDir, connector, name), { force: true });
    }
  }
}

export interface FsStateOptions {
  /** Where running syncs' work files go; default `<dataDir>/work`. */
  workDir?: string;
}

export async function createFsStateStore(dataDir: string, options: FsStateOptions = {}): Promise<SyncStateStore> {
  const syncDir = (connector: string) => join(dataDir, "syncs", safe(connector));
  const idemDir = join(dataDir, "idempotency");
  await mkdir(join(dataDir, "syncs"), { recursive: true });
  await mkdir(idemDir, { recursive: true });
  const pluginStateDir = join(dataDir, "plugin-state");
  await mkdir(pluginStateDir, { recursive: true });
  const checkpointDir = (connector: string) => join(dataDir, "checkpoints", safe(connector));
  const decoder = new TextDecoder();
  const workDir = options.workDir ?? join(dataDir, "work");
  await removeReadCopies(workDir);
  const workPath = ({ connector, id }: SyncKey) => join(workDir, safe(connector), `${safe(id)}.work.db`);
  const workFiles: SyncWorkFiles = {
    sync: (key, load) => workFileSync(workPath(key), load),
    has: (key) => workFileSync(workPath(key), async () => undefined).resumable(),
    remove: (key) => removeC1zWorkFile(workPath(key)),
    async putC1z({ connector, id }, store) {
      await mkdir(syncDir(connector), { recursive: true });
      return saveC1zFile(join(syncDir(connector), `${safe(id)}.c1z`), store);
    },
    async openC1z({ connector, id }) {
      if (!SAFE_NAME.test(id) || !SAFE_NAME.test(connector)) return undefined;
      const bytes = await readIfExists(join(syncDir(connector), `${id}.c1z`));
      if (!bytes) return undefined;
      // Several readers of one sync (reads, a review) each get their own copy.
      const copy = `${id}.${crypto.randomUUID().slice(0, 8)}.read.db`;
      return openC1zReadCopy(join(workDir, connector, copy), bytes);
    },
  };

  return {
    ...((await canUseWorkFile()) && { workFiles }),
    async putSync(record) {
      await mkdir(syncDir(record.connector), { recursive: true });
      await writeAtomic(join(syncDir(record.connector), `${safe(record.id)}.json`), JSON.stringify(record));
    },
    async getSync(connector, id) {
      if (!SAFE_NAME.test(id) || !SAFE_NAME.test(connector)) return undefined;
      const bytes = await readIfExists(join(syncDir(connector), `${id}.json`));
      return bytes && (JSON.parse(decoder.decode(bytes)) as SyncRecord);
    },
    async listSyncs(connector) {
      let names: string[];
      try {
        names = await readdir(syncDir(connector));
      } catch (error) {
        if ((error as { code?: string }).code === "ENOENT") return [];
        throw error;
      }
      const records: SyncRecord[] = [];
      for (const name of names.filter((n) => n.endsWith(".json"))) {
        const bytes = await readIfExists(join(syncDir(connector), name));
        if (bytes) records.push(JSON.parse(decoder.decode(bytes)) as SyncRecord);
      }
      return records.sort(newestFirst);
    },
    async putC1z(connector, id, bytes) {
      await mkdir(syncDir(connector), { recursive: true });
      await writeAtomic(join(syncDir(connector), `${safe(id)}.c1z`), bytes);
    },
    async getC1z(connector, id) {
      if (!SAFE_NAME.test(id) || !SAFE_NAME.test(connector)) return undefined;
      return readIfExists(join(syncDir(connector), `${id}.c1z`));
    },
    async getC1zStream(connector, id) {
      if (!SAFE_NAME.test(id) || !SAFE_NAME.test(connector)) return undefined;
      const path = join(syncDir(connector), `${id}.c1z`);
      const size = await stat(path).then(
        (s) => s.size,
        () => undefined,
      );
      if (size === undefined) return undefined;
      const chunks = fileChunks(path)[Symbol.asyncIterator]();
      const stream = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const next = await chunks.next();
          // The reader reuses its buffer: each chunk is copied out.
          if (next.done) controller.close();
          else controller.enqueue(next.value.slice());
        },
        async cancel() {
          await chunks.return?.(undefined);
        },
      });
      return { bytes: size, stream };
    },
    async deleteC1z(connector, id) {
      await rm(join(syncDir(connector), `${safe(id)}.c1z`), { force: true });
    },
    async getIdempotency(key) {
      const bytes = await readIfExists(join(idemDir, `${await sha256Hex(key)}.json`));
      return bytes && (JSON.parse(decoder.decode(bytes)) as IdempotencyRecord);
    },
    async putIdempotency(key, record) {
      await writeAtomic(join(idemDir, `${await sha256Hex(key)}.json`), JSON.stringify(record));
    },
    async deleteIdempotency(key) {
      await rm(join(idemDir, `${await sha256Hex(key)}.json`), { force: true });
    },
    async getPluginState(connector) {
      const bytes = await readIfExists(join(pluginStateDir, `${safe(connector)}.json`));
      return bytes && decoder.decode(bytes);
    },
    async putPluginState(connector, text) {
      await writeAtomic(join(pluginStateDir, `${safe(connector)}.json`), text);
    },
    checkpoints: {
      async load({ connector, id }) {
        if (!SAFE_NAME.test(id) || !SAFE_NAME.test(connector)) return undefined;
        return readIfExists(join(checkpointDir(connector), `${id}.c1z`));
      },
      async save({ connector, id }, bytes) {
        await mkdir(checkpointDir(connector), { recursive: true });
        await writeAtomic(join(checkpointDir(connector), `${safe(id)}.c1z`), bytes);
      },
      async clear({ connector, id }) {
        await rm(join(checkpointDir(connector), `${safe(id)}.c1z`), { force: true });
      },
    },
  };
}
