import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ConnectorJob } from "./connectors.ts";
import { CheckpointConfigError, locationCheckpoints } from "./location-checkpoints.ts";

const job: ConnectorJob = { name: "acme", plugin: "acme", config: {}, secrets: {}, destination: "x.c1z" };

describe("locationCheckpoints", () => {
  it("keeps one checkpoint per connector at the template's location and removes it when cleared", async () => {
    const dir = mkdtempSync(join(tmpdir(), "baton-ckpt-"));
    try {
      const sink = locationCheckpoints(join(dir, "{connector}.partial.c1z"), {});
      expect(await sink.load(job)).toBeUndefined();
      await sink.save(job, new Uint8Array([1, 2, 3]));
      expect([...readFileSync(join(dir, "acme.partial.c1z"))]).toEqual([1, 2, 3]);
      expect([...((await sink.load(job)) ?? [])]).toEqual([1, 2, 3]);
      await sink.clear(job);
      expect(await sink.load(job)).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("requires {connector} and refuses {syncId}/{date}", () => {
    expect(() => locationCheckpoints("r2://B/checkpoint.c1z", {})).toThrow(CheckpointConfigError);
    expect(() => locationCheckpoints("r2://B/{connector}/{date}.c1z", {})).toThrow(/only \{connector\}/);
  });
});
