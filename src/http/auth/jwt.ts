/**
 * Bearer JWT verification with jose. The key decides which algorithms are
 * allowed (an HS secret only HS*, an RSA key only RS and PS, an EC key only
 * its curve's ES alg), so a token signed with HS256 using the RSA public key
 * as the secret is refused before any signature check. `none` is never allowed.
 */
import {
  decodeProtectedHeader,
  errors,
  exportJWK,
  importJWK,
  importSPKI,
  importX509,
  type JWK,
  type JWTHeaderParameters,
  type JWTPayload,
  jwtVerify,
} from "jose";
import { type RemoteJwks, remoteJwks } from "./jwks.ts";

export type Scope = "sync:read" | "sync:write" | "provision";
export const SCOPES: readonly Scope[] = ["sync:read", "sync:write", "provision"];

export interface JwtAuthSettings {
  mode: "jwt";
  /** Expected `iss`. */
  issuer: string | string[];
  /** Expected `aud`. */
  audience: string | string[];
  /** Exactly one key source: */
  hsSecret?: string;
  /** A PEM public key (SPKI), a PEM certificate, or a public JWK as JSON. */
  publicKey?: string;
  jwksUrl?: string;
  /** Narrows the algorithms the key type allows. */
  algorithms?: string[];
  /** Tolerance for `exp` and `nbf`; default 30 s. */
  clockToleranceSec?: number;
  jwksCooldownMs?: number;
  jwksMaxAgeMs?: number;
}

/** Auth is off only when asked for by name; the runtime entries then bind to loopback. */
export interface AuthOffSettings {
  mode: "off";
}

export type AuthSettings = JwtAuthSettings | AuthOffSettings;

export interface Principal {
  subject: string;
  scopes: ReadonlySet<string>;
}

export type AuthFailureReason =
  | "missing"
  | "malformed"
  | "bad-signature"
  | "expired"
  | "not-yet-valid"
  | "wrong-issuer"
  | "wrong-audience"
  | "alg-not-allowed"
  | "unknown-kid"
  | "invalid-claims"
  | "key-unavailable";

