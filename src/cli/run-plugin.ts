/**
 * `baton-edge <plugin> [flags]`: what a `baton-<app>` binary does — a sync into
 * `--file`, or one provisioning operation resolved from it — plus the
 * `capabilities` and `config` subcommands.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { openC1z } from "../c1z/index.ts";
import { locationDestination } from "../jobs/destinations.ts";
import { runConnectorSync } from "../jobs/pipeline.ts";
import { c1zBytesSource } from "../jobs/stores.ts";
import type { SyncEntry, SyncScope } from "../jobs/types.ts";
import { abortLeftoverUpload, uploadNotes } from "../jobs/upload-notes.ts";
import { canUseWorkFile, localWorkFile, workDirFrom, workFileSync } from "../jobs/work-file.ts";
import {
  createLogger,
  createRedactor,
  LOG_FORMATS,
  LOG_LEVELS,
  type LogFormat,
  type Logger,
  type LogLevel,
  type Redactor,
  textSink,
} from "../log/index.ts";
import { resourceId } from "../model/builders.ts";
import type { ResourceId } from "../model/types.ts";
import { capabilitiesJson } from "../plugins/capabilities.ts";
import {
  ConfigError,
  checkRelations,
  describeField,
  type ResolvedValues,
  resolveConfig,
  resolveFieldValues,
} from "../plugins/config.ts";
import { configSchemaJson } from "../plugins/config-schema.ts";
import { connectPlugin } from "../plugins/connect.ts";
import type { AnyPlugin, PluginStateStore } from "../plugins/contract.ts";
import { type ConfigField, configFields } from "../plugins/fields.ts";
import { secretValues } from "../plugins/secrets.ts";
import { actionSchemas, invokeAction } from "../provision/actions.ts";
import {
  createAccount,
  deleteResource,
  grantEntitlement,
  ProvisionError,
  type ProvisionTarget,
  revokeGrant,
  rotateCredentials,
} from "../provision/index.ts";
import {
  type Destination,
  describeDestination,
  inlineCredentialValues,
  loadC1zSource,
  parseDestination,
} from "../upload/index.ts";
import { type FlagSpec, parseArgs, UsageError } from "./args.ts";
import { fieldFlag, flagField, RUN_FLAGS, RUN_RELATIONS } from "./flags.ts";
import { pluginHelp } from "./help.ts";
import { type CliIO, EXIT_OK } from "./io.ts";
import { progressLine } from "./progress.ts";
import { runServiceFromCli } from "./service.ts";
import type { ConfigFile } from "./settings.ts";
import { fileStateStore, stateFilePath } from "./state-file.ts";

function runFlagSpecs(plugin: AnyPlugin): { pluginFlags: FlagSpec[]; all: FlagSpec[] } {
  const pluginFlags = configFields(plugin.config).map(fieldFlag);
  for (const spec of pluginFlags) {
    if (RUN_FLAGS.some((standard) => standard.name === spec.name)) {
      throw new ConfigError(`plugin ${plugin.name}: config field flag --${spec.name} clashes with a baton-edge flag`);
    }
  }
  return { pluginFlags, all: [...RUN_FLAGS, ...pluginFlags] };
}

function pick(values: ResolvedValues, name: string): string | undefined {
  const value = values.values[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** `type:id`, or a Baton id `bid:r:[parentType/parentId/]type/id` with `\` escapes. */
export function parseResourceRef(ref: string): ResourceId {
  const describe = "--sync-resources ($BATON_SYNC_RESOURCES)";
  if (ref.startsWith("bid:r:")) {
    const parts: string[] = [""];
    const body = ref.slice(6);
    for (let i = 0; i < body.length; i++) {
      if (body[i] === "\\" && i + 1 < body.length) parts[parts.length - 1] += body[++i];
      else if (body[i] === "/") parts.push("");
      else parts[parts.length - 1] += body[i];
    }
    if ((parts.length !== 2 && parts.length !== 4) || parts.some((p) => p === "")) {
      throw new ConfigError(`invalid value for ${describe}: "${ref}" is not a resource Baton id`);
    }
    return resourceId(parts.at(-2)!, parts.at(-1)!);
  }
  const colon = ref.indexOf(":");
  if (colon <= 0 || colon === ref.length - 1) {
    throw new ConfigError(`invalid value for ${describe}: "${ref}" must be type:id or bid:r:type/id`);
  }
  return resourceId(ref.slice(0, colon), ref.slice(colon + 1));
}

