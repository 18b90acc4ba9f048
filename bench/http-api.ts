/**
 * HTTP API figures: authenticated reads (HS256 and RS256 verification per
 * request), a demo sync started and followed over HTTP, and the c1z download.
 * Drives the app with app.request (no socket, so the figures are the app's).
 * Prints JSON lines; never passes or fails on time.
 */
import { exportSPKI, generateKeyPair, SignJWT } from "jose";
import demo from "../plugins/demo/index.ts";
import { createApp } from "../src/http/app.ts";

const users = Number(process.env.BENCH_HTTP_USERS ?? 2000);
const requests = Number(process.env.BENCH_HTTP_REQUESTS ?? 2000);
const config = { users, groups: Math.max(2, Math.round(users / 50)), grants: users * 3, pageSize: 500 };
const secret = "bench-secret-with-at-least-32-bytes-ok";
const claims = { scope: "sync:read sync:write", sub: "bench" };
const issue = (t: SignJWT) =>
  t.setIssuer("https://idp.bench").setAudience("baton-edge").setIssuedAt().setExpirationTime("1h");

async function run(name: string, auth: Parameters<typeof createApp>[0]["auth"], token: string) {
  const app = createApp({ connectors: [{ name: "demo", plugin: demo, config }], auth, log: () => {} });
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  let start = performance.now();
  const accepted = await app.request("/v1/connectors/demo/syncs", { method: "POST", headers, body: "{}" });
  const { location } = (await accepted.json()) as { location: string };
  await (await app.request(`${location}/events`, { headers })).text();
  const record = (await (await app.request(location, { headers })).json()) as { counts: Record<string, number> };
  const syncMs = performance.now() - start;
  start = performance.now();
  const file = await app.request(`${location}/c1z`, { headers });
  const bytes = (await file.arrayBuffer()).byteLength;
  const downloadMs = performance.now() - start;

  start = performance.now();
  for (let i = 0; i < requests; i++) {
    const response = await app.request("/v1/connectors/demo/resources?resourceType=user&pageSize=10", { headers });
    if (response.status !== 200) throw new Error(`read answered ${response.status}`);
    await response.arrayBuffer();
  }
  const readMs = performance.now() - start;
  console.log(
    JSON.stringify({
      bench: "http-api",
      auth: name,
      users,
      syncOverHttpMs: Math.round(syncMs),
      counts: record.counts,
      c1zBytes: bytes,
      c1zDownloadMs: Math.round(downloadMs * 10) / 10,
      reads: requests,
      readsPerSecond: Math.round((requests / readMs) * 1000),
      msPerRead: Math.round((readMs / requests) * 1000) / 1000,
    }),
  );
}

const hsToken = await issue(new SignJWT(claims).setProtectedHeader({ alg: "HS256" })).sign(
  new TextEncoder().encode(secret),
);
await run("HS256", { mode: "jwt", issuer: "https://idp.bench", audience: "baton-edge", hsSecret: secret }, hsToken);
const rsa = await generateKeyPair("RS256", { extractable: true });
const rsToken = await issue(new SignJWT(claims).setProtectedHeader({ alg: "RS256" })).sign(rsa.privateKey);
await run(
  "RS256",
  { mode: "jwt", issuer: "https://idp.bench", audience: "baton-edge", publicKey: await exportSPKI(rsa.publicKey) },
  rsToken,
);
await run("off", { mode: "off" }, "unused");
