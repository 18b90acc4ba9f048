import { describe, expect, it } from "vitest";
import { isKsuid, ksuidTimestamp, newKsuid } from "./ksuid.ts";

const hex = (s: string) => Uint8Array.from(s.match(/../g)!.map((b) => Number.parseInt(b, 16)));

describe("KSUID", () => {
  it("encodes the segmentio/ksuid README example exactly", () => {
    // `ksuid -f inspect 0ujtsYcgvSTl8PAuAdqWYSMnLOv`: timestamp 107608047, payload B5A1CD34B5F99D1154FB6853345C9735.
    const id = newKsuid((107_608_047 + 1_400_000_000) * 1000, hex("B5A1CD34B5F99D1154FB6853345C9735"));
    expect(id).toBe("0ujtsYcgvSTl8PAuAdqWYSMnLOv");
    expect(ksuidTimestamp(id)).toBe(1_507_608_047);
  });

  it("has the library's min and max string forms", () => {
    expect(newKsuid(1_400_000_000 * 1000, new Uint8Array(16))).toBe("000000000000000000000000000");
    expect(newKsuid((1_400_000_000 + 0xffffffff) * 1000, new Uint8Array(16).fill(0xff))).toBe(
      "aWgEPTl1tmebfsQzFP4bxwgy80V",
    );
    expect(isKsuid("aWgEPTl1tmebfsQzFP4bxwgy80W")).toBe(false);
  });

  it("decodes the Go vectors' sync ids to their started_at day", () => {
    // started_at is the writer's local wall time; the KSUID second is UTC: they agree within a zone offset.
    for (const [id, startedAt] of [
      ["36zfOAoWMxQdISbixanQCRBiX7E", "2025-12-17 16:31:25.057185"],
      ["3ARefY5G8eOytquwYgm41Nq07IZ", "2026-03-03 09:45:13.056791"],
    ]) {
      expect(isKsuid(id)).toBe(true);
      const wall = Date.parse(`${startedAt.replace(" ", "T").slice(0, 23)}Z`) / 1000;
      expect(Math.abs(ksuidTimestamp(id) - wall)).toBeLessThan(14 * 3600);
      // Same minute-of-hour and second unless the offset is not whole hours.
      expect((((ksuidTimestamp(id) - Math.floor(wall)) % 1800) + 1800) % 1800).toBeLessThanOrEqual(1);
    }
  });

  it("is 27 base62 characters and sorts by time", () => {
    const a = newKsuid(Date.UTC(2026, 0, 1));
    const b = newKsuid(Date.UTC(2026, 0, 2));
    expect(a).toMatch(/^[0-9A-Za-z]{27}$/);
    expect(a < b).toBe(true);
    expect(newKsuid()).not.toBe(newKsuid());
  });
});
