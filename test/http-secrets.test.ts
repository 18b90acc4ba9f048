/**
 * A connector whose warning and failure both quote its secret token, synced
 * over HTTP: every SSE event, the sync record and every log line show the
 * redaction marker and never the token.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/http/app.ts";
import { createMemoryStateStore } from "../src/http/state/memory.ts";
import type { SyncRecord } from "../src/http/state/store.ts";
import { collectLogs, inProcess, json, manualClock, parseSse, type Transport } from "./http-support.ts";
import leaky, { hold } from "./support/plugins/leaky/index.ts";

const SECRET = "sk_live_leaky-0123456789abcdef";

describe("secrets in a failing sync over HTTP", () => {
  const logs = collectLogs();
  let transport: Transport;
  beforeAll(() => {
    const app = createApp({
      connectors: [{ name: "leaky", plugin: leaky, config: { apiToken: SECRET } }],
      auth: { mode: "off" },
      state: createMemoryStateStore(),
      clock: manualClock(),
      log: logs.sink,
    });
    transport = inProcess(app);
  });
  afterAll(() => transport.close());

  it("streams, records and logs the warning and the error redacted", async () => {
    let release!: () => void;
    hold.until = new Promise((resolve) => {
      release = resolve;
    });
    try {
      const started = await transport.request("/v1/connectors/leaky/syncs", json({}));
      expect(started.status).toBe(202);
      const { location } = (await started.json()) as { location: string };
      // Subscribed before the plugin runs, so the stream carries every event live, warnings included.
      const response = await transport.request(`${location}/events`);
      release();
      const events = parseSse(await response.text());

      const warnings = events.filter((e) => e.event === "warning");
      expect(warnings).toHaveLength(1);
      expect((JSON.parse(warnings[0].data) as { message: string }).message).toContain("group g1 is gone");
      expect(warnings[0].data).toContain("[redacted]");
      const result = events.at(-1)!;
      expect(result.event).toBe("result");
      const streamed = JSON.parse(result.data) as SyncRecord;
      expect(streamed.state).toBe("failed");
      expect(streamed.error?.detail).toContain("postgres://app:[redacted]@db.internal");
      for (const event of events) expect(event.data, `${event.event} event`).not.toContain(SECRET);

      const record = await (await transport.request(location)).text();
      expect(record).toContain("[redacted]");
      expect(record).not.toContain(SECRET);

      const lines = logs.lines.map((line) => JSON.stringify(line));
      expect(lines.join("\n")).not.toContain(SECRET);
      const listing = logs.lines.find((line) => line.msg.startsWith("listing users"));
      expect(listing).toMatchObject({ msg: "listing users with token [redacted]", token: "[redacted]" });
      // A pagination cursor is not a credential: it stays readable in the logs.
      expect(listing?.pageToken).toBe("page-2");
    } finally {
      release();
      hold.until = Promise.resolve();
    }
  });
});