export class AuthFailure extends Error {
  readonly reason: AuthFailureReason;
  constructor(reason: AuthFailureReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

export interface Verifier {
  verify(token: string): Promise<Principal>;
  readonly algorithms: readonly string[];
  readonly jwks?: RemoteJwks;
}

const HS = ["HS256", "HS384", "HS512"];
const RSA = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];
const EC_BY_CURVE: Record<string, string> = { "P-256": "ES256", "P-384": "ES384", "P-521": "ES512" };
const OKP = ["EdDSA", "Ed25519"];
const ASYMMETRIC = [...RSA, ...Object.values(EC_BY_CURVE), ...OKP];
const MAX_TOKEN_LENGTH = 16 * 1024;

function algorithmsForJwk(jwk: JWK): string[] {
  switch (jwk.kty) {
    case "RSA":
      return RSA;
    case "EC":
      return jwk.crv && EC_BY_CURVE[jwk.crv] ? [EC_BY_CURVE[jwk.crv]] : [];
    case "OKP":
      return jwk.crv === "Ed25519" ? OKP : [];
    default:
      return [];
  }
}

function narrow(allowedByKey: string[], requested: string[] | undefined, what: string): string[] {
  const allowed = requested ? allowedByKey.filter((alg) => requested.includes(alg)) : allowedByKey;
  if (allowed.length === 0) {
    throw new Error(`auth: no usable algorithm for ${what} (key allows ${allowedByKey.join(", ") || "none"})`);
  }
  return allowed;
}

/** Reads the key type of a PEM key or certificate by importing it under a probe algorithm of each family. */
async function publicJwkFromPem(pem: string): Promise<JWK> {
  const isCert = pem.includes("BEGIN CERTIFICATE");
  for (const probe of ["RS256", "ES256", "ES384", "ES512", "EdDSA"]) {
    try {
      const key = isCert
        ? await importX509(pem, probe, { extractable: true })
        : await importSPKI(pem, probe, { extractable: true });
      return await exportJWK(key);
    } catch {
      // not this family; try the next
    }
  }
  throw new Error("auth: the public key is not an RSA, EC (P-256/384/521) or Ed25519 key in PEM form");
}

type KeyLookup = (header: JWTHeaderParameters) => Promise<CryptoKey | Uint8Array>;

/** The checks that need no key import, so a bad setting fails at start, not at the first request. */
export function checkAuthSettings(settings: AuthSettings): void {
  if (settings.mode === "off") return;
  if (settings.mode !== "jwt") throw new Error("auth: mode must be 'jwt' or 'off'");
  const sources = [settings.hsSecret, settings.publicKey, settings.jwksUrl].filter((s) => s !== undefined && s !== "");
  if (sources.length !== 1) throw new Error("auth: configure exactly one of an HS secret, a public key or a JWKS URL");
  if (!settings.issuer || (Array.isArray(settings.issuer) && settings.issuer.length === 0)) {
    throw new Error("auth: an issuer (iss) is required");
  }
  if (!settings.audience || (Array.isArray(settings.audience) && settings.audience.length === 0)) {
    throw new Error("auth: an audience (aud) is required");
  }
  if (settings.hsSecret && new TextEncoder().encode(settings.hsSecret).length < 32) {
    throw new Error("auth: the HS secret must be at least 32 bytes");
  }
  if (settings.jwksUrl) {
    const url = new URL(settings.jwksUrl);
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error("auth: the JWKS URL must be http(s)");
  }
}

export async function createVerifier(
  settings: JwtAuthSettings,
  deps: { now?: () => number; fetch?: typeof fetch } = {},
): Promise<Verifier> {
  const now = deps.now ?? Date.now;
  checkAuthSettings(settings);

  let algorithms: string[];
  let lookup: KeyLookup;
  let jwks: RemoteJwks | undefined;
  if (settings.hsSecret) {
    const secret = new TextEncoder().encode(settings.hsSecret);
    algorithms = narrow(HS, settings.algorithms, "an HS secret");
    lookup = async () => secret;
  } else if (settings.publicKey) {
    const text = settings.publicKey.trim();
    const jwk: JWK = text.startsWith("{") ? (JSON.parse(text) as JWK) : await publicJwkFromPem(text);
    if (jwk.d !== undefined || jwk.kty === "oct") throw new Error("auth: publicKey must be a public key");
    const byKey = algorithmsForJwk(jwk).filter((alg) => !jwk.alg || alg === jwk.alg);
    algorithms = narrow(byKey, settings.algorithms, `a ${jwk.kty} public key`);
    // WebCrypto binds a key to one algorithm, so import once per allowed alg.
    const imported = new Map<string, Promise<CryptoKey | Uint8Array>>();
    lookup = async (header) => {
      let key = imported.get(header.alg);
      if (!key) {
        key = importJWK({ ...jwk, alg: header.alg }, header.alg);
        imported.set(header.alg, key);
      }
      return key;
    };
  } else {
    const url = new URL(settings.jwksUrl!);
    algorithms = narrow(ASYMMETRIC, settings.algorithms, "a JWKS");
    jwks = remoteJwks(url, {
      fetch: deps.fetch,
      now,
      cooldownMs: settings.jwksCooldownMs,
      maxAgeMs: settings.jwksMaxAgeMs,
    });
    const remote = jwks;
    lookup = (header) => remote.getKey(header);
  }

  const verify = async (token: string): Promise<Principal> => {
    if (token.length > MAX_TOKEN_LENGTH || token.split(".").length !== 3) {
      throw new AuthFailure("malformed", "the bearer token is not a compact JWS");
    }
    let header: JWTHeaderParameters;
    try {
      header = decodeProtectedHeader(token) as JWTHeaderParameters;
    } catch {
      throw new AuthFailure("malformed", "the token header cannot be decoded");
    }
    // Checked here as well as by jose, so the refusal names the reason before any key lookup.
    if (typeof header.alg !== "string" || !algorithms.includes(header.alg)) {
      throw new AuthFailure("alg-not-allowed", `algorithm ${String(header.alg)} is not allowed`);
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, (h) => lookup(h as JWTHeaderParameters), {
        issuer: settings.issuer,
        audience: settings.audience,
        algorithms,
        clockTolerance: settings.clockToleranceSec ?? 30,
        currentDate: new Date(now()),
        requiredClaims: ["exp"],
      }));
    } catch (error) {
      throw toAuthFailure(error);
    }
    return { subject: typeof payload.sub === "string" ? payload.sub : "", scopes: scopesOf(payload) };
  };
  return { verify, algorithms, jwks };
}

function toAuthFailure(error: unknown): AuthFailure {
  if (error instanceof AuthFailure) return error;
  if (error instanceof errors.JWTExpired) return new AuthFailure("expired", "the token has expired");
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "nbf") return new AuthFailure("not-yet-valid", "the token is not yet valid");
    if (error.claim === "iss") return new AuthFailure("wrong-issuer", "unexpected token issuer");
    if (error.claim === "aud") return new AuthFailure("wrong-audience", "unexpected token audience");
    return new AuthFailure("invalid-claims", `invalid ${error.claim} claim`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new AuthFailure("bad-signature", "the token signature is invalid");
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return new AuthFailure("alg-not-allowed", "algorithm not allowed");
  if (error instanceof errors.JWKSNoMatchingKey)
    return new AuthFailure("unknown-kid", "no key matches the token's kid");
  if (error instanceof errors.JWKSInvalid || error instanceof errors.JWKSTimeout) {
    return new AuthFailure("key-unavailable", "the signing keys are unavailable");
  }
  if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid) {
    return new AuthFailure("malformed", "the token is malformed");
  }
  return new AuthFailure("malformed", "the token cannot be verified");
}

/** `scope` (space-separated, RFC 8693) or `scp` (array or string, as Azure AD and Okta). */
export function scopesOf(payload: JWTPayload): Set<string> {
  const scopes = new Set<string>();
  const add = (value: unknown) => {
    if (typeof value === "string") for (const s of value.split(" ")) if (s) scopes.add(s);
    if (Array.isArray(value)) for (const s of value) if (typeof s === "string") add(s);
  };
  add(payload.scope);
  add(payload.scp);
  return scopes;
}
