/**
 * ConductorOne connector credentials (baton-model.md §5.1): the client id
 * `<clientName>@<tokenHost>/<suffix>` and the client secret
 * `secret-token:conductorone.com:v1:<base64url(JWK)>`, whose JWK must be an
 * Ed25519 private key. A malformed value is a usage error naming its flag; the
 * value itself is never echoed.
 */
import { base64url, importJWK, type JWK } from "jose";
import { ConfigError } from "../plugins/config.ts";

export const CLIENT_ID_FLAG = "--client-id ($BATON_CLIENT_ID)";
export const CLIENT_SECRET_FLAG = "--client-secret ($BATON_CLIENT_SECRET)";

export interface ClientId {
  /** The whole id, as sent in the assertion's `iss`/`sub` and the form's `client_id`. */
  clientId: string;
  /** Before the `@`; the gRPC user agent starts with it. */
  clientName: string;
  /** Between the `@` and the first `/`; may carry a port. */
  tokenHost: string;
}

export function parseClientId(text: string): ClientId {
  const at = text.indexOf("@");
  const slash = at === -1 ? -1 : text.indexOf("/", at + 1);
  if (at === -1 || slash === -1 || slash === at + 1) {
    throw new ConfigError(`invalid value for ${CLIENT_ID_FLAG}: expected <name>@<host>/<suffix>`);
  }
  return { clientId: text, clientName: text.slice(0, at), tokenHost: text.slice(at + 1, slash) };
}

export interface ClientSecret {
  /** The Ed25519 private key that signs client assertions. */
  key: CryptoKey;
  /** Every substring that would give the key away, for the redactor. */
  sensitive: string[];
}

const ED25519_KEY_BYTES = 32;

function invalidSecret(reason: string): ConfigError {
  return new ConfigError(`invalid value for ${CLIENT_SECRET_FLAG}: ${reason}`);
}

function decodedLength(value: unknown): number {
  if (typeof value !== "string") return -1;
  try {
    return base64url.decode(value).length;
  } catch {
    return -1;
  }
}

export async function parseClientSecret(text: string): Promise<ClientSecret> {
  const parts = text.split(":");
  // Go splits into at most four parts; a ':' inside the last one would fail its base64 decode.
  if (parts.length !== 4 || parts[2] !== "v1") {
    throw invalidSecret("expected secret-token:conductorone.com:v1:<key>");
  }
  let jwk: JWK;
  try {
    const json = new TextDecoder("utf-8", { fatal: true }).decode(base64url.decode(parts[3]));
    jwk = JSON.parse(json) as JWK;
  } catch {
    throw invalidSecret("the key is not base64url-encoded JSON");
  }
  if (typeof jwk !== "object" || jwk === null || Array.isArray(jwk)) throw invalidSecret("the key is not a JWK");
  if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519") throw invalidSecret("the key is not an Ed25519 key");
  if (jwk.d === undefined) throw invalidSecret("the key is a public key, not a private key");
  if (decodedLength(jwk.d) !== ED25519_KEY_BYTES || decodedLength(jwk.x) !== ED25519_KEY_BYTES) {
    throw invalidSecret("the key is not a valid Ed25519 private key");
  }
  let key: CryptoKey;
  try {
    key = (await importJWK({ kty: "OKP", crv: "Ed25519", d: jwk.d, x: jwk.x }, "EdDSA")) as CryptoKey;
  } catch {
    throw invalidSecret("the key is not a valid Ed25519 private key");
  }
  return { key, sensitive: [text, parts[3], jwk.d] };
}
