/**
 * The local Okta's OAuth 2.0 for service apps, as Okta documents it for the Management
 * API: client credentials at /oauth2/v1/token with a private_key_jwt client assertion
 * (RS256, `kid` of the registered key, iss = sub = client id, aud = the token URL), a
 * DPoP proof on every call (the first token request answers `use_dpop_nonce` with a
 * DPoP-Nonce header), and DPoP-bound access tokens (`Authorization: DPoP …` plus a proof
 * whose key thumbprint, htm, htu and ath match).
 */
import { createHash, randomUUID } from "node:crypto";
import { calculateJwkThumbprint, decodeProtectedHeader, importJWK, importSPKI, type JWK, jwtVerify } from "jose";

export interface OAuthServiceApp {
  clientId: string;
  keyId: string;
  /** SPKI PEM of the app's registered public key. */
  publicKeyPem: string;
}

export interface TokenAnswer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

const b64url = (bytes: Buffer) => bytes.toString("base64url");

async function verifyProof(proof: string | undefined, method: string, url: string) {
  if (!proof) throw new Error("missing DPoP proof");
  const header = decodeProtectedHeader(proof);
  if (header.typ !== "dpop+jwt" || !header.jwk) throw new Error("DPoP proof must be a dpop+jwt with a jwk header");
  const key = await importJWK(header.jwk as JWK, header.alg);
  const { payload } = await jwtVerify(proof, key, { typ: "dpop+jwt", maxTokenAge: "5m" });
  if (payload.htm !== method || payload.htu !== url.split("?")[0]) throw new Error("DPoP proof htm/htu mismatch");
  return { payload, thumbprint: await calculateJwkThumbprint(header.jwk as JWK) };
}

export function oauthAuthority(app: OAuthServiceApp) {
  const nonce = randomUUID();
  const tokens = new Map<string, { thumbprint: string; scopes: string[] }>();
  const error = (status: number, code: string, description: string, headers: Record<string, string> = {}) => ({
    status,
    headers,
    body: { error: code, error_description: description },
  });

  return {
    tokens,
    /** POST /oauth2/v1/token (form body). */
    async token(form: string, dpop: string | undefined, tokenUrl: string): Promise<TokenAnswer> {
      const params = new URLSearchParams(form);
      if (params.get("grant_type") !== "client_credentials")
        return error(400, "unsupported_grant_type", "client_credentials only");
      if (params.get("client_assertion_type") !== "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") {
        return error(401, "invalid_client", "a private_key_jwt client assertion is required");
      }
      const assertion = params.get("client_assertion") ?? "";
      try {
        if (decodeProtectedHeader(assertion).kid !== app.keyId) return error(401, "invalid_client", "unknown key id");
        await jwtVerify(assertion, await importSPKI(app.publicKeyPem, "RS256"), {
          issuer: app.clientId,
          subject: app.clientId,
          audience: tokenUrl,
        });
      } catch (e) {
        return error(401, "invalid_client", `The client_assertion signature is invalid (${(e as Error).message})`);
      }
      let proof: Awaited<ReturnType<typeof verifyProof>>;
      try {
        proof = await verifyProof(dpop, "POST", tokenUrl);
      } catch (e) {
        return error(400, "invalid_dpop_proof", (e as Error).message);
      }
      if (proof.payload.nonce !== nonce) {
        return error(400, "use_dpop_nonce", "Authorization server requires nonce in DPoP proof.", {
          "DPoP-Nonce": nonce,
        });
      }
      const scopes = (params.get("scope") ?? "").split(" ").filter(Boolean);
      const accessToken = b64url(Buffer.from(randomUUID() + randomUUID()));
      tokens.set(accessToken, { thumbprint: proof.thumbprint, scopes });
      return {
        status: 200,
        headers: {},
        body: { token_type: "DPoP", expires_in: 3600, access_token: accessToken, scope: scopes.join(" ") },
      };
    },
    /** Is this API call carrying a live DPoP-bound token with a matching proof? */
    async authorized(authorization: string | undefined, dpop: string | undefined, method: string, url: string) {
      const match = /^DPoP (.+)$/.exec(authorization ?? "");
      const issued = match ? tokens.get(match[1] as string) : undefined;
      if (!match || !issued) return false;
      try {
        const proof = await verifyProof(dpop, method, url);
        const ath = b64url(
          createHash("sha256")
            .update(match[1] as string)
            .digest(),
        );
        return proof.thumbprint === issued.thumbprint && proof.payload.ath === ath;
      } catch {
        return false;
      }
    },
  };
}
