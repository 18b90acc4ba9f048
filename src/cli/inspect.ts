/**
 * The inspector commands of Baton's `baton` CLI over any c1z (ours or Go's):
 * resource-types, resources, entitlements, grants, principals, access, stats, syncs.
 * Tables carry Baton's columns; `--output json` prints the `baton.v1.*Output`
 * shapes with protojson objects inside.
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { openC1z } from "../c1z/index.ts";
import type { C1zReader, PageOf, SyncRun, SyncStats } from "../c1z/store.ts";
import { resourceId } from "../model/builders.ts";
import { resourceExternalId } from "../model/ids.ts";
import {
  type Entitlement,
  EntitlementSchema,
  type Grant,
  GrantSchema,
  type Resource,
  type ResourceId,
  ResourceSchema,
  type ResourceType,
  ResourceType_Trait,
  ResourceTypeSchema,
} from "../model/types.ts";
import { ConfigError, resolveFieldValues } from "../plugins/config.ts";
import { toProtoJson } from "../plugins/protojson.ts";
import { loadC1zSource } from "../upload/index.ts";
import { parseArgs, UsageError } from "./args.ts";
import { flagField, INSPECT_FLAGS } from "./flags.ts";
import { flagLines } from "./help.ts";
import { type CliIO, EXIT_FAILURE, EXIT_OK } from "./io.ts";
import type { ConfigFile } from "./settings.ts";
import { renderTable } from "./table.ts";

export const INSPECT_COMMANDS: Record<string, string> = {
  "resource-types": "List resource types",
  resources: "List resources (-t type)",
  entitlements: "List entitlements (-t type)",
  grants: "List grants (-e entitlement | -t type [-r resource])",
  principals: "List the principals of every grant, of an entitlement (-e) or of a resource (-t -r)",
  access: "List the effective access of a principal (-t -r)",
  stats: "Sync info, totals and per-resource-type counts of the latest finished sync",
  syncs: "List the syncs in the file",
};

interface Options {
  syncId?: string;
  resourceType?: string;
  resource?: string;
  entitlement?: string;
}

function all<T>(fetch: (pageToken: string) => PageOf<T>): T[] {
  const out: T[] = [];
  let token = "";
  do {
    const page = fetch(token);
    out.push(...page.items);
    token = page.nextPageToken;
  } while (token !== "");
  return out;
}

function traitName(trait: ResourceType_Trait): string {
  return `TRAIT_${ResourceType_Trait[trait]}`;
}

/** Caches lookups (Baton's storecache) so big grant tables do not re-read the same rows. */
class Lookup {
  private readonly types = new Map<string, ResourceType | undefined>();
  private readonly resources = new Map<string, Resource | undefined>();
  private readonly entitlements = new Map<string, Entitlement | undefined>();
  constructor(
    readonly reader: C1zReader,
    readonly syncId: string | undefined,
  ) {}
  type(id: string): ResourceType | undefined {
    if (!this.types.has(id)) this.types.set(id, this.reader.getResourceType(id, this.syncId));
    return this.types.get(id);
  }
  resource(id: ResourceId | undefined): Resource | undefined {
    if (!id) return undefined;
    const key = resourceExternalId(id);
    if (!this.resources.has(key)) this.resources.set(key, this.reader.getResource(id, this.syncId));
    return this.resources.get(key);
  }
  entitlement(id: string): Entitlement | undefined {
    if (!this.entitlements.has(id)) this.entitlements.set(id, this.reader.getEntitlement(id, this.syncId));
    return this.entitlements.get(id);
  }
}

interface Output {
  table: string;
  json: JsonValue;
}

const rtJson = (rt: ResourceType | undefined) => (rt ? toProtoJson(ResourceTypeSchema, rt) : null);
const resJson = (r: Resource | undefined) => (r ? toProtoJson(ResourceSchema, r) : null);
const entJson = (e: Entitlement | undefined) => (e ? toProtoJson(EntitlementSchema, e) : null);

function strip(object: Record<string, JsonValue | null>): JsonObject {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== null)) as JsonObject;
}

function resourceRows(lookup: Lookup, resources: Resource[]): Output {
  const outputs = resources.map((resource) => ({
    resource,
    type: lookup.type(resource.id!.resourceType),
    parent: lookup.resource(resource.parentResourceId),
  }));
  return {
    table: renderTable(
      ["ID", "Display Name", "Resource Type", "Parent Resource"],
      outputs.map(({ resource, type, parent }) => [
        resource.id!.resource,
        resource.displayName,
        type?.displayName ?? resource.id!.resourceType,
        parent ? `${parent.displayName} (${parent.id!.resourceType})` : "-",
      ]),
    ),
    json: {
      resources: outputs.map(({ resource, type, parent }) =>
        strip({ resource: resJson(resource), resourceType: rtJson(type), parent: resJson(parent) }),
      ),
    },
  };
}

