/**
 * The certificate authorities service mode trusts: the runtime's public roots
 * plus the PEM files named by `NODE_EXTRA_CA_CERTS` (Node's name; honoured the
 * same way on Bun and Deno) and `SSL_CERT_FILE` (what Go's baton-sdk honours).
 * They are passed explicitly to every TLS connection, so a private CA works
 * the same on every runtime.
 */
import { readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import { ConfigError } from "../plugins/config.ts";

const CA_VARIABLES = ["NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE"] as const;

export function trustedCertificates(env: Record<string, string | undefined>): string[] {
  const extra: string[] = [];
  for (const name of CA_VARIABLES) {
    const file = env[name];
    if (!file) continue;
    let pem: string;
    try {
      pem = readFileSync(file, "utf8");
    } catch {
      throw new ConfigError(`${name}: cannot read the CA file ${file}`);
    }
    if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
      throw new ConfigError(`${name}: ${file} holds no PEM certificate`);
    }
    extra.push(pem);
  }
  return [...rootCertificates, ...extra];
}
