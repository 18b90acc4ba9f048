/**
 * Credentials, as baton-okta takes them: an API token (`Authorization: SSWS …`), or an
 * OAuth 2.0 service app (client id, private key, key id): a private_key_jwt client
 * assertion for the client-credentials grant at /oauth2/v1/token, with DPoP-bound
 * tokens (Okta requires DPoP for service apps; the server's `use_dpop_nonce` answer is
 * retried with its nonce). WebCrypto through jose, so every runtime can do it.
 */
import { exportJWK, generateKeyPair, importPKCS8, type JWK, SignJWT } from "jose";
import type { Authorizer } from "./client.ts";
import type { OktaConfig } from "./config.ts";

/** baton-okta's scopes for a service app: read everything synced, manage what is provisioned. */
export function oauthScopes(config: OktaConfig): string[] {
  const scopes = ["okta.users.read", "okta.groups.read", "okta.roles.read", "okta.apps.read"];
  scopes.push("okta.users.manage", "okta.groups.manage", "okta.roles.manage", "okta.apps.manage");
  if (config.syncSecrets) scopes.push("okta.apiTokens.read");
  scopes.push("okta.devices.read");
  return scopes;
}

function base64url(bytes: ArrayBuffer): string {
  let text = "";
  for (const byte of new Uint8Array(bytes)) text += String.fromCharCode(byte);
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

interface DpopKey {
  privateKey: CryptoKey;
  jwk: JWK;
}

async function proof(key: DpopKey, method: string, url: string, extra: Record<string, string>): Promise<string> {
  const htu = url.split("?")[0] as string;
  return new SignJWT({ htm: method, htu, jti: crypto.randomUUID(), ...extra })
    .setProtectedHeader({ typ: "dpop+jwt", alg: "ES256", jwk: key.jwk })
    .setIssuedAt()
    .sign(key.privateKey);
}

interface TokenAnswer {
  access_token?: string;
  token_type?: string;
  expires_in?: number;
  error?: string;
  error_description?: string;
}

export function authorizer(config: OktaConfig, base: string, fetchImpl: typeof fetch): Authorizer {
  if (config.apiToken) {
    const header = { authorization: `SSWS ${config.apiToken}` };
    return async () => header;
  }
  const { oktaClientId, oktaPrivateKey, oktaPrivateKeyId } = config;
  if (!oktaClientId || !oktaPrivateKey || !oktaPrivateKeyId) {
    throw new Error("okta: give --api-token, or all of --okta-client-id, --okta-private-key and --okta-private-key-id");
  }
  const tokenUrl = `${base}/oauth2/v1/token`;
  let dpop: Promise<DpopKey> | undefined;
  let token: { value: string; expiresAt: number; ath: string } | undefined;

  const dpopKey = () => {
    dpop ??= (async () => {
      const pair = await generateKeyPair("ES256", { extractable: true });
      const { kty, crv, x, y } = await exportJWK(pair.publicKey);
      return { privateKey: pair.privateKey as CryptoKey, jwk: { kty, crv, x, y } };
    })();
    return dpop;
  };

  async function fetchToken(): Promise<{ value: string; expiresAt: number; ath: string }> {
    const signingKey = await importPKCS8(oktaPrivateKey as string, "RS256").catch((error: unknown) => {
      throw new Error(`okta: --okta-private-key is not a PKCS#8 PEM RSA key (${(error as Error).message})`);
    });
    const key = await dpopKey();
    let nonce: string | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      const assertion = await new SignJWT({})
        .setProtectedHeader({ alg: "RS256", kid: oktaPrivateKeyId })
        .setIssuer(oktaClientId as string)
        .setSubject(oktaClientId as string)
        .setAudience(tokenUrl)
        .setIssuedAt()
        .setExpirationTime("5m")
        .setJti(crypto.randomUUID())
        .sign(signingKey);
      const body = new URLSearchParams({
        grant_type: "client_credentials",
        scope: oauthScopes(config).join(" "),
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: assertion,
      });
      const response = await fetchImpl(tokenUrl, {
        method: "POST",
        headers: {
          accept: "application/json",
          "content-type": "application/x-www-form-urlencoded",
          dpop: await proof(key, "POST", tokenUrl, nonce ? { nonce } : {}),
        },
        body,
      });
      const answer = (await response.json().catch(() => ({}))) as TokenAnswer;
      if (response.status === 400 && answer.error === "use_dpop_nonce" && !nonce) {
        nonce = response.headers.get("dpop-nonce") ?? undefined;
        if (nonce) continue;
      }
      if (!response.ok || !answer.access_token) {
        throw new Error(
          `okta: the token endpoint refused the service app (${response.status} ${answer.error ?? ""}: ${answer.error_description ?? "no description"})`,
        );
      }
      const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(answer.access_token));
      return {
        value: answer.access_token,
        expiresAt: Date.now() + Math.max(60, (answer.expires_in ?? 3600) - 60) * 1000,
        ath: base64url(digest),
      };
    }
    throw new Error("okta: the token endpoint kept asking for a new DPoP nonce");
  }

  return async (method, url) => {
    if (!token || Date.now() >= token.expiresAt) token = await fetchToken();
    const key = await dpopKey();
    return { authorization: `DPoP ${token.value}`, dpop: await proof(key, method, url, { ath: token.ath }) };
  };
}
