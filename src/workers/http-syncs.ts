/**
 * `POST /v1/connectors/{name}/syncs` and the sync reads on Workers: the
 * connector's Durable Object takes the lock and runs the sync step by step,
 * so two isolates (or two requests either side of a restart) get one 202 and
 * one 409. The event stream follows the stored record, polled, since the sync
 * runs in the object and not in the isolate holding the stream.
 */

import type { SyncRecord } from "../http/state/store.ts";
import type { SyncEvent } from "../http/syncs/manager.ts";
import type { SyncRunner } from "../http/syncs/runner.ts";
import { type ConnectorObjects, connectorObject } from "./stubs.ts";

const POLL_MS = 1000;

const terminal = (record: SyncRecord) => record.state === "succeeded" || record.state === "failed";

export function durableSyncRunner(namespace: ConnectorObjects, options: { pollMs?: number } = {}): SyncRunner {
  const of = (connector: string) => connectorObject(namespace, connector);
  return {
    ready: Promise.resolve(),
    async start(entry, request, requestId) {
      const reply = await of(entry.name).startSync({ connector: entry.name, trigger: "http", request, requestId });
      if (!reply.started) return { started: false, running: reply.running };
      return {
        started: true,
        record: reply.record,
        persisted: Promise.resolve(),
        // The object runs it; nothing in this isolate has to stay alive.
        done: Promise.resolve(reply.record),
      };
    },
    get: (connector, id) => of(connector).getSync(id),
    async list(connector, limit) {
      return (await of(connector).listSyncs(limit)).slice(0, limit);
    },
    subscribe(connector, id, afterSeq, listener) {
      let seq = 0;
      let phasesSent = 0;
      let countsSent = "";
      let stopped = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const emit = (event: SyncEvent["event"], data: unknown) => {
        seq++;
        if (seq > afterSeq) listener({ seq, event, data });
      };
      const poll = async () => {
        if (stopped) return;
        const record = await of(connector)
          .getSync(id)
          .catch(() => undefined);
        if (stopped) return;
        if (record) {
          for (; phasesSent < record.phases.length; phasesSent++) emit("phase", record.phases[phasesSent]);
          const counts = JSON.stringify(record.counts);
          if (counts !== countsSent && !terminal(record)) {
            countsSent = counts;
            emit("progress", { phase: record.phase, written: record.counts, invocations: record.invocations });
          }
          if (terminal(record)) {
            emit("result", record);
            return;
          }
        }
        timer = setTimeout(poll, options.pollMs ?? POLL_MS);
      };
      void poll();
      return () => {
        stopped = true;
        if (timer) clearTimeout(timer);
      };
    },
  };
}
