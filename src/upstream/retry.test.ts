import { describe, expect, it } from "vitest";
import type { Clock } from "./clock.ts";
import { TransientError } from "./errors.ts";
import { MAX_DELAY_MS, retryWait, withRetry } from "./retry.ts";

// Expected figures follow Go's pkg/retry rule (baton-model.md §2.11): attempts × 1 s, cap 60 s,
// remaining ≤ 0 ⇒ until reset, else ceil((reset − now) / remaining) whole seconds.
describe("retryWait", () => {
  const now = 1_700_000_000_000;
  it("backs off linearly and caps at 60 s", () => {
    const error = new TransientError("503");
    expect([1, 2, 3, 59, 60, 61, 500].map((attempt) => retryWait(attempt, error, now).waitMs)).toEqual([
      1000, 2000, 3000, 59_000, 60_000, 60_000, 60_000,
    ]);
  });

  it("waits until the reset when nothing remains", () => {
    const error = new TransientError("429", { remaining: 0, resetAt: now + 12_345 });
    expect(retryWait(1, error, now)).toEqual({ waitMs: 12_345, rateLimited: true });
  });

  it("spreads the remaining budget over the window in whole seconds", () => {
    const error = new TransientError("429", { remaining: 4, resetAt: now + 10_000 });
    expect(retryWait(7, error, now).waitMs).toBe(3000); // ceil(2.5 s)
  });

  it("ignores a reset in the past and caps a far reset", () => {
    expect(retryWait(2, new TransientError("x", { remaining: 0, resetAt: now - 1 }), now).waitMs).toBe(2000);
    expect(retryWait(1, new TransientError("x", { remaining: 0, resetAt: now + 3_600_000 }), now).waitMs).toBe(
      MAX_DELAY_MS,
    );
  });

  it("honours Retry-After given as a delay", () => {
    expect(retryWait(1, new TransientError("x", { retryAfterMs: 7000 }), now).waitMs).toBe(7000);
  });
});

describe("withRetry", () => {
  it("retries transient errors on the injected clock and rethrows others", async () => {
    const slept: number[] = [];
    let time = 0;
    const clock: Clock = {
      now: () => time,
      sleep: async (ms) => {
        slept.push(ms);
        time += ms;
      },
    };
    let calls = 0;
    const value = await withRetry(
      async () => {
        calls++;
        if (calls < 4) throw new TransientError("busy");
        return "ok";
      },
      clock,
      { onRetry() {} },
    );
    expect(value).toBe("ok");
    expect(slept).toEqual([1000, 2000, 3000]);
    await expect(
      withRetry(
        async () => {
          throw new Error("boom");
        },
        clock,
        { onRetry() {} },
      ),
    ).rejects.toThrow("boom");
    expect(slept).toHaveLength(3);
  });
});