export async function runPluginCommand(
  plugin: AnyPlugin,
  argv: readonly string[],
  io: CliIO,
  configFile: ConfigFile,
  /** Scrubs logs and, in the caller, errors; learns the plugin's secret config here. */
  redactor: Redactor = createRedactor(),
): Promise<number> {
  const { pluginFlags, all } = runFlagSpecs(plugin);
  const parsed = parseArgs(argv, all);
  const [subcommand, ...extra] = parsed.positionals;
  if (parsed.flags.help === true) {
    io.stdout(pluginHelp(plugin, pluginFlags, RUN_FLAGS));
    return EXIT_OK;
  }
  if (subcommand === "capabilities" || subcommand === "config") {
    // Like Baton's default-capabilities builder: derived from the definition, no config or credentials needed.
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    const json = subcommand === "capabilities" ? capabilitiesJson(plugin) : configSchemaJson(plugin);
    io.stdout(`${JSON.stringify(json, null, 2)}\n`);
    return EXIT_OK;
  }
  if (subcommand !== undefined) {
    throw new UsageError(`unknown command "${subcommand}" for "baton-edge ${plugin.name}"`);
  }
  const sources = { flags: parsed.flags, env: io.env, file: configFile.values };
  const standardFields = RUN_FLAGS.filter((spec) => spec.name !== "help").map(flagField);
  const standard = resolveFieldValues(standardFields, sources);
  checkRelations(RUN_RELATIONS, standardFields, standard);
  const { level, format, workers, targetResources } = checkedRunFlags(standard, standardFields, io);
  if (standard.values["list-action-schemas"] === true) {
    if (pick(standard, "invoke-action") !== undefined) {
      throw new ConfigError(
        "only one of --list-action-schemas ($BATON_LIST_ACTION_SCHEMAS), --invoke-action ($BATON_INVOKE_ACTION) may be set",
      );
    }
    // Like `capabilities`: derived from the definition, no config or credentials needed.
    io.stdout(`${JSON.stringify(actionSchemas(plugin), null, 2)}\n`);
    return EXIT_OK;
  }
  const actionArgs = parseActionArgs(pick(standard, "invoke-action-args"));
  const resolved = resolveConfig(plugin, sources);
  redactor.add(secretValues(plugin, resolved.config));

  const progress = io.stderrIsTTY ? progressLine((text) => io.stderr(text)) : undefined;
  const log = createLogger({
    level,
    redactor,
    sink: textSink({ format, write: (line) => io.stderr(`${line}\n`), beforeWrite: () => progress?.clear() }),
  });
  const file = pick(standard, "file") ?? "sync.c1z";
  redactor.add(inlineCredentialValues(file));
  const statePath = stateFilePath(file, plugin.name, io.cwd);
  const pluginState = statePath ? fileStateStore(statePath) : undefined;
  if (pick(standard, "client-id") !== undefined) {
    const service = { standard, pluginState, log, redactor, io, targetResources, workers };
    return runServiceFromCli({ name: plugin.name, plugin, config: resolved.config }, service);
  }
  const actionName = pick(standard, "invoke-action");
  if (actionName !== undefined || ONE_SHOT_FLAGS.some((name) => pick(standard, name) !== undefined)) {
    const connected = await connectPlugin(plugin, resolved.config, { log, state: pluginState });
    try {
      if (actionName !== undefined) return await runAction(connected, actionName, actionArgs, log, io);
      return (await runOneShot(connected, standard, file, log, io.env)) ?? EXIT_OK;
    } finally {
      await connected.close();
    }
  }
  const entry = { name: plugin.name, plugin, config: resolved.config };
  return syncToFile(entry, file, {
    scope: syncScope(standard, targetResources, workers),
    log,
    pluginState,
    progress,
    io,
  });
}

interface RunFlags {
  level: LogLevel;
  format: LogFormat;
  workers: number;
  targetResources: ResourceId[];
}

/** The standard flags' values, checked beyond their types (picklists, ranges, flags that need another). */
function checkedRunFlags(standard: ResolvedValues, fields: ConfigField[], io: CliIO): RunFlags {
  const oneOf = (name: string, allowed: readonly string[]) => {
    const value = pick(standard, name);
    if (value !== undefined && !allowed.includes(value)) {
      const field = fields.find((f) => f.name === name)!;
      throw new ConfigError(
        `invalid value for ${describeField(field)}: "${value}" is not one of ${allowed.join(", ")}`,
      );
    }
    return value;
  };
  const level = (oneOf("log-level", LOG_LEVELS) ?? "info") as LogLevel;
  const format = (oneOf("log-format", LOG_FORMATS) ?? (io.stderrIsTTY ? "console" : "json")) as LogFormat;
  const workers = standard.values.workers as number;
  if (workers < -1) throw new ConfigError("invalid value for --workers ($BATON_WORKERS): must be -1, 0 or more");
  if (standard.values["skip-grants"] === true && !standard.values["sync-resources"]) {
    throw new ConfigError("--skip-grants ($BATON_SKIP_GRANTS) needs --sync-resources ($BATON_SYNC_RESOURCES)");
  }
  const targetResources = ((standard.values["sync-resources"] as string[] | undefined) ?? []).map(parseResourceRef);
  if (pick(standard, "invoke-action-args") !== undefined && pick(standard, "invoke-action") === undefined) {
    throw new ConfigError(
      "--invoke-action-args ($BATON_INVOKE_ACTION_ARGS) needs --invoke-action ($BATON_INVOKE_ACTION)",
    );
  }
  return { level, format, workers, targetResources };
}

