import { describe, expect, it } from "vitest";
import { checkpointSaveIntervalFromEnv } from "./server.ts";

describe("checkpointSaveIntervalFromEnv", () => {
  it("reads whole milliseconds, leaves the default when unset, and names the variable on bad input", () => {
    expect(checkpointSaveIntervalFromEnv({})).toBeUndefined();
    expect(checkpointSaveIntervalFromEnv({ BATON_CHECKPOINT_SAVE_INTERVAL_MS: "" })).toBeUndefined();
    expect(checkpointSaveIntervalFromEnv({ BATON_CHECKPOINT_SAVE_INTERVAL_MS: "0" })).toBe(0);
    expect(checkpointSaveIntervalFromEnv({ BATON_CHECKPOINT_SAVE_INTERVAL_MS: "60000" })).toBe(60000);
    for (const bad of ["-1", "1.5", "soon"]) {
      expect(() => checkpointSaveIntervalFromEnv({ BATON_CHECKPOINT_SAVE_INTERVAL_MS: bad })).toThrow(
        `BATON_CHECKPOINT_SAVE_INTERVAL_MS must be a whole number of milliseconds, got "${bad}"`,
      );
    }
  });
});
