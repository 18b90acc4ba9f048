/**
 * `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header): the first
 * result for a key is stored and returned to every retry; concurrent retries
 * wait for the first. The same key with a different request is a 422.
 */
import { HttpProblem } from "./problem.ts";
import type { SyncStateStore } from "./state/store.ts";
import type { Reply } from "./types.ts";

export interface Idempotency {
  run(scopeKey: string, fingerprint: string, work: () => Promise<Reply>): Promise<Reply>;
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export function createIdempotency(
  state: SyncStateStore,
  now: () => number,
  options: { ttlMs?: number; storable?: (reply: Reply) => Reply } = {},
): Idempotency {
  const ttlMs = options.ttlMs ?? 24 * 3600_000;
  const storable = options.storable ?? ((reply: Reply) => reply);
  const inflight = new Map<string, { fingerprint: string; promise: Promise<Reply> }>();

  const replayed = (reply: Reply): Reply => ({
    ...reply,
    headers: { ...reply.headers, "idempotent-replayed": "true" },
  });
  const mismatch = () =>
    new HttpProblem(
      422,
      "idempotency-key-reused",
      "Idempotency-Key reused",
      "this Idempotency-Key was used with a different request",
    );

  return {
    async run(scopeKey, rawFingerprint, work) {
      const fingerprint = await sha256Hex(rawFingerprint);
      const pending = inflight.get(scopeKey);
      if (pending) {
        if (pending.fingerprint !== fingerprint) throw mismatch();
        return replayed(storable(await pending.promise));
      }
      const stored = await state.getIdempotency(scopeKey);
      if (stored && now() - stored.createdAt < ttlMs) {
        if (stored.fingerprint !== fingerprint) throw mismatch();
        return replayed({ status: stored.response.status, body: stored.response.body });
      }
      const promise = (async () => {
        const reply = await work();
        // Only successes are remembered: a failed attempt may be retried with the same key.
        if (reply.status < 400) {
          const kept = storable(reply);
          await state.putIdempotency(scopeKey, {
            fingerprint,
            createdAt: now(),
            response: { status: kept.status, body: kept.body },
          });
        }
        return reply;
      })();
      inflight.set(scopeKey, { fingerprint, promise });
      try {
        return await promise;
      } finally {
        inflight.delete(scopeKey);
      }
    },
  };
}
