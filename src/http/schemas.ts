/**
 * valibot schemas for every parameter, body and response. Routes validate
 * with them, and the OpenAPI document is generated from them.
 */
import * as v from "valibot";

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001f\u007f]+$/;
const idText = (max: number) =>
  v.pipe(v.string(), v.minLength(1), v.maxLength(max), v.regex(NO_CONTROL_CHARACTERS, "no control characters"));

export const ConnectorName = v.pipe(
  v.string(),
  v.regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "a connector name is lower-case letters, digits, '-' or '_'"),
  v.description("A loaded plugin or a configured connector instance."),
);
export const SyncIdParam = v.pipe(v.string(), v.regex(/^[A-Za-z0-9-]{1,64}$/, "not a sync id"));

export const ConnectorParams = v.object({ name: ConnectorName });
export const SyncParams = v.object({ name: ConnectorName, id: SyncIdParam });
export const GrantParams = v.object({ name: ConnectorName, grantId: idText(4096) });
export const ResourceParams = v.object({ name: ConnectorName, type: idText(256), id: idText(1024) });

export const ResourceRef = v.strictObject({
  resourceType: v.pipe(idText(256), v.description("The resource type id, e.g. `user`.")),
  resource: v.pipe(idText(1024), v.description("The resource id within its type.")),
});

export const SyncRequestBody = v.strictObject({
  resourceTypes: v.optional(
    v.pipe(v.array(idText(256)), v.maxLength(1000), v.description("--sync-resource-types: only these types.")),
  ),
  targetResources: v.optional(
    v.pipe(v.array(ResourceRef), v.maxLength(1000), v.description("--sync-resources: a targeted (partial) sync.")),
  ),
  skipEntitlementsAndGrants: v.optional(v.pipe(v.boolean(), v.description("A resources_only sync."))),
  skipGrants: v.optional(v.pipe(v.boolean(), v.description("--skip-grants (targeted syncs only)."))),
  skipExpansion: v.optional(v.boolean()),
  skipFullSync: v.optional(v.boolean()),
  workers: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(64))),
});

export const GrantBody = v.strictObject({
  entitlementId: v.pipe(idText(2048), v.description("An entitlement id from the latest sync.")),
  principal: ResourceRef,
});

export const AccountBody = v.strictObject({
  login: idText(512),
  resourceType: v.optional(v.pipe(idText(256), v.description("Defaults to the plugin's account resource type."))),
  emails: v.optional(
    v.pipe(
      v.array(v.strictObject({ address: v.pipe(v.string(), v.email()), primary: v.optional(v.boolean()) })),
      v.maxLength(20),
    ),
  ),
  profile: v.optional(v.record(v.string(), v.unknown())),
});

const pageSize = v.pipe(
  v.string(),
  v.regex(/^[0-9]{1,5}$/, "pageSize is a whole number"),
  v.transform(Number),
  v.minValue(1),
  v.maxValue(10000),
);
const pageToken = v.pipe(v.string(), v.regex(/^[0-9]{0,19}$/, "not a page token from this API"));

export const PageQuery = v.object({ pageToken: v.optional(pageToken), pageSize: v.optional(pageSize) });
export const ResourcesQuery = v.object({
  ...PageQuery.entries,
  resourceType: v.optional(idText(256)),
  parentType: v.optional(idText(256)),
  parentId: v.optional(idText(1024)),
});
export const EntitlementsQuery = v.object({
  ...PageQuery.entries,
  resourceType: v.optional(idText(256)),
  resourceId: v.optional(idText(1024)),
});
export const GrantsQuery = v.object({
  ...PageQuery.entries,
  entitlementId: v.optional(idText(2048)),
  principalType: v.optional(idText(256)),
  principalId: v.optional(idText(1024)),
  resourceType: v.optional(idText(256)),
  resourceId: v.optional(idText(1024)),
});
export const AccessQuery = v.object({
  ...PageQuery.entries,
  principalType: idText(256),
  principalId: idText(1024),
});
export const SyncListQuery = v.object({
  limit: v.optional(v.pipe(v.string(), v.regex(/^[0-9]{1,3}$/), v.transform(Number), v.minValue(1), v.maxValue(100))),
});

// Responses

export const Problem = v.object({
  type: v.string(),
  title: v.string(),
  status: v.number(),
  detail: v.optional(v.string()),
  instance: v.optional(v.string()),
});

const Counts = v.object({
  resourceTypes: v.number(),
  resources: v.number(),
  entitlements: v.number(),
  grants: v.number(),
});
const nullableString = v.nullable(v.string());

export const SyncRecordSchema = v.object({
  id: v.string(),
  connector: v.string(),
  state: v.picklist(["queued", "running", "succeeded", "failed"]),
  phase: nullableString,
  request: SyncRequestBody,
  counts: Counts,
  expandedGrants: v.number(),
  warnings: v.array(v.string()),
  error: v.nullable(v.object({ title: v.string(), detail: v.string() })),
  phases: v.array(v.object({ phase: v.string(), at: v.string() })),
  createdAt: v.string(),
  startedAt: nullableString,
  endedAt: nullableString,
  durationMs: v.nullable(v.number()),
  c1zSyncId: nullableString,
  c1zBytes: v.nullable(v.number()),
  c1zAvailable: v.boolean(),
  resumed: v.optional(v.boolean()),
  resumes: v.optional(v.number()),
  invocations: v.optional(v.number()),
});
export const SyncList = v.object({ syncs: v.array(SyncRecordSchema) });

const Json = v.record(v.string(), v.unknown());
export const ConnectorInfo = v.object({
  name: v.string(),
  plugin: v.string(),
  displayName: v.string(),
  description: v.string(),
  version: v.nullable(v.string()),
  helpUrl: v.nullable(v.string()),
  provisioning: v.boolean(),
  capabilities: Json,
  resourceTypes: v.array(Json),
  configSchema: Json,
});
export const ConnectorList = v.object({
  connectors: v.array(ConnectorInfo),
  failures: v.array(v.object({ name: v.string(), reason: v.string() })),
});
export const Health = v.object({ status: v.string() });
export const Ready = v.object({ status: v.string(), connectors: v.number(), failures: v.number() });

export const ResourcePage = v.object({ syncId: v.string(), items: v.array(Json), nextPageToken: v.string() });
export const AccessPage = v.object({
  syncId: v.string(),
  items: v.array(v.object({ grant: Json, entitlement: v.nullable(Json), resource: v.nullable(Json) })),
  nextPageToken: v.string(),
});
export const GrantResult = v.object({ alreadyExists: v.boolean(), grants: v.array(Json) });
export const RevokeResult = v.object({ alreadyRevoked: v.boolean() });
const Credential = v.object({ name: v.string(), value: v.nullable(v.string()), redacted: v.optional(v.boolean()) });
export const AccountResult = v.object({
  status: v.picklist(["success", "already-exists", "action-required", "in-progress"]),
  resource: v.nullable(Json),
  credentials: v.array(Credential),
});
export const RotateResult = v.object({ credentials: v.array(Credential) });
export const DeleteResult = v.object({ alreadyDeleted: v.boolean() });
export const Accepted = v.object({ id: v.string(), connector: v.string(), state: v.string(), location: v.string() });
