/** Starting syncs, following them (JSON and SSE), and downloading their c1z. */
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { conflict, HttpProblem, notFound } from "../problem.ts";
import { type AnyRoute, type AppEnv, route } from "../route.ts";
import {
  Accepted,
  ConnectorParams,
  SyncList,
  SyncListQuery,
  SyncParams,
  SyncRecordSchema,
  SyncRequestBody,
} from "../schemas.ts";
import type { AppServices } from "../services.ts";
import type { SyncRecord } from "../state/store.ts";
import type { SyncEvent } from "../syncs/manager.ts";

const HEARTBEAT_MS = 15_000;

/** On Workers, keeps the isolate alive until the background sync ends; elsewhere the process does. */
function keepAlive(c: Context<AppEnv>, work: Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(work);
  } catch {
    // No execution context (Node, Bun, Deno): the event loop keeps the work alive.
  }
}

export function syncRoutes(services: AppServices): AnyRoute[] {
  const findSync = async (name: string, id: string): Promise<SyncRecord> => {
    services.connector(name);
    // After a restart, a sync left running is resumed or marked interrupted first.
    await services.syncs.ready;
    const record = await services.syncs.get(name, id);
    if (!record) throw notFound(`no sync ${id} for connector ${name}`);
    return record;
  };

  return [
    route({
      method: "post",
      path: "/v1/connectors/{name}/syncs",
      operationId: "startSync",
      summary: "Start a sync in the background.",
      description: "Answers 202 with the sync id at once; 409 while a sync of this connector is running.",
      tag: "syncs",
      scope: "sync:write",
      params: ConnectorParams,
      body: SyncRequestBody,
      responses: {
        202: { description: "Started", schema: Accepted },
        409: { description: "A sync of this connector is already running" },
      },
      handler: async (c, { params, body, requestId, log }) => {
        const entry = services.connector(params.name);
        await services.syncs.ready;
        const result = await services.syncs.start(entry, body, requestId);
        if (!result.started) {
          throw conflict("sync-running", `a sync of connector ${params.name} is already running`, {
            runningSyncId: result.running.id,
          });
        }
        await result.persisted;
        keepAlive(c, result.done);
        const location = `/v1/connectors/${params.name}/syncs/${result.record.id}`;
        log.info("sync accepted", { syncId: result.record.id, connector: params.name });
        return {
          status: 202,
          body: { id: result.record.id, connector: params.name, state: result.record.state, location },
          headers: { location },
        };
      },
    }),
    route({
      method: "get",
      path: "/v1/connectors/{name}/syncs",
      operationId: "listSyncs",
      summary: "Recent syncs of a connector, newest first.",
      tag: "syncs",
      scope: "sync:read",
      params: ConnectorParams,
      query: SyncListQuery,
      responses: { 200: { description: "Sync records", schema: SyncList } },
      handler: async (_c, { params, query }) => {
        services.connector(params.name);
        return { status: 200, body: { syncs: await services.syncs.list(params.name, query.limit ?? 20) } };
      },
    }),
    route({
      method: "get",
      path: "/v1/connectors/{name}/syncs/{id}",
      operationId: "getSync",
      summary: "One sync: state, phase, counts, timings, warnings, error.",
      tag: "syncs",
      scope: "sync:read",
      params: SyncParams,
      responses: { 200: { description: "The sync record", schema: SyncRecordSchema } },
      handler: async (_c, { params }) => ({ status: 200, body: await findSync(params.name, params.id) }),
    }),
    route({
      method: "get",
      path: "/v1/connectors/{name}/syncs/{id}/events",
      operationId: "syncEvents",
      summary: "Server-Sent Events: phases and progress in order, ending with a `result` event.",
      description:
        "Event names: phase, progress, warning, retry, checkpoint, result. Each data field is JSON. " +
        "A finished sync replays its phases and its result. Honours Last-Event-ID while the sync runs.",
      tag: "syncs",
      scope: "sync:read",
      params: SyncParams,
      responses: { 200: { description: "An event stream", contentType: "text/event-stream" } },
      handler: async (c, { params }) => {
        await findSync(params.name, params.id);
        const lastId = Number.parseInt(c.req.header("last-event-id") ?? "0", 10) || 0;
        return streamSSE(c, async (stream) => {
          const queue: SyncEvent[] = [];
          let wake: (() => void) | undefined;
          let aborted = false;
          const unsubscribe = services.syncs.subscribe(params.name, params.id, lastId, (event) => {
            queue.push(event);
            wake?.();
          });
          if (!unsubscribe) {
            const record = (await services.syncs.get(params.name, params.id))!;
            const replay: SyncEvent[] = record.phases.map((p, i) => ({ seq: i + 1, event: "phase", data: p }));
            replay.push({ seq: replay.length + 1, event: "result", data: record });
            for (const event of replay) {
              await stream.writeSSE({ event: event.event, id: String(event.seq), data: JSON.stringify(event.data) });
            }
            return;
          }
          stream.onAbort(() => {
            aborted = true;
            unsubscribe();
            wake?.();
          });
          // A comment line now and then keeps proxies from closing a stream during a long quiet phase.
          const heartbeat = setInterval(() => {
            stream.write(": keep-alive\n\n").catch(() => undefined);
          }, HEARTBEAT_MS);
          try {
            while (!aborted) {
              const event = queue.shift();
              if (!event) {
                await new Promise<void>((resolve) => {
                  wake = resolve;
                });
                wake = undefined;
                continue;
              }
              await stream.writeSSE({ event: event.event, id: String(event.seq), data: JSON.stringify(event.data) });
              if (event.event === "result") break;
            }
          } finally {
            clearInterval(heartbeat);
            unsubscribe();
          }
        });
      },
    }),
    route({
      method: "get",
      path: "/v1/connectors/{name}/syncs/{id}/c1z",
      operationId: "downloadC1z",
      summary: "The c1z file a successful sync wrote.",
      tag: "syncs",
      scope: "sync:read",
      params: SyncParams,
      responses: {
        200: { description: "The c1z file", contentType: "application/c1z" },
        409: { description: "The sync has not succeeded" },
        410: { description: "The file is no longer retained" },
      },
      handler: async (_c, { params }) => {
        const record = await findSync(params.name, params.id);
        if (record.state !== "succeeded") {
          throw conflict(
            "sync-not-succeeded",
            `sync ${record.id} is ${record.state}; only a succeeded sync has a file`,
          );
        }
        const { state } = services;
        const file = !record.c1zAvailable
          ? undefined
          : state.getC1zStream
            ? await state.getC1zStream(params.name, params.id)
            : await state
                .getC1z(params.name, params.id)
                .then((bytes) => bytes && { bytes: bytes.byteLength, stream: bytes });
        if (!file) {
          throw new HttpProblem(410, "c1z-pruned", "Gone", `the c1z of sync ${record.id} is no longer retained`);
        }
        return new Response(file.stream as Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array>, {
          status: 200,
          headers: {
            "content-type": "application/c1z",
            "content-length": String(file.bytes),
            "content-disposition": `attachment; filename="${params.name}-${record.id}.c1z"`,
          },
        });
      },
    }),
  ];
}
