/**
 * Credentials a task returns (a new account's password, a rotated key) leave
 * the process only encrypted to the task's `encryption_configs`, as baton-sdk's
 * `baton/jwk/v1` provider does for an EC public key: a compact JWE (ECDH-ES,
 * A256GCM), base64-encoded, key id = hex SHA-256 JWK thumbprint. baton-sdk
 * encrypts to Ed25519 and RSA keys with age instead; those are refused here
 * rather than answered in the clear.
 */
import { create } from "@bufbuild/protobuf";
import { CompactEncrypt, calculateJwkThumbprint, importJWK, type JWK } from "jose";
import type { PlaintextCredential } from "../plugins/contract.ts";
import {
  type EncryptedData,
  EncryptedDataSchema,
  type EncryptionConfig,
} from "../proto/gen/c1/connector/v2/provisioning_pb.ts";
import { ProvisionError } from "../provision/errors.ts";

export const JWK_PROVIDER = "baton/jwk/v1";

function hex(base64url: string): string {
  const binary = atob(base64url.replace(/-/g, "+").replace(/_/g, "/"));
  return Array.from(binary, (c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");
}

function toBase64(text: string): string {
  return btoa(text);
}

async function recipientKey(config: EncryptionConfig): Promise<{ key: CryptoKey; keyId: string }> {
  if (config.provider !== "" && config.provider !== JWK_PROVIDER) {
    throw new ProvisionError("invalid-argument", `encryption provider "${config.provider}" is not supported`);
  }
  if (config.config.case !== "jwkPublicKeyConfig") {
    throw new ProvisionError("invalid-argument", "an encryption config without a JWK public key is not supported");
  }
  let jwk: JWK;
  try {
    jwk = JSON.parse(new TextDecoder().decode(config.config.value.pubKey)) as JWK;
  } catch {
    throw new ProvisionError("invalid-argument", "the encryption config's public key is not a JWK");
  }
  if (jwk.kty !== "EC") {
    throw new ProvisionError(
      "invalid-argument",
      `encrypting credentials to a ${jwk.kty ?? "typeless"} key is not supported (only EC keys)`,
    );
  }
  const publicOnly: JWK = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y };
  const key = (await importJWK(publicOnly, "ECDH-ES")) as CryptoKey;
  return { key, keyId: hex(await calculateJwkThumbprint(publicOnly, "sha256")) };
}

/** One EncryptedData per credential and config. No configs: nothing leaves the process. */
export async function encryptCredentials(
  credentials: readonly PlaintextCredential[],
  configs: readonly EncryptionConfig[],
): Promise<EncryptedData[]> {
  const out: EncryptedData[] = [];
  for (const config of configs) {
    const { key, keyId } = await recipientKey(config);
    for (const credential of credentials) {
      const jwe = await new CompactEncrypt(new TextEncoder().encode(credential.value))
        .setProtectedHeader({ alg: "ECDH-ES", enc: "A256GCM" })
        .encrypt(key);
      out.push(
        create(EncryptedDataSchema, {
          provider: JWK_PROVIDER,
          keyId,
          name: credential.name,
          encryptedBytes: new TextEncoder().encode(toBase64(jwe)),
          keyIds: [keyId],
        }),
      );
    }
  }
  return out;
}
