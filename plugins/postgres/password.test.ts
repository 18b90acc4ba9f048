import { describe, expect, it } from "vitest";
import { generatePassword, scramVerifier } from "./password.ts";

describe("scramVerifier", () => {
  it("matches a verifier computed independently (Python hashlib/hmac) for a fixed salt", async () => {
    const salt = new Uint8Array(Array.from({ length: 16 }, (_, i) => i));
    expect(await scramVerifier("pencil", { salt })).toBe(
      "SCRAM-SHA-256$4096:AAECAwQFBgcICQoLDA0ODw==$zHCdol2044/ZyWzPLi7oxApCkamKw9Z+E4U/QApd/5Y=:dd5peBOitVnLNFu7VmwP+HiDaaw4OUCv396eVCWhYiE=",
    );
  });

  it("uses a fresh salt each time", async () => {
    const [a, b] = await Promise.all([scramVerifier("same"), scramVerifier("same")]);
    expect(a).not.toBe(b);
  });

  it("refuses passwords that would need SASLprep", async () => {
    await expect(scramVerifier("pässword")).rejects.toThrow(/printable ASCII/);
  });
});

describe("generatePassword", () => {
  it("is 32 unambiguous alphanumerics and differs between calls", () => {
    const a = generatePassword();
    expect(a).toMatch(/^[A-HJ-NP-Za-km-z2-9]{32}$/);
    expect(generatePassword()).not.toBe(a);
    expect(generatePassword(12)).toHaveLength(12);
  });
});
