import { exportJWK, generateKeyPair } from "jose";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../plugins/config.ts";
import { parseClientId, parseClientSecret } from "./credentials.ts";

// baton-sdk's pkg/crypto/client_secret_test.go: a credential "generated in a dev environment and then revoked",
// and the same key with its kty broken ("2OKP"), which baton-sdk refuses.
const SDK_VALID =
  "secret-token:conductorone.com:v1:eyJrdHkiOiJPS1AiLCJjcnYiOiJFZDI1NTE5IiwieCI6InpwM1BXY2NTQlZPdGhTTnN5ck1zVGVFaDlpTjhTWTNnSDZfcDBEUkZaTWMi" +
  "LCJkIjoielkzTzFybnItQUV3NW0wbVpCTzBjSEZpWWoxTmlSdk1pU1Y1X1Ffa0tiZyJ9";
const SDK_BAD = [
  "v1:1234567890:1234567890:1234567890",
  "v1:1234567890:1234567890:1234567890:1234567890",
  "secret-token:conductorone.com:v1:eyJrdHkiOjJPS1AiLCJjcnYiOiJFZDI1NTE5IiwieCI6InpwM1BXY2NTQlZPdGhTTnN5ck1zVGVFaDlpTjhTWTNnSDZfcDBEUkZaTWMi" +
    "LCJkIjoielkzTzFybnItQUV3NW0wbVpCTzBjSEZpWWoxTmlSdk1pU1Y1X1Ffa0tiZyJ9",
];

describe("parseClientId", () => {
  it("splits <name>@<host>/<suffix> as baton-sdk's parseClientID", () => {
    expect(parseClientId("my-connector@acme.conductor.one/pcc")).toEqual({
      clientId: "my-connector@acme.conductor.one/pcc",
      clientName: "my-connector",
      tokenHost: "acme.conductor.one",
    });
    expect(parseClientId("c@localhost:8443/a/b").tokenHost).toBe("localhost:8443");
  });

  it("refuses ids without an @ or a / after it, naming the flag", () => {
    for (const bad of ["no-at", "name@host-without-slash", "name@/suffix"]) {
      expect(() => parseClientId(bad)).toThrow(ConfigError);
      expect(() => parseClientId(bad)).toThrow("--client-id ($BATON_CLIENT_ID)");
    }
  });
});

describe("parseClientSecret", () => {
  it("accepts baton-sdk's test credential and refuses its bad ones", async () => {
    const parsed = await parseClientSecret(SDK_VALID);
    expect(parsed.key.type).toBe("private");
    expect(parsed.key.algorithm.name).toBe("Ed25519");
    for (const bad of SDK_BAD) await expect(parseClientSecret(bad)).rejects.toThrow(ConfigError);
  });

  it("lists the secret, its key part and the private scalar for the redactor", async () => {
    const parsed = await parseClientSecret(SDK_VALID);
    expect(parsed.sensitive).toEqual([
      SDK_VALID,
      SDK_VALID.split(":")[3],
      "zY3O1rnr-AEw5m0mZBO0cHFiYj1NiRvMiSV5_Q_kKbg",
    ]);
  });

  it("never echoes the value in its error", async () => {
    const { privateKey } = await generateKeyPair("ES256", { extractable: true });
    const secret = `secret-token:conductorone.com:v1:${Buffer.from(JSON.stringify(await exportJWK(privateKey))).toString("base64url")}`;
    const error = (await parseClientSecret(secret).catch((e: unknown) => e)) as Error;
    expect(error.message).toBe(
      "invalid value for --client-secret ($BATON_CLIENT_SECRET): the key is not an Ed25519 key",
    );
  });
});
