/**
 * Test support for S3 tests: a real moto S3 server on loopback (installed by
 * scripts/setup-test-tools.sh) and a fault-injecting HTTP proxy in front of it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";

export const motoBinary = resolve(import.meta.dirname, "../.tmp/tools/venv/bin/moto_server");
export const hasMoto = existsSync(motoBinary);
if (!hasMoto) console.warn(`S3 tests skipped: ${motoBinary} missing (run scripts/setup-test-tools.sh)`);

export const testCredentials = { AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing-secret" };

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((ok) => server.close(() => ok()));
  return port;
}

export interface Moto {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

export async function waitForHttp(url: string, child?: ChildProcess, attempts = 300): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (child && child.exitCode !== null) throw new Error(`process for ${url} exited with ${child.exitCode}`);
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((ok) => setTimeout(ok, 100));
    }
  }
  throw new Error(`${url} did not answer`);
}

export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  const child = spawn(motoBinary, ["-H", "127.0.0.1", "-p", String(port)], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr = (stderr + String(d)).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${endpoint}/moto-api/`, child);
  } catch (error) {
    child.kill();
    throw new Error(`moto did not start: ${(error as Error).message}\n${stderr}`);
  }
  return {
    endpoint,
    port,
    stop: () =>
      new Promise<void>((ok) => {
        if (child.exitCode !== null) return ok();
        const force = setTimeout(() => child.kill("SIGKILL"), 5000);
        child.once("exit", () => {
          clearTimeout(force);
          ok();
        });
        child.kill("SIGTERM");
      }),
  };
}

export interface FaultProxy {
  endpoint: string;
  /** Requests seen, as "METHOD path?query". */
  log: string[];
  /** The same requests with their headers and the SHA-256 (hex) of the body they carried. */
  requests: { line: string; headers: IncomingMessage["headers"]; bodySha256: string }[];
  stop(): Promise<void>;
}

/**
 * Forwards to `target`; `fail(req)` returning a status answers that status instead (the request never reaches S3),
 * and `"hang"` never answers (a request that is still in flight when its process is killed).
 */
export async function startFaultProxy(
  target: string,
  fail: (req: IncomingMessage, url: URL) => number | "hang" | undefined,
): Promise<FaultProxy> {
  const targetUrl = new URL(target);
  const log: string[] = [];
  const requests: FaultProxy["requests"] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", target);
    const line = `${req.method} ${url.pathname}${url.search}`;
    log.push(line);
    const body = createHash("sha256");
    req.on("data", (d: Buffer) => body.update(d));
    req.on("end", () => requests.push({ line, headers: req.headers, bodySha256: body.digest("hex") }));
    const status = fail(req, url);
    if (status === "hang") {
      req.resume();
      return;
    }
    if (status !== undefined) {
      req.resume();
      req.on("end", () => {
        res.writeHead(status, { "content-type": "application/xml" });
        res.end(
          `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>injected</Message></Error>`,
        );
      });
      return;
    }
    const upstream = httpRequest(
      {
        host: targetUrl.hostname,
        port: targetUrl.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on("error", (e) => {
      res.writeHead(502);
      res.end(String(e));
    });
    req.pipe(upstream);
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    log,
    requests,
    stop: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

/**
 * An S3 client with moto's test credentials, for tests to create the bucket and inspect what
 * was uploaded. moto answers a multipart object's composite checksum without the "-N" suffix,
 * so it skips response checksum validation; the tests compare bytes instead.
 */
export async function motoAdmin(moto: Moto, bucket: string): Promise<S3Client> {
  const admin = new S3Client({
    region: "us-east-1",
    endpoint: moto.endpoint,
    forcePathStyle: true,
    credentials: {
      accessKeyId: testCredentials.AWS_ACCESS_KEY_ID,
      secretAccessKey: testCredentials.AWS_SECRET_ACCESS_KEY,
    },
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  await admin.send(new CreateBucketCommand({ Bucket: bucket }));
  return admin;
}
