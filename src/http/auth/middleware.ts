/**
 * Turns the Authorization header into a principal, or a 401 with
 * WWW-Authenticate (RFC 6750 §3). Scope checks answer 403 insufficient_scope.
 */
import { HttpProblem } from "../problem.ts";
import { AuthFailure, type AuthSettings, type Principal, SCOPES, type Scope, type Verifier } from "./jwt.ts";

const REALM = 'Bearer realm="baton-edge"';

export interface Authenticator {
  authenticate(authorization: string | undefined): Promise<Principal>;
  readonly enabled: boolean;
}

/** `verifier` is a promise: key import is async, and `createApp` is not. */
export function createAuthenticator(settings: AuthSettings, verifier: Promise<Verifier> | undefined): Authenticator {
  if (settings.mode === "off") {
    const everyone: Principal = { subject: "anonymous", scopes: new Set(SCOPES) };
    return { enabled: false, authenticate: async () => everyone };
  }
  if (!verifier) throw new Error("auth: JWT mode needs a verifier");
  const ready = verifier.catch(() => undefined);
  return {
    enabled: true,
    async authenticate(authorization) {
      if (!authorization) {
        throw new HttpProblem(401, "unauthorized", "Unauthorized", "a bearer token is required", {
          extensions: { reason: "missing" },
          headers: { "www-authenticate": REALM },
        });
      }
      const match = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i.exec(authorization.trim());
      const loaded = await ready;
      if (!loaded) {
        throw new HttpProblem(
          500,
          "auth-misconfigured",
          "Server auth misconfigured",
          "the server cannot load its auth key",
        );
      }
      try {
        if (!match) throw new AuthFailure("malformed", "the Authorization header is not 'Bearer <token>'");
        return await loaded.verify(match[1]);
      } catch (error) {
        const failure = error instanceof AuthFailure ? error : new AuthFailure("malformed", "invalid token");
        throw new HttpProblem(401, "unauthorized", "Unauthorized", failure.message, {
          extensions: { reason: failure.reason },
          headers: {
            "www-authenticate": `${REALM}, error="invalid_token", error_description="${failure.message.replace(/"/g, "'")}"`,
          },
        });
      }
    },
  };
}

export function requireScope(principal: Principal, scope: Scope): void {
  if (!principal.scopes.has(scope)) {
    throw new HttpProblem(403, "insufficient-scope", "Forbidden", `this operation needs the ${scope} scope`, {
      extensions: { reason: "insufficient-scope", requiredScope: scope },
      headers: { "www-authenticate": `${REALM}, error="insufficient_scope", scope="${scope}"` },
    });
  }
}