/** Baton's sync flags as the pipeline's scope. */
function syncScope(standard: ResolvedValues, targetResources: ResourceId[], workers: number): SyncScope {
  return {
    resourceTypeIds: standard.values["sync-resource-types"] as string[] | undefined,
    targetResources: targetResources.length ? targetResources : undefined,
    resourcesOnly: standard.values["skip-entitlements-and-grants"] === true,
    skipGrants: standard.values["skip-grants"] === true,
    skipFullSync: standard.values["skip-full-sync"] === true,
    workers,
  };
}

/** A sync into `--file` (a path or `s3://`), extending the c1z already there. */
async function syncToFile(
  entry: SyncEntry,
  file: string,
  run: {
    scope: SyncScope;
    log: Logger;
    pluginState: PluginStateStore | undefined;
    progress: ReturnType<typeof progressLine> | undefined;
    io: CliIO;
  },
): Promise<number> {
  const { log, progress, io } = run;
  log.info("sync starting", { plugin: entry.plugin.name, file: describeDestination(parseDestination(file)) });
  // Through a file-backed store (bounded memory, resumable after a kill): beside a local file, in the work
  // directory for s3:// and r2:// (streamed up as a multipart upload).
  const local = parseDestination(file);
  const workFile = !(await canUseWorkFile())
    ? undefined
    : local.kind === "file"
      ? localWorkFile(local.path)
      : await remoteWorkFile(file, local, io.env, log);
  try {
    const outcome = await runConnectorSync(entry, {
      // Only a finished sync is written; the previous file stays as it was on any failure.
      store: workFile?.store ?? c1zBytesSource(() => loadC1zSource(file, { env: io.env })),
      destination: workFile?.destination ?? locationDestination(file, { env: io.env }),
      checkpoints: workFile?.checkpoints,
      scope: run.scope,
      log,
      pluginState: run.pluginState,
      onProgress: progress?.onProgress,
    });
    if (outcome.status !== "finished") throw new Error(`sync stopped: ${outcome.reason}`);
    const { result, saved } = outcome;
    progress?.clear();
    log.info("sync finished", {
      syncId: result.syncId,
      syncType: result.syncType,
      resumed: result.resumed,
      resourceTypes: result.written.resourceTypes,
      resources: result.written.resources,
      entitlements: result.written.entitlements,
      grants: result.written.grants,
      expandedGrants: result.expandedGrants,
      warnings: result.warnings.length,
      file: saved.destination,
      bytes: saved.bytes,
    });
    return EXIT_OK;
  } finally {
    progress?.clear();
  }
}

/** The flags of Baton's one-shot provisioning operations (they imply --provisioning). */
const ONE_SHOT_FLAGS = [
  "grant-entitlement",
  "revoke-grant",
  "create-account-login",
  "delete-resource",
  "rotate-credentials",
] as const;

const ACTION_FLAG = "--invoke-action ($BATON_INVOKE_ACTION)";
const ACTION_ARGS_FLAG = "--invoke-action-args ($BATON_INVOKE_ACTION_ARGS)";

function parseActionArgs(text: string | undefined): unknown {
  if (text === undefined) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ConfigError(`invalid value for ${ACTION_ARGS_FLAG}: not JSON`);
  }
}

/**
 * `--invoke-action`: a one-shot op, so it implies --provisioning as Baton's one-shot flags do.
 * Prints the action's response JSON on stdout. An unknown action or bad arguments is a usage
 * error naming the flag (exit 2); the action failing is a runtime failure (exit 1).
 */
async function runAction(
  target: ProvisionTarget,
  name: string,
  args: unknown,
  log: Logger,
  io: CliIO,
): Promise<number> {
  let outcome: Awaited<ReturnType<typeof invokeAction>>;
  try {
    outcome = await invokeAction(target, name, args);
  } catch (error) {
    if (error instanceof ProvisionError && error.code === "not-found") {
      throw new ConfigError(`invalid value for ${ACTION_FLAG}: ${error.message}`);
    }
    if (error instanceof ProvisionError && error.code === "invalid-argument") {
      throw new ConfigError(`invalid value for ${ACTION_ARGS_FLAG}: ${error.message}`);
    }
    throw error;
  }
  log.info("action complete", { action: name });
  io.stdout(`${JSON.stringify(outcome.response, null, 2)}\n`);
  return EXIT_OK;
}

