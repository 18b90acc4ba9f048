import { describe, expect, it } from "vitest";
import type { C1zWriter } from "../c1z/store.ts";
import { type CheckpointSink, checkpointsIn, throttledSaves } from "./checkpoints.ts";

/** Only `toBytes` is used: each call returns the next "state" of the store. */
function fakeStore(): C1zWriter & { version: number } {
  const store = { version: 0, toBytes: () => new Uint8Array([++store.version]) };
  return store as unknown as C1zWriter & { version: number };
}

function recordingSink(failTimes = 0): CheckpointSink<string> & { saved: [string, number][] } {
  let failures = failTimes;
  const saved: [string, number][] = [];
  return {
    saved,
    load: async () => undefined,
    save: async (key, bytes) => {
      if (failures-- > 0) throw new Error("disk full");
      saved.push([key, bytes[0]!]);
    },
    clear: async () => {},
  };
}

describe("throttled checkpoint saves", () => {
  it("saves at the first checkpoint, then only when the interval has passed", async () => {
    let now = 1000;
    const sink = recordingSink();
    const store = fakeStore();
    const saveTo = checkpointsIn(sink, "k");
    const onCheckpoint = throttledSaves(() => saveTo.save(store), {
      now: () => now,
      minIntervalMs: 30,
      onError: () => {},
    });
    await onCheckpoint();
    now += 29;
    await onCheckpoint();
    now += 1;
    await onCheckpoint();
    now += 100;
    await onCheckpoint();
    // The second call came too soon: bytes were taken (and saved) at calls 1, 3 and 4 only.
    expect(sink.saved).toEqual([
      ["k", 1],
      ["k", 2],
      ["k", 3],
    ]);
    expect(store.version).toBe(3);
  });

  it("a failed save is reported and the next due checkpoint saves again", async () => {
    let now = 0;
    const sink = recordingSink(1);
    const errors: string[] = [];
    const saveTo = checkpointsIn(sink, "k");
    const store = fakeStore();
    const onCheckpoint = throttledSaves(() => saveTo.save(store), {
      now: () => now,
      minIntervalMs: 10,
      onError: (error) => errors.push((error as Error).message),
    });
    await onCheckpoint();
    expect(errors).toEqual(["disk full"]);
    now += 10;
    await onCheckpoint();
    expect(sink.saved).toEqual([["k", 2]]);
  });
});
