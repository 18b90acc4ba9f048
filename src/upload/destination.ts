/**
 * Where a c1z goes or comes from: a local path, an `s3://` URI (Baton CLI
 * v0.7.27 syntax plus `endpoint`/`pathStyle`), or `r2://BINDING/key` for a
 * Workers R2 binding.
 */

export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface FileDestination {
  kind: "file";
  path: string;
}

export interface S3Destination {
  kind: "s3";
  bucket: string;
  key: string;
  region?: string;
  /** An S3-compatible endpoint (moto, MinIO, R2's `https://<account>.r2.cloudflarestorage.com`). */
  endpoint?: string;
  /** Path-style addressing; on by default whenever an endpoint is given. */
  forcePathStyle: boolean;
  /** `s3://KEY:SECRET@bucket/key`, as the Go CLI accepted; never printed. */
  credentials?: StaticCredentials;
}

export interface R2Destination {
  kind: "r2";
  /** The name of the R2 bucket binding in wrangler.toml. */
  binding: string;
  key: string;
}

export type Destination = FileDestination | S3Destination | R2Destination;

export class DestinationError extends Error {
  override readonly name = "DestinationError";
}

const bucketPattern = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const knownS3Params = new Set(["region", "endpoint", "pathStyle", "path_style"]);

export function isRemote(location: string): boolean {
  return location.startsWith("s3://") || location.startsWith("r2://");
}

export function parseDestination(location: string): Destination {
  if (location.trim() === "") throw new DestinationError("empty c1z location: give a file path or s3://bucket/key");
  if (location.startsWith("s3://")) return parseS3(location);
  if (location.startsWith("r2://")) return parseR2(location);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    throw new DestinationError(
      `unsupported c1z location scheme in "${schemeOf(location)}://…": use a file path, s3://bucket/key or r2://BINDING/key`,
    );
  }
  return { kind: "file", path: location };
}

function schemeOf(location: string): string {
  return location.slice(0, location.indexOf("://"));
}

function splitQuery(rest: string): [string, URLSearchParams] {
  const q = rest.indexOf("?");
  if (q < 0) return [rest, new URLSearchParams()];
  return [rest.slice(0, q), new URLSearchParams(rest.slice(q + 1))];
}

function parseS3(location: string): S3Destination {
  const [pathPart, params] = splitQuery(location.slice("s3://".length));
  let authority = pathPart;
  let credentials: StaticCredentials | undefined;
  const at = pathPart.lastIndexOf("@", pathPart.indexOf("/") < 0 ? pathPart.length : pathPart.indexOf("/"));
  if (at >= 0) {
    const userinfo = pathPart.slice(0, at);
    authority = pathPart.slice(at + 1);
    const colon = userinfo.indexOf(":");
    if (colon <= 0 || colon === userinfo.length - 1) {
      throw new DestinationError("s3:// credentials must be ACCESS_KEY_ID:SECRET_ACCESS_KEY@ before the bucket");
    }
    credentials = {
      accessKeyId: decodeURIComponent(userinfo.slice(0, colon)),
      secretAccessKey: decodeURIComponent(userinfo.slice(colon + 1)),
    };
  }
  const slash = authority.indexOf("/");
  const bucket = slash < 0 ? authority : authority.slice(0, slash);
  const key = slash < 0 ? "" : authority.slice(slash + 1);
  if (!bucketPattern.test(bucket) || bucket.includes("..")) {
    throw new DestinationError(
      `invalid S3 bucket name "${bucket}" in s3:// URI: 3-63 lower-case letters, digits, dots and hyphens`,
    );
  }
  if (key === "") throw new DestinationError(`s3://${bucket} has no object key: use s3://${bucket}/path/sync.c1z`);
  for (const name of params.keys()) {
    if (!knownS3Params.has(name)) {
      throw new DestinationError(`unknown s3:// URI parameter "${name}": expected region, endpoint or pathStyle`);
    }
  }
  const endpoint = params.get("endpoint") || undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^/]+/.test(endpoint)) {
    throw new DestinationError(`s3:// endpoint must be an http(s) URL, got "${endpoint}"`);
  }
  const pathStyle = params.get("pathStyle") ?? params.get("path_style");
  if (pathStyle !== null && pathStyle !== "true" && pathStyle !== "false") {
    throw new DestinationError(`s3:// pathStyle must be true or false, got "${pathStyle}"`);
  }
  return {
    kind: "s3",
    bucket,
    key,
    region: params.get("region") || undefined,
    endpoint,
    forcePathStyle: pathStyle === null ? endpoint !== undefined : pathStyle === "true",
    credentials,
  };
}

function parseR2(location: string): R2Destination {
  const rest = location.slice("r2://".length);
  const slash = rest.indexOf("/");
  const binding = slash < 0 ? rest : rest.slice(0, slash);
  const key = slash < 0 ? "" : rest.slice(slash + 1);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(binding)) {
    throw new DestinationError(`invalid R2 binding name "${binding}" in r2:// location`);
  }
  if (key === "") throw new DestinationError(`r2://${binding} has no object key: use r2://${binding}/path/sync.c1z`);
  return { kind: "r2", binding, key };
}

/** A form safe for logs and errors: never includes inline credentials. */
export function describeDestination(destination: Destination): string {
  switch (destination.kind) {
    case "file":
      return destination.path;
    case "r2":
      return `r2://${destination.binding}/${destination.key}`;
    case "s3": {
      const params = new URLSearchParams();
      if (destination.region) params.set("region", destination.region);
      if (destination.endpoint) params.set("endpoint", destination.endpoint);
      const query = params.size > 0 ? `?${[...params].map(([k, v]) => `${k}=${v}`).join("&")}` : "";
      return `s3://${destination.bucket}/${destination.key}${query}`;
    }
  }
}

/**
 * The inline `s3://KEY:SECRET@…` credentials in a location, as given and
 * percent-decoded, for the redactor; none when the location has none or is malformed.
 */
export function inlineCredentialValues(location: string): string[] {
  if (!location.startsWith("s3://")) return [];
  const [pathPart] = splitQuery(location.slice("s3://".length));
  const slash = pathPart.indexOf("/");
  const at = pathPart.lastIndexOf("@", slash < 0 ? pathPart.length : slash);
  if (at < 0) return [];
  const raw = pathPart.slice(0, at).split(":");
  const decoded = raw.map((part) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  });
  return [...new Set([...raw, ...decoded])].filter((value) => value !== "");
}

export interface KeyTemplateValues {
  connector: string;
  syncId: string;
  /** Defaults to today's UTC date, YYYY-MM-DD. */
  date?: string | Date;
}

/** Fills `{connector}`, `{syncId}` and `{date}`; any other `{name}` is an error. */
export function expandKeyTemplate(template: string, values: KeyTemplateValues): string {
  const date = typeof values.date === "string" ? values.date : (values.date ?? new Date()).toISOString().slice(0, 10);
  const table: Record<string, string> = { connector: values.connector, syncId: values.syncId, date };
  return template.replace(/\{([^{}]*)\}/g, (_, name: string) => {
    const value = table[name];
    if (value === undefined) {
      // The template may be an s3:// URI with inline credentials: never echo it.
      throw new DestinationError(
        `unknown placeholder {${name}} in a c1z location: use {connector}, {syncId} or {date}`,
      );
    }
    return value;
  });
}