/** Runs the one-shot operation the flags ask for, if any (they imply --provisioning, as in Baton). */
async function runOneShot(
  target: ProvisionTarget,
  standard: ResolvedValues,
  file: string,
  log: Logger,
  env: Record<string, string | undefined>,
): Promise<number | undefined> {
  const grantEntitlementId = pick(standard, "grant-entitlement");
  const revoke = pick(standard, "revoke-grant");
  const login = pick(standard, "create-account-login");
  const deleteId = pick(standard, "delete-resource");
  const rotateId = pick(standard, "rotate-credentials");
  if (grantEntitlementId || revoke) {
    const bytes = await loadC1zSource(file, { env });
    if (!bytes) {
      const shown = describeDestination(parseDestination(file));
      throw new ConfigError(`--file ($BATON_FILE): ${shown} does not exist; run a sync first`);
    }
    const reader = await openC1z(bytes);
    try {
      if (grantEntitlementId) {
        const result = await grantEntitlement(target, reader, {
          entitlementId: grantEntitlementId,
          principalId: pick(standard, "grant-principal")!,
          principalType: pick(standard, "grant-principal-type")!,
        });
        log.info(result.status === "already-exists" ? "grant already exists (GrantAlreadyExists)" : "grant created", {
          entitlement: grantEntitlementId,
          principal: `${pick(standard, "grant-principal-type")}:${pick(standard, "grant-principal")}`,
          grants: result.grants.map((grant) => grant.id),
        });
      } else {
        const result = await revokeGrant(target, reader, { grantId: revoke! });
        log.info(
          result.status === "already-revoked" ? "grant already revoked (GrantAlreadyRevoked)" : "grant revoked",
          {
            grant: revoke,
          },
        );
      }
    } finally {
      reader.close();
    }
    return EXIT_OK;
  }
  if (login) {
    const profileText = pick(standard, "create-account-profile");
    let profile: Record<string, unknown> | undefined;
    if (profileText) {
      try {
        profile = JSON.parse(profileText) as Record<string, unknown>;
      } catch {
        throw new ConfigError("invalid value for --create-account-profile ($BATON_CREATE_ACCOUNT_PROFILE): not JSON");
      }
      if (typeof profile !== "object" || profile === null || Array.isArray(profile)) {
        throw new ConfigError(
          "invalid value for --create-account-profile ($BATON_CREATE_ACCOUNT_PROFILE): must be a JSON object",
        );
      }
    }
    const email = pick(standard, "create-account-email");
    const result = await createAccount(target, {
      login,
      emails: email ? [{ address: email, primary: true }] : undefined,
      profile,
      resourceType: pick(standard, "create-account-resource-type"),
    });
    // Credentials are returned once and never printed, as Baton's local runner does not print them either.
    log.info(result.status === "already-exists" ? "account already exists" : `account ${result.status}`, {
      login,
      resource: result.resource?.id ? `${result.resource.id.resourceType}:${result.resource.id.resource}` : undefined,
      credentials: result.credentials.length,
    });
    return EXIT_OK;
  }
  if (deleteId) {
    const result = await deleteResource(target, {
      resourceId: deleteId,
      resourceType: pick(standard, "delete-resource-type")!,
    });
    log.info(result.status === "already-deleted" ? "resource already deleted" : "resource deleted", {
      resource: `${pick(standard, "delete-resource-type")}:${deleteId}`,
    });
    return EXIT_OK;
  }
  if (rotateId) {
    const result = await rotateCredentials(target, {
      resourceId: rotateId,
      resourceType: pick(standard, "rotate-credentials-type")!,
    });
    log.info("credentials rotated", {
      resource: `${pick(standard, "rotate-credentials-type")}:${rotateId}`,
      credentials: result.credentials.length,
    });
    return EXIT_OK;
  }
  return undefined;
}

/**
 * The work file of a remote `--file`, whose c1z is streamed up as a multipart upload. The upload is
 * noted beside the work file before its first part, and one a killed run left open is aborted first.
 */
async function remoteWorkFile(
  file: string,
  location: Destination,
  env: Record<string, string | undefined>,
  log: Logger,
) {
  const work = workFileSync(await remoteWorkPath(location, env), () => loadC1zSource(file, { env }));
  const uploads = uploadNotes(`${work.workPath}.upload.json`);
  await abortLeftoverUpload(uploads, location, { env }, (message) => log.warn(message), "sync");
  return { ...work, destination: locationDestination(file, { env, ...uploads.hooks }) };
}

/** `<work dir>/cli/<hash of the location>.work.db`: one per remote c1z, so a killed run resumes. */
async function remoteWorkPath(location: Destination, env: Record<string, string | undefined>): Promise<string> {
  const digest = createHash("sha256").update(describeDestination(location)).digest("hex").slice(0, 24);
  return join(await workDirFrom(env), "cli", `${digest}.work.db`);
}
