import { describe, expect, it } from "vitest";
import { NotFoundError, TransientError } from "./errors.ts";

describe("plugin errors", () => {
  it("are recognised when thrown from another copy of this module", async () => {
    // A second module instance, as a plugin loaded from the sources beside the prebuilt CLI has.
    const copy = (await import(/* @vite-ignore */ `./errors.ts?copy=${Date.now()}`)) as typeof import("./errors.ts");
    expect(copy.NotFoundError).not.toBe(NotFoundError);
    expect(new copy.NotFoundError("gone") instanceof NotFoundError).toBe(true);
    expect(new copy.TransientError("busy", { retryAfterMs: 5 }) instanceof TransientError).toBe(true);
    expect(new copy.TransientError("busy") instanceof NotFoundError).toBe(false);
    expect(new copy.NotFoundError("gone") instanceof TransientError).toBe(false);
    expect(new Error("plain") instanceof NotFoundError).toBe(false);
    expect(Object.assign(new Error("look-alike"), { name: "NotFoundError" }) instanceof NotFoundError).toBe(false);
  });

  it("keep the ordinary check for subclasses", () => {
    class GoneTeam extends NotFoundError {}
    expect(new GoneTeam("t1") instanceof NotFoundError).toBe(true);
    expect(new GoneTeam("t1") instanceof GoneTeam).toBe(true);
    expect(new NotFoundError("x") instanceof GoneTeam).toBe(false);
  });
});
