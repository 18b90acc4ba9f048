/**
 * The connectors a cron run syncs, from the `BATON_CONNECTORS` var (JSON).
 * Non-secret config sits in the JSON; secrets are named, and read from the
 * Worker's secrets (env) at run time, so they never appear in wrangler.toml.
 *
 *   [{"name": "acme", "plugin": "acme", "config": {"base-url": "https://…"},
 *     "secrets": {"api-token": "ACME_API_TOKEN"},
 *     "destination": "s3://bucket/{connector}/{date}/{syncId}.c1z?region=eu-west-1"}]
 */
import * as v from "valibot";

export interface ConnectorJob {
  /** Unique per job; `{connector}` in the destination. */
  name: string;
  /** The plugin's name in the registry; defaults to `name`. */
  plugin: string;
  /** Config values by flag or field name, as a config file gives them. */
  config: Record<string, unknown>;
  /** Config field or flag name → the env/secret holding its value. */
  secrets: Record<string, string>;
  /** Where the c1z goes; `{connector}`, `{syncId}`, `{date}` are filled in. */
  destination: string;
}

export class ConnectorConfigError extends Error {
  override readonly name = "ConnectorConfigError";
}

const jobSchema = v.object({
  name: v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9_-]*$/, "must be lower-case letters, digits, - and _")),
  plugin: v.optional(v.string()),
  config: v.optional(v.record(v.string(), v.unknown()), {}),
  secrets: v.optional(v.record(v.string(), v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/))), {}),
  destination: v.optional(v.string()),
});

export function parseConnectorJobs(env: Record<string, unknown>): ConnectorJob[] {
  const raw = env.BATON_CONNECTORS;
  if (raw === undefined || raw === "") return [];
  let parsed: unknown;
  try {
    parsed = typeof raw === "string" ? JSON.parse(raw) : raw;
  } catch (error) {
    throw new ConnectorConfigError(`BATON_CONNECTORS is not valid JSON: ${(error as Error).message}`);
  }
  const list = v.safeParse(v.array(jobSchema), parsed);
  if (!list.success) {
    const issue = list.issues[0];
    const path = (issue.path ?? []).map((p) => String(p.key)).join(".");
    throw new ConnectorConfigError(`BATON_CONNECTORS${path ? `[${path}]` : ""}: ${issue.message}`);
  }
  const fallback = typeof env.BATON_DESTINATION === "string" ? env.BATON_DESTINATION : undefined;
  const seen = new Set<string>();
  return list.output.map((job) => {
    if (seen.has(job.name)) throw new ConnectorConfigError(`BATON_CONNECTORS: connector "${job.name}" is listed twice`);
    seen.add(job.name);
    const destination = job.destination ?? fallback;
    if (!destination) {
      throw new ConnectorConfigError(
        `BATON_CONNECTORS: connector "${job.name}" has no destination (set it, or BATON_DESTINATION)`,
      );
    }
    return { name: job.name, plugin: job.plugin ?? job.name, config: job.config, secrets: job.secrets, destination };
  });
}

/** The job's config with its named secrets filled in from env; a missing secret is an error naming it. */
export function jobConfig(job: ConnectorJob, env: Record<string, unknown>): Record<string, unknown> {
  const config: Record<string, unknown> = { ...job.config };
  for (const [field, secretName] of Object.entries(job.secrets)) {
    const value = env[secretName];
    if (typeof value !== "string" || value === "") {
      throw new ConnectorConfigError(`connector "${job.name}": secret ${secretName} (for ${field}) is not set`);
    }
    config[field] = value;
  }
  return config;
}
