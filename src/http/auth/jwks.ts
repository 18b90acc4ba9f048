/**
 * A remote JWKS with a cache we control: keys are fetched once, kept for
 * `maxAgeMs`, and refetched early only when a token names an unknown `kid`,
 * at most once per `cooldownMs`. The clock is injected, so the rate limit is
 * testable without waiting.
 */
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTHeaderParameters } from "jose";

export interface RemoteJwksOptions {
  fetch?: typeof fetch;
  now?: () => number;
  /** Minimum time between refetches caused by an unknown kid. */
  cooldownMs?: number;
  /** Keys older than this are refetched before use. */
  maxAgeMs?: number;
  timeoutMs?: number;
}

export interface RemoteJwks {
  getKey(header: JWTHeaderParameters): Promise<CryptoKey>;
  /** How many times the JWKS was fetched (for diagnostics and tests). */
  readonly fetches: number;
}

export function remoteJwks(url: URL, options: RemoteJwksOptions = {}): RemoteJwks {
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const cooldownMs = options.cooldownMs ?? 30_000;
  const maxAgeMs = options.maxAgeMs ?? 600_000;
  const timeoutMs = options.timeoutMs ?? 5_000;
  let local: ReturnType<typeof createLocalJWKSet> | undefined;
  let fetchedAt = Number.NEGATIVE_INFINITY;
  let inflight: Promise<void> | undefined;
  let fetches = 0;

  const load = async () => {
    fetches++;
    fetchedAt = now();
    const response = await doFetch(url, {
      headers: { accept: "application/jwk-set+json, application/json" },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) throw new errors.JWKSInvalid(`JWKS fetch answered HTTP ${response.status}`);
    const body = (await response.json()) as JSONWebKeySet;
    if (!body || !Array.isArray(body.keys)) throw new errors.JWKSInvalid("JWKS response has no keys array");
    local = createLocalJWKSet(body);
  };
  const refresh = () => {
    // Concurrent requests share one fetch.
    inflight ??= load().finally(() => {
      inflight = undefined;
    });
    return inflight;
  };

  return {
    get fetches() {
      return fetches;
    },
    async getKey(header) {
      if (!local || now() - fetchedAt >= maxAgeMs) {
        try {
          await refresh();
        } catch (error) {
          if (!local) throw error; // keep serving the last good keys if a refresh fails
        }
      }
      try {
        return await local!(header);
      } catch (error) {
        if (!(error instanceof errors.JWKSNoMatchingKey) || now() - fetchedAt < cooldownMs) throw error;
        await refresh();
        return local!(header);
      }
    },
  };
}
