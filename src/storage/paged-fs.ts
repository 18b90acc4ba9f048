/**
 * A file node for Emscripten's FS whose bytes live in a `PageStore`, so sql.js keeps only
 * SQLite's own page cache and a few pages here in memory, whatever the database's size.
 * The node replaces MEMFS's ops on one file (as sql.js's own `export()` does for its
 * temporary file); directories and every other file stay MEMFS.
 */
import type { PageStore } from "./paged-store.ts";

/** The slice of Emscripten's FS object (and its nodes) this module uses. */
export interface EmscriptenFS {
  mkdir(path: string): unknown;
  rmdir(path: string): void;
  unlink(path: string): void;
  chdir(path: string): void;
  cwd(): string;
  writeFile(path: string, data: Uint8Array): void;
  lookupPath(path: string): { node: FSNode };
  isFile(mode: number): boolean;
  ErrnoError: new (errno: number) => Error;
}

export interface FSNode {
  id: number;
  name: string;
  mode: number;
  rdev?: number;
  atime: number;
  mtime: number;
  ctime: number;
  node_ops: Record<string, (...args: never[]) => unknown>;
  stream_ops: Record<string, (...args: never[]) => unknown>;
}

interface FSStream {
  node: FSNode;
  position: number;
}

const EINVAL = 28;
const EIO = 29;

/** Byte-level reads and writes over a page store, with a small LRU of clean pages. */
export class PagedFile {
  private readonly cache = new Map<number, Uint8Array>();
  private composed: Uint8Array | undefined;

  constructor(
    readonly store: PageStore,
    private readonly cachePages = 64,
  ) {}

  size(): number {
    return this.store.size();
  }

  private page(index: number): Uint8Array | undefined {
    const cached = this.cache.get(index);
    if (cached) {
      this.cache.delete(index);
      this.cache.set(index, cached);
      return cached;
    }
    const page = this.store.readPage(index);
    if (page) this.remember(index, page);
    return page;
  }

  private remember(index: number, page: Uint8Array): void {
    this.cache.delete(index);
    this.cache.set(index, page);
    if (this.cache.size > this.cachePages) this.cache.delete(this.cache.keys().next().value as number);
  }

  read(target: Uint8Array, position: number): number {
    const size = this.store.size();
    if (position >= size) return 0;
    const length = Math.min(target.length, size - position);
    const pageSize = this.store.pageSize;
    let done = 0;
    while (done < length) {
      const at = position + done;
      const index = Math.floor(at / pageSize);
      const inPage = at - index * pageSize;
      const n = Math.min(pageSize - inPage, length - done);
      const page = this.page(index);
      if (page) target.set(page.subarray(inPage, inPage + n), done);
      else target.fill(0, done, done + n);
      done += n;
    }
    return length;
  }

  write(source: Uint8Array, position: number): void {
    const pageSize = this.store.pageSize;
    const size = this.store.size();
    // A store that copies gets one reused array (and the page leaves the LRU: SQLite caches it).
    const reuse = this.store.copiesPages === true;
    let done = 0;
    while (done < source.length) {
      const at = position + done;
      const index = Math.floor(at / pageSize);
      const inPage = at - index * pageSize;
      const n = Math.min(pageSize - inPage, source.length - done);
      if (reuse && !this.composed) this.composed = new Uint8Array(pageSize);
      const page = reuse && this.composed ? this.composed : new Uint8Array(pageSize);
      if (n < pageSize) {
        const old = index * pageSize < size ? this.page(index) : undefined;
        if (old) page.set(old);
        else page.fill(0);
      }
      page.set(source.subarray(done, done + n), inPage);
      this.store.writePage(index, page);
      if (reuse) this.cache.delete(index);
      else this.remember(index, page);
      done += n;
    }
    if (position + source.length > size) this.store.setSize(position + source.length);
  }

  truncate(bytes: number): void {
    const pageSize = this.store.pageSize;
    const size = this.store.size();
    if (bytes < size && bytes % pageSize !== 0) {
      // The cut page's tail must read as zeros if the file grows again.
      const index = Math.floor(bytes / pageSize);
      const old = this.page(index);
      if (old) {
        const page = new Uint8Array(pageSize);
        page.set(old.subarray(0, bytes - index * pageSize));
        this.store.writePage(index, page);
        this.remember(index, page);
      }
    }
    for (const index of this.cache.keys()) if (index * pageSize >= bytes) this.cache.delete(index);
    this.store.setSize(bytes);
  }

  sync(): void {
    this.store.sync();
  }

