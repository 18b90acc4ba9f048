/**
 * The same config names, flags and env vars as baton-okta's pkg/config: `--domain`
 * ($BATON_DOMAIN), `--api-token` ($BATON_API_TOKEN, secret), the OAuth 2.0 service-app
 * fields and the sync-scope switches with baton-okta's defaults.
 */
import { v } from "../../src/plugins/sdk.ts";

const flag = (description: string, def: boolean) => v.optional(v.pipe(v.boolean(), v.metadata({ description })), def);

export const oktaConfig = v.object({
  domain: v.pipe(
    v.string(),
    v.minLength(1),
    v.metadata({
      displayName: "Okta domain",
      description: "Okta organization hostname, optionally prefixed with https://",
    }),
  ),
  apiToken: v.optional(
    v.pipe(
      v.string(),
      v.minLength(1),
      v.metadata({ secret: true, displayName: "API token", description: "The API token for the service account" }),
    ),
  ),
  oktaClientId: v.optional(
    v.pipe(
      v.string(),
      v.minLength(1),
      v.metadata({ displayName: "Okta Client ID", description: "The Okta Client ID" }),
    ),
  ),
  oktaPrivateKeyId: v.optional(
    v.pipe(
      v.string(),
      v.minLength(1),
      v.metadata({ displayName: "Okta Private Key ID", description: "The Okta Private Key ID" }),
    ),
  ),
  oktaPrivateKey: v.optional(
    v.pipe(
      v.string(),
      v.minLength(1),
      v.metadata({ secret: true, displayName: "Okta Private Key", description: "The Okta Private Key (PEM-encoded)" }),
    ),
  ),
  syncInactiveApps: flag("Whether to sync inactive apps or not", true),
  cache: flag("Enable response cache (accepted for baton-okta compatibility; every sync reads fresh)", true),
  cacheTti: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(0),
      v.metadata({ description: "Response cache cleanup interval in seconds" }),
    ),
    60,
  ),
  cacheTtl: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(0),
      v.metadata({ description: "Response cache time to live in seconds" }),
    ),
    300,
  ),
  syncCustomRoles: flag("Whether to enable syncing custom roles (with resource sets and bindings) or not", false),
  skipSecondaryEmails: flag("Whether to skip syncing secondary emails or not", false),
  syncSecrets: flag("Whether to sync secrets (API tokens) or not", false),
  filterEmailDomains: v.optional(
    v.pipe(
      v.array(v.string()),
      v.metadata({ description: "User email domains to include in syncs, e.g. acmeco.com (comma-separated)" }),
    ),
    [],
  ),
  skipAppGroups: flag(
    "Whether to skip syncing APP_GROUP type groups (Okta push groups created by SCIM-integrated apps) or not",
    false,
  ),
});

export type OktaConfig = v.InferOutput<typeof oktaConfig>;

/**
 * `https://host[:port]` from `--domain`, as baton-okta's parseOktaOrgURL: a bare host or an
 * https:// URL; an explicit port is kept; a path, query, fragment or credentials are refused.
 */
export function orgUrl(domain: string): string {
  const raw = domain.trim();
  const given = raw.includes("://") ? raw : `https://${raw.replace(/\/$/, "")}`;
  let parsed: URL;
  try {
    parsed = new URL(given);
  } catch {
    throw new Error(`okta: --domain must be an HTTPS hostname (e.g. acmeco.okta.com), got "${raw}"`);
  }
  if (
    parsed.protocol !== "https:" ||
    parsed.hostname === "" ||
    parsed.username !== "" ||
    parsed.password !== "" ||
    (parsed.pathname !== "" && parsed.pathname !== "/") ||
    parsed.search !== "" ||
    parsed.hash !== ""
  ) {
    throw new Error(`okta: --domain must be an HTTPS hostname (e.g. acmeco.okta.com), got "${raw}"`);
  }
  return `https://${parsed.host}`;
}
