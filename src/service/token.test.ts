import { base64url, decodeProtectedHeader, generateKeyPair, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { clientAssertion, createTokenSource, type FormPoster, TokenExchangeError } from "./token.ts";

const client = {
  clientId: "conn@tenant.conductor.one:8443/pcc",
  clientName: "conn",
  tokenHost: "tenant.conductor.one:8443",
};

describe("clientAssertion", () => {
  it("is an EdDSA JWT that verifies with the public key, with baton-sdk's claims", async () => {
    const { publicKey, privateKey } = await generateKeyPair("EdDSA");
    const now = Date.UTC(2026, 11, 2, 12, 0, 0);
    const jwt = await clientAssertion(client, privateKey, now);
    const { payload, protectedHeader } = await jwtVerify(jwt, publicKey, {
      algorithms: ["EdDSA"],
      currentDate: new Date(now),
      issuer: client.clientId,
      subject: client.clientId,
      audience: "tenant.conductor.one",
    });
    expect(payload.aud).toBe("tenant.conductor.one"); // the port is stripped, as Go's net.SplitHostPort does
    expect(payload.iat).toBe(now / 1000);
    expect(payload.nbf).toBe(now / 1000 - 120);
    expect(payload.exp).toBe(now / 1000 + 120);
    expect(base64url.decode(protectedHeader.nonce as string)).toHaveLength(16);
    const other = await clientAssertion(client, privateKey, now);
    expect(decodeProtectedHeader(other).nonce).not.toBe(protectedHeader.nonce);
  });
});

function poster(responses: { status: number; body: string }[]) {
  const calls: { url: string; form: URLSearchParams }[] = [];
  const post: FormPoster = async (url, form) => {
    calls.push({ url, form });
    const next = responses.shift() ?? { status: 500, body: "" };
    return { status: next.status, statusText: next.status === 200 ? "OK" : "Unauthorized", body: next.body };
  };
  return { post, calls };
}

describe("createTokenSource", () => {
  const token = (value: string, expiresIn: number) =>
    JSON.stringify({ access_token: value, token_type: "Bearer", expires_in: expiresIn });

  it("posts the client-credentials form, caches the token until 10 s before expiry, and shares one exchange", async () => {
    const { privateKey } = await generateKeyPair("EdDSA");
    let now = 1_000_000;
    const { post, calls } = poster([
      { status: 200, body: token("one", 60) },
      { status: 200, body: token("two", 60) },
    ]);
    const seen: string[] = [];
    const source = createTokenSource({
      client,
      key: privateKey,
      host: "override.example:9443",
      post,
      now: () => now,
      onToken: (t) => seen.push(t.value),
    });
    const [a, b] = await Promise.all([source.token(), source.token()]);
    expect(a.value).toBe("one");
    expect(b.value).toBe("one");
    expect(calls).toHaveLength(1);
    expect(calls[0].url).toBe("https://override.example:9443/auth/v1/token");
    expect(Object.fromEntries(calls[0].form)).toMatchObject({
      client_id: client.clientId,
      grant_type: "client_credentials",
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    });
    now += 49_000;
    expect((await source.token()).value).toBe("one");
    now += 2_000; // within 10 s of expiry
    expect((await source.token()).value).toBe("two");
    expect(seen).toEqual(["one", "two"]);
  });

  it("exchanges again after invalidate()", async () => {
    const { privateKey } = await generateKeyPair("EdDSA");
    const { post, calls } = poster([
      { status: 200, body: token("one", 3600) },
      { status: 200, body: token("two", 3600) },
    ]);
    const source = createTokenSource({ client, key: privateKey, host: client.tokenHost, post });
    await source.token();
    source.invalidate();
    expect((await source.token()).value).toBe("two");
    expect(calls).toHaveLength(2);
  });

  it("a refusal or an answer without a token is a TokenExchangeError naming the endpoint", async () => {
    const { privateKey } = await generateKeyPair("EdDSA");
    const refused = createTokenSource({
      client,
      key: privateKey,
      host: "h.example",
      post: poster([{ status: 401, body: "" }]).post,
    });
    await expect(refused.token()).rejects.toThrow(
      new TokenExchangeError("the token exchange at https://h.example/auth/v1/token was refused: 401 Unauthorized"),
    );
    const empty = createTokenSource({
      client,
      key: privateKey,
      host: "h.example",
      post: poster([{ status: 200, body: "{}" }]).post,
    });
    await expect(empty.token()).rejects.toThrow("answered no access token");
  });
});
