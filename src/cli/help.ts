/**
 * Help text in cobra's layout; each flag's line ends with its env var, as
 * Baton's `GetDescription` does. Secret defaults are never shown.
 */
import type { AnyPlugin, PluginRegistry } from "../plugins/contract.ts";
import type { FlagSpec } from "./args.ts";

const TYPE_NAME: Record<FlagSpec["kind"], string> = {
  string: "string",
  select: "string",
  integer: "int",
  number: "float",
  boolean: "",
  "string-list": "strings",
};

function defaultText(spec: FlagSpec): string {
  if (spec.secret || spec.default === undefined || spec.default === false || spec.default === "") return "";
  if (Array.isArray(spec.default)) return spec.default.length ? ` (default [${spec.default.join(",")}])` : "";
  if (spec.kind === "integer" && spec.default === 0) return "";
  return ` (default ${typeof spec.default === "string" ? JSON.stringify(spec.default) : String(spec.default)})`;
}

export function flagLines(specs: readonly FlagSpec[]): string {
  const visible = specs.filter((spec) => !spec.hidden);
  const heads = visible.map((spec) => {
    const short = spec.short ? `-${spec.short}, ` : "    ";
    const type = TYPE_NAME[spec.kind];
    return `  ${short}--${spec.name}${type ? ` ${type}` : ""}`;
  });
  const width = Math.max(0, ...heads.map((head) => head.length)) + 3;
  return visible
    .map((spec, i) => {
      const env = spec.name === "help" ? "" : ` ($${spec.env})`;
      const secret = spec.secret ? " [secret]" : "";
      return `${heads[i].padEnd(width)}${spec.description}${secret}${defaultText(spec)}${env}`;
    })
    .join("\n");
}

export function pluginHelp(plugin: AnyPlugin, pluginFlags: readonly FlagSpec[], runFlags: readonly FlagSpec[]): string {
  return [
    `${plugin.displayName}${plugin.description ? `: ${plugin.description}` : ""}`,
    "",
    "Usage:",
    `  baton-edge ${plugin.name} [flags]`,
    `  baton-edge ${plugin.name} [command]`,
    "",
    "Available Commands:",
    "  capabilities   Get connector capabilities",
    "  config         Get the connector config schema",
    "",
    `Plugin flags (${plugin.name}):`,
    pluginFlags.length ? flagLines(pluginFlags) : "  (none)",
    "",
    "Flags:",
    flagLines(runFlags),
    "",
    "One-shot operations (imply --provisioning): --grant-entitlement --grant-principal --grant-principal-type,",
    "  --revoke-grant, --create-account-login/-email/-profile, --delete-resource(-type), --rotate-credentials(-type)",
    "",
  ].join("\n");
}

export function mainHelp(registry: PluginRegistry): string {
  const names = registry.plugins.map((loaded) => loaded.name);
  const width = Math.max(16, ...names.map((name) => name.length + 3));
  return [
    "baton-edge: Baton-compatible identity connectors as plugins; writes and reads .c1z files.",
    "",
    "Usage:",
    "  baton-edge <plugin> [flags]          sync (or provision) like a baton-<app> binary",
    "  baton-edge <plugin> capabilities     print the connector capabilities",
    "  baton-edge <plugin> config           print the config schema",
    "  baton-edge <plugin> --help           list the plugin's flags and env vars",
    "  baton-edge plugins                   list loaded and failed plugins",
    "  baton-edge serve                     run the HTTP API",
    "",
    "Inspect a c1z (ours or Go's): baton-edge <command> -f sync.c1z [--output table|json]",
    "  resource-types, resources, entitlements, grants, principals, access, stats, syncs",
    "",
    "Review access:",
    "  baton-edge diff -f sync.c1z          the latest two full syncs (or --from A.c1z --to B.c1z)",
    "  baton-edge export xlsx|csv --out f   Baton's export for upload",
    "  baton-edge explorer -f sync.c1z      a web explorer on 127.0.0.1",
    "",
    "Plugins:",
    ...registry.plugins.map((loaded) => `  ${loaded.name.padEnd(width)}${loaded.plugin.displayName}`),
    ...(registry.failures.length
      ? ["", `${registry.failures.length} plugin(s) failed to load: run baton-edge plugins`]
      : []),
    "",
  ].join("\n");
}