function grantRows(lookup: Lookup, grants: Grant[]): Output {
  const outputs = grants.map((grant) => {
    const entitlement = lookup.entitlement(grant.entitlement!.id);
    const ownerId = entitlement?.resource?.id ?? grant.entitlement?.resource?.id;
    return {
      grant,
      entitlement,
      resource: lookup.resource(ownerId),
      type: ownerId ? lookup.type(ownerId.resourceType) : undefined,
      principal: lookup.resource(grant.principal?.id),
    };
  });
  return {
    table: renderTable(
      ["ID", "Resource Type", "Resource", "Entitlement", "Principal"],
      outputs.map((o) => [
        o.grant.id,
        o.type?.displayName ?? "",
        o.resource?.displayName ?? "",
        o.entitlement?.displayName ?? o.grant.entitlement!.id,
        o.principal?.displayName ?? (o.grant.principal?.id ? resourceExternalId(o.grant.principal.id) : ""),
      ]),
    ),
    json: {
      grants: outputs.map((o) =>
        strip({
          grant: toProtoJson(GrantSchema, o.grant),
          entitlement: entJson(o.entitlement),
          resource: resJson(o.resource),
          resourceType: rtJson(o.type),
          principal: resJson(o.principal),
        }),
      ),
    },
  };
}

function requireResourcePair(options: Options): ResourceId {
  if (!options.resourceType || !options.resource) {
    throw new UsageError("--resource-type (-t) and --resource (-r) are required together");
  }
  return resourceId(options.resourceType, options.resource);
}

function formatTime(run: SyncRun, field: "startedAt" | "endedAt"): string {
  const value = run[field];
  if (!value) return "";
  // Go stores zone-less local times; show them as written, RFC 3339-like.
  return value.replace(" ", "T").replace(/\.\d+$/, "");
}

interface Context {
  reader: C1zReader;
  syncId: string | undefined;
  lookup: Lookup;
  options: Options;
}

function resourceTypesOutput({ reader, syncId }: Context): Output {
  const types = all((pageToken) => reader.listResourceTypes({ syncId, pageToken }));
  return {
    table: renderTable(
      ["ID", "Display Name", "Traits"],
      types.map((rt) => [rt.id, rt.displayName, rt.traits.map(traitName).join(", ")]),
    ),
    json: { resourceTypes: types.map((rt) => ({ resourceType: rtJson(rt) })) as JsonValue[] },
  };
}

function resourcesOutput({ reader, syncId, lookup, options }: Context): Output {
  const resources = all((pageToken) =>
    reader.listResources({ syncId, pageToken, resourceTypeId: options.resourceType }),
  );
  return resourceRows(lookup, resources);
}

function entitlementsOutput({ reader, syncId, lookup, options }: Context): Output {
  let entitlements = all((pageToken) => reader.listEntitlements({ syncId, pageToken }));
  if (options.resourceType) {
    entitlements = entitlements.filter((e) => e.resource?.id?.resourceType === options.resourceType);
  }
  const outputs = entitlements.map((entitlement) => ({
    entitlement,
    resource: lookup.resource(entitlement.resource?.id),
    type: entitlement.resource?.id ? lookup.type(entitlement.resource.id.resourceType) : undefined,
  }));
  return {
    table: renderTable(
      ["ID", "Display Name", "Resource Type", "Resource", "Permission"],
      outputs.map((o) => [
        o.entitlement.id,
        o.entitlement.displayName,
        o.type?.displayName ?? "",
        o.resource?.displayName ?? "",
        o.entitlement.slug,
      ]),
    ),
    json: {
      entitlements: outputs.map((o) =>
        strip({ entitlement: entJson(o.entitlement), resource: resJson(o.resource), resourceType: rtJson(o.type) }),
      ),
    },
  };
}

function grantsOutput({ reader, syncId, lookup, options }: Context): Output {
  let grants: Grant[];
  if (options.entitlement) {
    grants = all((pageToken) => reader.listGrants({ syncId, pageToken, entitlementId: options.entitlement }));
  } else if (options.resource) {
    const resource = requireResourcePair(options);
    grants = all((pageToken) => reader.listGrants({ syncId, pageToken, resource }));
  } else {
    grants = all((pageToken) => reader.listGrants({ syncId, pageToken }));
    if (options.resourceType) {
      grants = grants.filter((g) => g.entitlement?.resource?.id?.resourceType === options.resourceType);
    }
  }
  return grantRows(lookup, grants);
}

