/**
 * The flags every `baton-<app>` binary has (baton-sdk's pkg/field/defaults.go),
 * with the same names, shorthands, defaults and `BATON_*` env vars.
 */
import type { ConfigRelation } from "../plugins/contract.ts";
import { type ConfigField, envNameForFlag } from "../plugins/fields.ts";
import type { FlagKind, FlagSpec } from "./args.ts";

function flag(
  name: string,
  kind: FlagKind,
  description: string,
  extra: Partial<Omit<FlagSpec, "name" | "kind" | "description">> = {},
): FlagSpec {
  return { name, kind, description, env: envNameForFlag(name), ...extra };
}

export const HELP_FLAG = flag("help", "boolean", "Help for this command", { short: "h" });

/** Flags of `baton-edge <plugin>`; plugin config fields are added to these. */
export const RUN_FLAGS: FlagSpec[] = [
  flag("file", "string", "The path to the c1z file to sync with", { short: "f", default: "sync.c1z" }),
  flag("config", "string", "A YAML config file (flag names as keys)", { env: "BATON_CONFIG_PATH" }),
  flag("plugins-dir", "string", "An extra directory of plugins (<dir>/<name>/index.ts)"),
  flag("log-level", "select", "The log level: debug, info, warn, error", { default: "info" }),
  flag("log-format", "select", "The output format for logs: json, console (default: console on a TTY, else json)"),
  flag("provisioning", "boolean", "Enable provisioning actions (grant, revoke, accounts, credentials, delete)", {
    short: "p",
    default: false,
  }),
  flag("sync-resources", "string-list", "Targeted sync: only these resources (type:id or Baton ids bid:r:type/id)"),
  flag("sync-resource-types", "string-list", "Only sync these resource type ids"),
  flag("skip-entitlements-and-grants", "boolean", "Sync resources only (a resources_only sync)", { default: false }),
  flag("skip-grants", "boolean", "With --sync-resources: skip their grants", { default: false, hidden: true }),
  flag("skip-full-sync", "boolean", "Start and end an empty full sync", { default: false }),
  flag("workers", "integer", "Parallel workers within a phase (0: sequential)", { default: 0 }),
  flag("grant-entitlement", "string", "The entitlement to grant to the principal", { hidden: true }),
  flag("grant-principal", "string", "The resource id of the principal to grant the entitlement to", { hidden: true }),
  flag("grant-principal-type", "string", "The resource type of the principal to grant the entitlement to", {
    hidden: true,
  }),
  flag("revoke-grant", "string", "The grant to revoke", { hidden: true }),
  flag("create-account-login", "string", "The login of the account to create", { hidden: true }),
  flag("create-account-email", "string", "The email of the account to create", { hidden: true }),
  flag("create-account-profile", "string", "The profile of the account to create, as JSON", { hidden: true }),
  flag("create-account-resource-type", "string", "The resource type of the account to create", { hidden: true }),
  flag("delete-resource", "string", "The id of the resource to delete", { hidden: true }),
  flag("delete-resource-type", "string", "The resource type of the resource to delete", { hidden: true }),
  flag("rotate-credentials", "string", "The id of the resource to rotate credentials on", { hidden: true }),
  flag("rotate-credentials-type", "string", "The resource type of the resource to rotate credentials on", {
    hidden: true,
  }),
  flag("client-id", "string", "The client ID used to authenticate with ConductorOne (service mode)"),
  flag("client-secret", "string", "The client secret used to authenticate with ConductorOne (service mode)", {
    secret: true,
  }),
  flag("task-concurrency", "integer", "Service mode: tasks run at the same time (1 to 100)", { default: 3 }),
  flag("one-shot", "boolean", "Service mode: run until the first sync task has uploaded, then exit", {
    default: false,
  }),
  flag("invoke-action", "string", "The name of the action to invoke", { hidden: true }),
  flag("invoke-action-args", "string", "The arguments of the action to invoke, as a JSON object", { hidden: true }),
  flag("list-action-schemas", "boolean", "Print the plugin's actions and their argument schemas as JSON", {
    default: false,
    hidden: true,
  }),
  HELP_FLAG,
];

/** Baton's built-in constraints between the standard flags (pkg/field/default_relationships.go). */
export const RUN_RELATIONS: ConfigRelation[] = [
  { kind: "requiredTogether", fields: ["client-id", "client-secret"] },
  { kind: "requiredTogether", fields: ["grant-entitlement", "grant-principal", "grant-principal-type"] },
  { kind: "requiredTogether", fields: ["delete-resource", "delete-resource-type"] },
  { kind: "requiredTogether", fields: ["rotate-credentials", "rotate-credentials-type"] },
  {
    kind: "mutuallyExclusive",
    fields: [
      "grant-entitlement",
      "revoke-grant",
      "create-account-login",
      "delete-resource",
      "rotate-credentials",
      "invoke-action",
    ],
  },
];

/** Flags of the inspector commands (Baton's `baton` CLI). */
export const INSPECT_FLAGS: FlagSpec[] = [
  flag("file", "string", "The path to the c1z file to read", { short: "f", default: "sync.c1z" }),
  flag("output", "select", "Output format: table, json", { short: "o", default: "table" }),
  flag("output-format", "select", "Alias of --output (Baton's name; console means table)", { hidden: true }),
  flag("sync-id", "string", "The sync to read (default: the latest finished sync)"),
  flag("resource-type", "string", "Filter by resource type id", { short: "t" }),
  flag("resource", "string", "Filter by resource id (with --resource-type)", { short: "r" }),
  flag("entitlement", "string", "Filter by entitlement id", { short: "e" }),
  flag("config", "string", "A YAML config file (flag names as keys)", { env: "BATON_CONFIG_PATH" }),
  HELP_FLAG,
];

/** `baton-edge plugins` and top-level help. */
export const PLUGINS_FLAGS: FlagSpec[] = [
  flag("plugins-dir", "string", "An extra directory of plugins (<dir>/<name>/index.ts)"),
  flag("output", "select", "Output format: table, json", { short: "o", default: "table" }),
  flag("config", "string", "A YAML config file (flag names as keys)", { env: "BATON_CONFIG_PATH" }),
  HELP_FLAG,
];

/** A plugin config field as a flag. */
export function fieldFlag(field: ConfigField): FlagSpec {
  return {
    name: field.flag,
    kind: field.kind,
    env: field.env,
    description: field.description,
    default: field.default,
    secret: field.secret,
  };
}

/** Standard flags as config fields, so they resolve with the same precedence as plugin fields. */
export function flagField(spec: FlagSpec): ConfigField {
  return {
    name: spec.name,
    flag: spec.name,
    env: spec.env,
    kind: spec.kind,
    required: false,
    default: spec.default,
    secret: spec.secret === true,
    description: spec.description,
  };
}
