/**
 * The access token for ConductorOne's API (baton-model.md §5.1): an EdDSA
 * client assertion (`iss = sub = clientId`, `aud` = the token host without its
 * port, valid from 2 minutes ago to 2 minutes ahead, a random `nonce` header)
 * exchanged at `https://<host>/auth/v1/token` for `{access_token, token_type,
 * expires_in}`, and reused until shortly before it expires.
 */
import { request } from "node:https";
import { base64url, SignJWT } from "jose";
import type { ClientId } from "./credentials.ts";

/** Go's oauth2 refreshes this long before expiry. */
const EXPIRY_MARGIN_MS = 10_000;
const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const ASSERTION_SKEW_S = 120;
const EXCHANGE_TIMEOUT_MS = 30_000;
const MAX_RESPONSE_BYTES = 64 * 1024;

export interface AccessToken {
  type: string;
  value: string;
  /** Epoch ms. */
  expiresAt: number;
}

/** ConductorOne answered the exchange with a refusal (non-200, or no token): a credentials problem. */
export class TokenExchangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TokenExchangeError";
  }
}

export interface HttpResponse {
  status: number;
  statusText: string;
  body: string;
}

/** POSTs a form; rejects only when no answer came back (network, TLS, timeout). */
export type FormPoster = (url: string, form: URLSearchParams, signal?: AbortSignal) => Promise<HttpResponse>;

export function httpsFormPoster(ca: string[], timeoutMs = EXCHANGE_TIMEOUT_MS): FormPoster {
  return (url, form, signal) =>
    new Promise((resolve, reject) => {
      const body = form.toString();
      const req = request(
        url,
        {
          method: "POST",
          ca,
          minVersion: "TLSv1.2",
          signal,
          headers: {
            "content-type": "application/x-www-form-urlencoded",
            "content-length": Buffer.byteLength(body),
            "user-agent": "baton-edge-c1-credential-provider",
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
          });
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              statusText: res.statusMessage ?? "",
              body: Buffer.concat(chunks).toString("utf8"),
            }),
          );
          res.on("error", reject);
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
      req.on("error", reject);
      req.end(body);
    });
}

export interface TokenSourceOptions {
  client: ClientId;
  key: CryptoKey;
  /** `BATON_C1_API_HOST` when set, else the client id's token host. */
  host: string;
  post: FormPoster;
  now?: () => number;
  /** Learns each access token, so it is scrubbed from logs like the secret. */
  onToken?: (token: AccessToken) => void;
}

export interface TokenSource {
  token(signal?: AbortSignal): Promise<AccessToken>;
  /** Forget the cached token (the API answered Unauthenticated). */
  invalidate(): void;
  readonly tokenUrl: string;
}

function audience(tokenHost: string): string {
  // Go's net.SplitHostPort: "host:port" or "[v6]:port"; anything else is the host itself.
  const bracketed = /^\[([^\]]+)\]:\d+$/.exec(tokenHost);
  if (bracketed) return bracketed[1];
  const hostPort = /^([^:]+):\d+$/.exec(tokenHost);
  return hostPort ? hostPort[1] : tokenHost;
}

export function clientAssertion(client: ClientId, key: CryptoKey, nowMs: number): Promise<string> {
  const now = Math.floor(nowMs / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: "EdDSA", nonce: base64url.encode(crypto.getRandomValues(new Uint8Array(16))) })
    .setIssuer(client.clientId)
    .setSubject(client.clientId)
    .setAudience(audience(client.tokenHost))
    .setIssuedAt(now)
    .setNotBefore(now - ASSERTION_SKEW_S)
    .setExpirationTime(now + ASSERTION_SKEW_S)
    .sign(key);
}

export function createTokenSource(options: TokenSourceOptions): TokenSource {
  const now = options.now ?? Date.now;
  const tokenUrl = `https://${options.host}/auth/v1/token`;
  let cached: AccessToken | undefined;
  let pending: Promise<AccessToken> | undefined;

  const exchange = async (signal?: AbortSignal): Promise<AccessToken> => {
    const assertion = await clientAssertion(options.client, options.key, now());
    const form = new URLSearchParams({
      client_id: options.client.clientId,
      grant_type: "client_credentials",
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: assertion,
    });
    const response = await options.post(tokenUrl, form, signal);
    if (response.status !== 200) {
      throw new TokenExchangeError(
        `the token exchange at ${tokenUrl} was refused: ${response.status} ${response.statusText}`.trim(),
      );
    }
    let parsed: { access_token?: unknown; token_type?: unknown; expires_in?: unknown };
    try {
      parsed = JSON.parse(response.body) as typeof parsed;
    } catch {
      throw new TokenExchangeError(`the token exchange at ${tokenUrl} answered something other than JSON`);
    }
    if (typeof parsed.access_token !== "string" || parsed.access_token === "") {
      throw new TokenExchangeError(`the token exchange at ${tokenUrl} answered no access token`);
    }
    const expiresIn = typeof parsed.expires_in === "number" ? parsed.expires_in : 0;
    const token: AccessToken = {
      type: typeof parsed.token_type === "string" && parsed.token_type !== "" ? parsed.token_type : "Bearer",
      value: parsed.access_token,
      expiresAt: now() + expiresIn * 1000,
    };
    options.onToken?.(token);
    return token;
  };

  return {
    tokenUrl,
    async token(signal) {
      if (cached && cached.expiresAt - EXPIRY_MARGIN_MS > now()) return cached;
      // Concurrent tasks share one exchange.
      pending ??= exchange(signal).finally(() => {
        pending = undefined;
      });
      cached = await pending;
      return cached;
    },
    invalidate() {
      cached = undefined;
    },
  };
}
