/**
 * The BatonService client: gRPC over HTTP/2 (TLS ≥ 1.2) to `<host>:443` or the
 * `BATON_C1_API_HOST` override, every call carrying `authorization: <type>
 * <token>`, the user agent `<clientName> baton-edge/<version>` and our host id
 * (baton-model.md §5.1–5.2). UploadAsset streams `metadata`, 512 KiB `data`
 * chunks and an `eof` with the SHA-256 of the whole file, up to 3 attempts; a file
 * is read anew for each attempt, in chunks, never whole.
 */
import { createHash } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import {
  BatonService,
  type BatonServiceFinishTaskRequest,
  type BatonServiceGetTaskResponse,
  type BatonServiceHeartbeatResponse,
  type BatonServiceHelloRequest,
  type BatonServiceUploadAssetRequest,
  BatonServiceUploadAssetRequestSchema,
} from "../proto/gen/c1/connectorapi/baton/v1/baton_pb.ts";
import type { Clock } from "../upstream/clock.ts";
import type { TokenSource } from "./token.ts";

/** baton-sdk's fileChunkSize. */
export const UPLOAD_CHUNK_BYTES = 512 * 1024;

/** The asset's bytes, or a function that reads them from the start as chunks of at most `UPLOAD_CHUNK_BYTES`. */
export type UploadAssetSource = Uint8Array | (() => AsyncIterable<Uint8Array>);

async function* assetChunks(asset: UploadAssetSource): AsyncIterable<Uint8Array> {
  if (typeof asset !== "function") {
    for (let offset = 0; offset < asset.length; offset += UPLOAD_CHUNK_BYTES) {
      yield asset.subarray(offset, Math.min(offset + UPLOAD_CHUNK_BYTES, asset.length));
    }
    return;
  }
  // A reader may reuse its buffer once the next chunk is asked for.
  for await (const chunk of asset()) yield chunk.slice();
}
const UPLOAD_ATTEMPTS = 3;
const UNARY_TIMEOUT_MS = 60_000;

export interface BatonClient {
  hello(request: Omit<BatonServiceHelloRequest, "$typeName" | "hostId">, signal?: AbortSignal): Promise<void>;
  getTask(signal?: AbortSignal): Promise<BatonServiceGetTaskResponse>;
  heartbeat(taskId: string, signal?: AbortSignal): Promise<BatonServiceHeartbeatResponse>;
  finishTask(request: Omit<BatonServiceFinishTaskRequest, "$typeName" | "hostId">): Promise<void>;
  uploadAsset(taskId: string, asset: UploadAssetSource, signal?: AbortSignal): Promise<void>;
  readonly hostId: string;
  close(): void;
}

export interface BatonClientOptions {
  /** `host[:port]`; port 443 when absent. */
  address: string;
  ca: string[];
  tokens: TokenSource;
  userAgent: string;
  hostId: string;
  clock: Clock;
  /** Told about every failed upload attempt that will be retried. */
  onUploadRetry?: (attempt: number, error: unknown) => void;
}

/** `host` → `host:443`; `host:port` and `[v6]:port` stay. */
export function grpcAuthority(host: string): string {
  if (/^\[[^\]]+\]:\d+$/.test(host) || /^[^:]+:\d+$/.test(host)) return host;
  return host.startsWith("[") || !host.includes(":") ? `${host}:443` : `[${host}]:443`;
}

export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
}

export function createBatonClient(options: BatonClientOptions): BatonClient {
  const { tokens, hostId } = options;
  const auth: Interceptor = (next) => async (req) => {
    const token = await tokens.token(req.signal);
    req.header.set("authorization", `${token.type} ${token.value}`);
    req.header.set("user-agent", options.userAgent);
    try {
      return await next(req);
    } catch (error) {
      // A token the API no longer accepts is exchanged again on the next call.
      if (error instanceof ConnectError && error.code === Code.Unauthenticated) tokens.invalidate();
      throw error;
    }
  };
  const baseUrl = `https://${grpcAuthority(options.address)}`;
  const sessions = new Http2SessionManager(baseUrl, undefined, { ca: options.ca, minVersion: "TLSv1.2" });
  const transport = createGrpcTransport({ baseUrl, interceptors: [auth], sessionManager: sessions });
  const rpc = createClient(BatonService, transport);

  const uploadOnce = async (taskId: string, asset: UploadAssetSource, signal?: AbortSignal) => {
    async function* messages(): AsyncIterable<BatonServiceUploadAssetRequest> {
      yield create(BatonServiceUploadAssetRequestSchema, { msg: { case: "metadata", value: { hostId, taskId } } });
      // The checksum of exactly the bytes sent, known once the last chunk is.
      const hash = createHash("sha256");
      for await (const data of assetChunks(asset)) {
        hash.update(data);
        yield create(BatonServiceUploadAssetRequestSchema, { msg: { case: "data", value: { data } } });
      }
      yield create(BatonServiceUploadAssetRequestSchema, {
        msg: { case: "eof", value: { sha256Checksum: new Uint8Array(hash.digest()) } },
      });
    }
    await rpc.uploadAsset(messages(), { signal });
  };

  return {
    hostId,
    async hello(request, signal) {
      await rpc.hello({ ...request, hostId }, { signal, timeoutMs: UNARY_TIMEOUT_MS });
    },
    getTask(signal) {
      return rpc.getTask({ hostId }, { signal, timeoutMs: UNARY_TIMEOUT_MS });
    },
    heartbeat(taskId, signal) {
      return rpc.heartbeat({ hostId, taskId }, { signal, timeoutMs: UNARY_TIMEOUT_MS });
    },
    async finishTask(request) {
      // Like Go: its own 30 s deadline, not the task's (possibly cancelled) context.
      await rpc.finishTask({ ...request, hostId }, { timeoutMs: 30_000 });
    },
    async uploadAsset(taskId, asset, signal) {
      for (let attempt = 0; ; attempt++) {
        try {
          await uploadOnce(taskId, asset, signal);
          return;
        } catch (error) {
          if (attempt + 1 >= UPLOAD_ATTEMPTS || signal?.aborted) throw error;
          options.onUploadRetry?.(attempt + 1, error);
          // Go waits 0 s, then 1 s.
          await options.clock.sleep(attempt * 1000, signal);
        }
      }
    },
    close() {
      sessions.abort();
    },
  };
}