/** Baton's `principals`: of an entitlement (-e), of a resource (-t -r), else of every grant. */
function principalsOutput({ reader, syncId, lookup, options }: Context): Output {
  let filter: { entitlementId?: string; resource?: ResourceId } = {};
  if (options.entitlement) filter = { entitlementId: options.entitlement };
  else if (options.resource || options.resourceType) filter = { resource: requireResourcePair(options) };
  const seen = new Set<string>();
  const principals: Resource[] = [];
  let token = "";
  do {
    const page = reader.listGrants({ syncId, pageToken: token, ...filter });
    for (const grant of page.items) {
      const key = grant.principal?.id ? resourceExternalId(grant.principal.id) : "";
      if (!key || seen.has(key)) continue;
      seen.add(key);
      const found = lookup.resource(grant.principal!.id);
      if (found) principals.push(found);
    }
    token = page.nextPageToken;
  } while (token !== "");
  return resourceRows(lookup, principals);
}

interface AccessEntry {
  resource?: Resource;
  type?: ResourceType;
  entitlements: Entitlement[];
}

function accessByResource(lookup: Lookup, grants: Grant[]): Map<string, AccessEntry> {
  const byResource = new Map<string, AccessEntry>();
  for (const grant of grants) {
    const entitlement = lookup.entitlement(grant.entitlement!.id);
    if (!entitlement?.resource?.id) continue;
    const key = resourceExternalId(entitlement.resource.id);
    let entry = byResource.get(key);
    if (!entry) {
      entry = {
        resource: lookup.resource(entitlement.resource.id),
        type: lookup.type(entitlement.resource.id.resourceType),
        entitlements: [],
      };
      byResource.set(key, entry);
    }
    entry.entitlements.push(entitlement);
  }
  return byResource;
}

function accessOutput({ reader, syncId, lookup, options }: Context): Output {
  const principalId = requireResourcePair(options);
  const principal = lookup.resource(principalId);
  if (!principal) throw new UsageError(`principal ${resourceExternalId(principalId)} not found in the c1z`);
  const grants = all((pageToken) => reader.listGrants({ syncId, pageToken, principal: principalId }));
  const byResource = accessByResource(lookup, grants);
  const lines = [`Effective Access for ${principal.displayName} (${principal.id!.resourceType})`];
  for (const entry of byResource.values()) {
    lines.push(`├── ${entry.resource?.displayName ?? ""} (${entry.type?.displayName ?? ""})`);
    for (const entitlement of entry.entitlements) lines.push(`│   └── ${entitlement.slug}`);
  }
  return {
    table: `${lines.join("\n")}\n`,
    json: strip({
      principal: resJson(principal),
      access: [...byResource.values()].map((entry) =>
        strip({
          resource: resJson(entry.resource),
          resourceType: rtJson(entry.type),
          entitlements: entry.entitlements.map((e) => entJson(e)) as JsonValue[],
        }),
      ) as JsonValue[],
    }),
  };
}

/** Baton's SyncOutput, without empty strings. */
function syncJson(run: SyncRun): JsonObject {
  return strip({
    id: run.syncId,
    startedAt: run.startedAt || null,
    endedAt: run.endedAt,
    syncToken: run.syncToken || null,
    syncType: run.syncType,
    parentSyncId: run.parentSyncId || null,
  });
}

function syncsOutput({ reader }: Context): Output {
  const syncs = reader.listSyncs();
  return {
    table: renderTable(
      ["ID", "Started At", "Ended At", "Type", "Parent ID", "Token"],
      syncs.map((run) => [
        run.syncId,
        formatTime(run, "startedAt"),
        formatTime(run, "endedAt"),
        run.syncType,
        run.parentSyncId,
        run.syncToken,
      ]),
    ),
    json: { syncs: syncs.map(syncJson) },
  };
}

