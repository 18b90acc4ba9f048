/**
 * The few Cloudflare platform shapes the Durable Objects use, written out so
 * the code type-checks without the workers-types package and without naming
 * the platform in shared modules.
 */

/** One SQL call on a SQLite-backed Durable Object: synchronous, inside the object's own transaction. */
export interface SqlCursor<Row> extends Iterable<Row> {
  toArray(): Row[];
  one(): Row;
}

export type SqlValue = string | number | null | ArrayBuffer | Uint8Array;

export interface SqlStorage {
  exec<Row = Record<string, SqlValue>>(query: string, ...bindings: SqlValue[]): SqlCursor<Row>;
}

export interface DurableObjectStorage {
  readonly sql: SqlStorage;
  transactionSync<T>(fn: () => T): T;
  getAlarm(): Promise<number | null>;
  setAlarm(scheduledTime: number): Promise<void>;
  deleteAlarm(): Promise<void>;
  /** Resolves once every write so far is durable (writes are otherwise committed shortly after, in the background). */
  sync(): Promise<void>;
}

export interface DurableObjectState {
  readonly storage: DurableObjectStorage;
  waitUntil(promise: Promise<unknown>): void;
  blockConcurrencyWhile<T>(fn: () => Promise<T>): Promise<T>;
}

export interface AlarmInvocationInfo {
  retryCount: number;
  isRetry: boolean;
}

export interface DurableObjectId {
  toString(): string;
}

/** A namespace binding (`[[durable_objects.bindings]]`); `get` returns an RPC stub of `T`. */
export interface DurableObjectNamespace<T> {
  idFromName(name: string): DurableObjectId;
  get(id: DurableObjectId): T;
}

export interface ExecutionContextLike {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException?(): void;
}

export function isDurableObjectNamespace<T>(value: unknown): value is DurableObjectNamespace<T> {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { idFromName?: unknown }).idFromName === "function" &&
    typeof (value as { get?: unknown }).get === "function"
  );
}