  /** The last store failure SQLite saw as an I/O error. */
  failure: unknown;

  /** A store operation failed: drop the staged state and the pages cached from it. */
  fail(error: unknown): void {
    this.failure = error;
    this.cache.clear();
    try {
      this.store.rollback();
    } catch {
      // The store is down; opening it again drops the staged writes too.
    }
  }
}

function bytesOf(buffer: ArrayBufferView, offset: number, length: number): Uint8Array {
  // Emscripten passes HEAP8 (an Int8Array): a Uint8Array view copies without converting.
  return new Uint8Array(buffer.buffer, buffer.byteOffset + offset, length);
}

/**
 * Turns a freshly created MEMFS file node into a paged one. A store that fails becomes an
 * EIO for SQLite (a JS exception unwinding through wasm would leave SQLite half-updated);
 * SQLite then rolls back, the staged writes are dropped, and `file.failure` keeps the cause.
 */
export function makePagedNode(FS: EmscriptenFS, node: FSNode, file: PagedFile, onClose?: () => void): void {
  const guarded =
    <A extends unknown[], R>(op: (...args: A) => R) =>
    (...args: A): R => {
      try {
        return op(...args);
      } catch (error) {
        if (error instanceof FS.ErrnoError) throw error;
        file.fail(error);
        throw new FS.ErrnoError(EIO);
      }
    };
  if (!FS.isFile(node.mode)) throw new Error("a paged node must be a regular file");
  const getattr = (n: FSNode) => {
    const size = file.size();
    return {
      dev: 1,
      ino: n.id,
      mode: n.mode,
      nlink: 1,
      uid: 0,
      gid: 0,
      rdev: n.rdev ?? 0,
      size,
      atime: new Date(n.atime),
      mtime: new Date(n.mtime),
      ctime: new Date(n.ctime),
      blksize: file.store.pageSize,
      blocks: Math.ceil(size / file.store.pageSize),
    };
  };
  const setattr = (
    n: FSNode,
    attr: { mode?: number; atime?: number; mtime?: number; ctime?: number; size?: number },
  ) => {
    if (attr.mode != null) n.mode = attr.mode;
    if (attr.atime != null) n.atime = attr.atime;
    if (attr.mtime != null) n.mtime = attr.mtime;
    if (attr.ctime != null) n.ctime = attr.ctime;
    if (attr.size !== undefined) file.truncate(attr.size);
  };
  node.node_ops = { getattr: guarded(getattr), setattr: guarded(setattr) } as FSNode["node_ops"];
  node.stream_ops = {
    llseek: guarded((stream: FSStream, offset: number, whence: number) => {
      const position = whence === 1 ? stream.position + offset : whence === 2 ? file.size() + offset : offset;
      if (position < 0) throw new FS.ErrnoError(EINVAL);
      return position;
    }),
    read: guarded((_: FSStream, buffer: ArrayBufferView, offset: number, length: number, position: number) =>
      file.read(bytesOf(buffer, offset, length), position),
    ),
    write: guarded((stream: FSStream, buffer: ArrayBufferView, offset: number, length: number, position: number) => {
      if (length === 0) return 0;
      file.write(bytesOf(buffer, offset, length), position);
      stream.node.mtime = stream.node.ctime = Date.now();
      return length;
    }),
    fsync: guarded(() => {
      file.sync();
      return 0;
    }),
    ...(onClose ? { close: guarded(() => onClose()) } : {}),
  } as FSNode["stream_ops"];
}

/** What a directory's new file becomes: paged (and what to do when it is closed), or MEMFS. */
export type PagedFileFor = (name: string) => { file: PagedFile; onClose?: () => void } | undefined;

/**
 * Makes `dir` (a MEMFS directory) create its files as paged ones where `paged` says so:
 * SQLite opens its database, journal and temp files with O_CREAT, which lands in the
 * directory's `mknod`.
 */
export function pageFilesIn(FS: EmscriptenFS, dir: string, paged: PagedFileFor): void {
  const node = FS.lookupPath(dir).node;
  const ops = node.node_ops as unknown as {
    mknod: (parent: FSNode, name: string, mode: number, dev: number) => FSNode;
  };
  const mknod = ops.mknod;
  node.node_ops = {
    ...node.node_ops,
    mknod(parent: FSNode, name: string, mode: number, dev: number) {
      const created = mknod(parent, name, mode, dev);
      const chosen = FS.isFile(mode) ? paged(name) : undefined;
      if (chosen) makePagedNode(FS, created, chosen.file, chosen.onClose);
      return created;
    },
  } as FSNode["node_ops"];
}
