import { describe, expect, it } from "vitest";
import { createIdempotency } from "./idempotency.ts";
import { HttpProblem } from "./problem.ts";
import { createMemoryStateStore } from "./state/memory.ts";

describe("Idempotency-Key records", () => {
  it("replays the first success, refuses another request under the key, and forgets after the TTL", async () => {
    let now = 1_000;
    const idem = createIdempotency(createMemoryStateStore(), () => now, { ttlMs: 60_000 });
    let calls = 0;
    const work = async () => ({ status: 201, body: { call: ++calls } });
    expect(await idem.run("k", "POST /a\n{}", work)).toEqual({ status: 201, body: { call: 1 } });
    const replay = await idem.run("k", "POST /a\n{}", work);
    expect(replay.body).toEqual({ call: 1 });
    expect(replay.headers).toEqual({ "idempotent-replayed": "true" });
    await expect(idem.run("k", 'POST /a\n{"x":1}', work)).rejects.toMatchObject({ status: 422 });
    now += 60_000;
    expect((await idem.run("k", "POST /a\n{}", work)).body).toEqual({ call: 2 });
  });

  it("does not remember failures, so the client may retry with the same key", async () => {
    const idem = createIdempotency(createMemoryStateStore(), () => 0);
    await expect(
      idem.run("k", "f", async () => {
        throw new HttpProblem(502, "connector-error", "Connector error", "upstream down");
      }),
    ).rejects.toBeInstanceOf(HttpProblem);
    expect(await idem.run("k", "f", async () => ({ status: 200, body: "ok" }))).toEqual({ status: 200, body: "ok" });
  });

  it("stores what `storable` keeps, not the plaintext answer", async () => {
    const state = createMemoryStateStore();
    const idem = createIdempotency(state, () => 0, {
      storable: (reply) => ({ ...reply, body: { secret: null } }),
    });
    const first = await idem.run("k", "f", async () => ({ status: 201, body: { secret: "p@ss" } }));
    expect(first.body).toEqual({ secret: "p@ss" });
    expect((await idem.run("k", "f", async () => ({ status: 500, body: null }))).body).toEqual({ secret: null });
    expect(JSON.stringify(await state.getIdempotency("k"))).not.toContain("p@ss");
  });
});