function statsTables(run: SyncRun, stats: SyncStats): string {
  const types = [
    ...new Set([
      ...Object.keys(stats.resources_by_resource_type ?? {}),
      ...Object.keys(stats.entitlements_by_resource_type ?? {}),
      ...Object.keys(stats.grants_by_resource_type ?? {}),
    ]),
  ].sort();
  const info = renderTable(
    ["Field", "Value"],
    [
      ["Engine", "sqlite"],
      ["Sync ID", run.syncId],
      ["Sync Type", run.syncType],
      ["Parent Sync ID", run.parentSyncId],
      ["Started At", formatTime(run, "startedAt") || "-"],
      ["Ended At", formatTime(run, "endedAt") || "-"],
      ["Sync Token", run.syncToken],
    ],
  );
  const totals = renderTable(
    ["Type", "Count"],
    [
      ["Resource Types", String(stats.resource_types ?? 0)],
      ["Resources", String(stats.resources ?? 0)],
      ["Entitlements", String(stats.entitlements ?? 0)],
      ["Grants", String(stats.grants ?? 0)],
    ],
  );
  const breakdown = renderTable(
    ["Resource Type", "Resources", "Entitlements", "Grants"],
    types.map((rt) => [
      rt,
      String(stats.resources_by_resource_type?.[rt] ?? 0),
      String(stats.entitlements_by_resource_type?.[rt] ?? 0),
      String(stats.grants_by_resource_type?.[rt] ?? 0),
    ]),
  );
  return `${info}\n${totals}${types.length ? `\n${breakdown}` : ""}`;
}

function statsOutput({ reader, syncId, options }: Context): Output {
  const run = options.syncId
    ? reader.getSync(options.syncId)
    : (reader.latestFinishedSync() ?? (syncId ? reader.getSync(syncId) : undefined));
  if (!run) return { table: "No finished sync found in the c1z\n", json: {} };
  const stats = reader.stats(run.syncId);
  return {
    table: statsTables(run, stats),
    json: {
      ...syncJson(run),
      stats: {
        resourceTypes: String(stats.resource_types ?? 0),
        resources: String(stats.resources ?? 0),
        entitlements: String(stats.entitlements ?? 0),
        grants: String(stats.grants ?? 0),
        resourcesByResourceType: mapStrings(stats.resources_by_resource_type),
        entitlementsByResourceType: mapStrings(stats.entitlements_by_resource_type),
        grantsByResourceType: mapStrings(stats.grants_by_resource_type),
      },
    },
  };
}

const OUTPUTS: Record<string, (context: Context) => Output> = {
  "resource-types": resourceTypesOutput,
  resources: resourcesOutput,
  entitlements: entitlementsOutput,
  grants: grantsOutput,
  principals: principalsOutput,
  access: accessOutput,
  syncs: syncsOutput,
  stats: statsOutput,
};

export function inspect(reader: C1zReader, command: string, options: Options): Output {
  const output = Object.hasOwn(OUTPUTS, command) ? OUTPUTS[command] : undefined;
  if (!output) throw new UsageError(`unknown command "${command}"`);
  const syncId = options.syncId ?? reader.resolveSyncId();
  if (options.syncId && !reader.getSync(options.syncId)) throw new UsageError(`--sync-id: no sync ${options.syncId}`);
  return output({ reader, syncId, lookup: new Lookup(reader, syncId), options });
}

function mapStrings(map: Record<string, number> | undefined): JsonObject {
  return Object.fromEntries(Object.entries(map ?? {}).map(([key, value]) => [key, String(value)]));
}

export async function runInspectCommand(
  command: string,
  argv: readonly string[],
  io: CliIO,
  configFile: ConfigFile,
): Promise<number> {
  const parsed = parseArgs(argv, INSPECT_FLAGS);
  if (parsed.flags.help === true) {
    io.stdout(
      `${INSPECT_COMMANDS[command]}\n\nUsage:\n  baton-edge ${command} [flags]\n\nFlags:\n${flagLines(INSPECT_FLAGS)}\n`,
    );
    return EXIT_OK;
  }
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument "${parsed.positionals[0]}"`);
  const fields = INSPECT_FLAGS.filter((spec) => spec.name !== "help").map(flagField);
  const { values } = resolveFieldValues(fields, { flags: parsed.flags, env: io.env, file: configFile.values });
  let format = String(values["output-format"] ?? values.output ?? "table");
  if (format === "console") format = "table";
  if (format !== "table" && format !== "json") {
    throw new ConfigError(`invalid value for --output ($BATON_OUTPUT): "${format}" is not one of table, json`);
  }
  const file = String(values.file);
  const bytes = await loadC1zSource(file, { env: io.env });
  if (!bytes) {
    io.stderr(`error: ${file}: no such c1z file\n`);
    return EXIT_FAILURE;
  }
  const reader = await openC1z(bytes);
  try {
    const output = inspect(reader, command, {
      syncId: values["sync-id"] as string | undefined,
      resourceType: values["resource-type"] as string | undefined,
      resource: values.resource as string | undefined,
      entitlement: values.entitlement as string | undefined,
    });
    io.stdout(format === "json" ? `${JSON.stringify(output.json, null, 2)}\n` : output.table);
    return EXIT_OK;
  } finally {
    reader.close();
  }
}
