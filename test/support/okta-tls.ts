/**
 * A throwaway certificate authority and a server certificate for 127.0.0.1/localhost,
 * made with the openssl CLI for each test run, so the local Okta speaks real HTTPS and
 * every client (Go's baton-okta, Node, Bun, Deno, @okta/okta-sdk-nodejs) must be told to trust it.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Agent, fetch as undiciFetch } from "undici";

/** A name only the test proxy resolves (see okta-server.ts `startConnectProxy`); the certificate covers it. */
export const OKTA_TEST_HOST = "okta.baton-edge.test";

export interface TestCa {
  /** PEM of the CA certificate: what clients trust (SSL_CERT_FILE, NODE_EXTRA_CA_CERTS, DENO_CERT). */
  caPem: string;
  caFile: string;
  certPem: string;
  keyPem: string;
  cleanup(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

export function createTestCa(): TestCa {
  const dir = mkdtempSync(path.join(tmpdir(), "baton-edge-okta-ca-"));
  openssl(
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem"].concat(
      ["-days", "2", "-subj", "/CN=baton-edge test CA", "-addext", "basicConstraints=critical,CA:TRUE"],
      ["-addext", "keyUsage=critical,keyCertSign,cRLSign"],
    ),
    dir,
  );
  openssl(
    ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr"].concat([
      "-subj",
      "/CN=localhost",
    ]),
    dir,
  );
  writeFileSync(
    path.join(dir, "server.ext"),
    `subjectAltName=DNS:localhost,DNS:${OKTA_TEST_HOST},IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`,
  );
  openssl(
    ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial"].concat([
      "-out",
      "server.pem",
      "-days",
      "2",
      "-extfile",
      "server.ext",
    ]),
    dir,
  );
  const read = (name: string) => readFileSync(path.join(dir, name), "utf8");
  return {
    caPem: read("ca.pem"),
    caFile: path.join(dir, "ca.pem"),
    certPem: read("server.pem"),
    keyPem: read("server.key"),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * A WHATWG fetch that trusts the test CA, for in-process tests: Node reads
 * NODE_EXTRA_CA_CERTS only at start, and the CA is made after the test process started.
 */
export function trustingFetch(ca: TestCa): typeof fetch {
  const dispatcher = new Agent({ connect: { ca: ca.caPem } });
  return ((input: RequestInfo | URL, init?: RequestInit) =>
    undiciFetch(input as Parameters<typeof undiciFetch>[0], {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher,
    })) as unknown as typeof fetch;
}
