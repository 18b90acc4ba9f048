import { create } from "@bufbuild/protobuf";
import { calculateJwkThumbprint, compactDecrypt, exportJWK, generateKeyPair } from "jose";
import { describe, expect, it } from "vitest";
import { EncryptionConfigSchema } from "../proto/gen/c1/connector/v2/provisioning_pb.ts";
import { ProvisionError } from "../provision/errors.ts";
import { encryptCredentials, JWK_PROVIDER } from "./encrypt.ts";

async function configFor(alg: "ECDH-ES" | "EdDSA") {
  const { publicKey, privateKey } = await generateKeyPair(alg, {
    extractable: true,
    crv: alg === "ECDH-ES" ? "P-256" : undefined,
  });
  const jwk = await exportJWK(publicKey);
  const config = create(EncryptionConfigSchema, {
    provider: JWK_PROVIDER,
    config: { case: "jwkPublicKeyConfig", value: { pubKey: new TextEncoder().encode(JSON.stringify(jwk)) } },
  });
  return { config, privateKey, jwk };
}

describe("encryptCredentials", () => {
  it("encrypts each credential to an EC key as a base64 compact JWE that the private key opens", async () => {
    const { config, privateKey, jwk } = await configFor("ECDH-ES");
    const [data, ...rest] = await encryptCredentials([{ name: "password", value: "s3cret-Pa55" }], [config]);
    expect(rest).toEqual([]);
    expect(data.provider).toBe("baton/jwk/v1");
    expect(data.name).toBe("password");
    const thumbprint = Buffer.from(await calculateJwkThumbprint(jwk, "sha256"), "base64url").toString("hex");
    expect(data.keyId).toBe(thumbprint);
    expect(data.keyIds).toEqual([thumbprint]);
    const jwe = Buffer.from(new TextDecoder().decode(data.encryptedBytes), "base64").toString("utf8");
    expect(new TextDecoder().decode(data.encryptedBytes)).not.toContain("s3cret");
    const { plaintext, protectedHeader } = await compactDecrypt(jwe, privateKey);
    expect(protectedHeader).toMatchObject({ alg: "ECDH-ES", enc: "A256GCM" });
    expect(new TextDecoder().decode(plaintext)).toBe("s3cret-Pa55");
  });

  it("refuses keys baton-sdk encrypts with age rather than sending credentials in the clear", async () => {
    const { config } = await configFor("EdDSA");
    await expect(encryptCredentials([{ name: "password", value: "x" }], [config])).rejects.toThrow(ProvisionError);
    await expect(encryptCredentials([{ name: "password", value: "x" }], [config])).rejects.toThrow(
      "encrypting credentials to a OKP key is not supported (only EC keys)",
    );
  });

  it("returns nothing without a config: no credential leaves the process", async () => {
    expect(await encryptCredentials([{ name: "password", value: "x" }], [])).toEqual([]);
  });
});
