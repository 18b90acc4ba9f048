/** Shared by the test/http-*.test.ts files: a real socket, a hand-driven clock, JWTs, collected logs. */
import type { Server } from "node:net";
import { serve } from "@hono/node-server";
import type { Hono } from "hono";
import type { AppEnv } from "../src/http/route.ts";
import type { LogLine } from "../src/log/index.ts";
import type { Clock } from "../src/sync/types.ts";

export interface Transport {
  name: string;
  request(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/** `app.request`: the app in process, no socket. */
export function inProcess(app: Hono<AppEnv>): Transport {
  return {
    name: "app.request",
    request: async (path, init) => app.request(path, init),
    close: async () => {},
  };
}

/** The app behind @hono/node-server on an ephemeral port, driven with fetch. */
export async function overSocket(app: Hono<AppEnv>): Promise<Transport & { baseUrl: string }> {
  const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) =>
      resolve({ server: s, port: info.port }),
    );
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    name: "socket",
    baseUrl,
    request: (path, init) => fetch(baseUrl + path, init),
    close: () =>
      new Promise<void>((resolve) => {
        (server as unknown as Server).close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}

/** A clock the test moves by hand; `sleep` returns at once after advancing it. */
export function manualClock(start = Date.UTC(2026, 10, 28, 12, 0, 0)): Clock & { advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

export function collectLogs(): { lines: LogLine[]; sink: (line: LogLine) => void } {
  const lines: LogLine[] = [];
  return { lines, sink: (line) => lines.push(line) };
}

export const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

/** Parses a complete SSE body into events, as the EventSource algorithm does. */
export function parseSse(text: string): { event: string; id?: string; data: string }[] {
  const events: { event: string; id?: string; data: string }[] = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    if (!block.trim()) continue;
    let event = "message";
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") event = value;
      else if (field === "id") id = value;
      else if (field === "data") data.push(value);
    }
    events.push({ event, id, data: data.join("\n") });
  }
  return events;
}
