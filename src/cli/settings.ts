/**
 * The settings every command needs before its flags can be parsed: the YAML
 * config file (`--config` / `BATON_CONFIG_PATH` / `./.baton.yaml`, as viper
 * finds it) and the plugin directories.
 */
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { parse as parseYaml } from "yaml";
import { ConfigError } from "../plugins/config.ts";
import { builtinPluginsDir } from "../plugins/loader.ts";
import type { CliIO } from "./io.ts";

/** Reads `--name value` / `--name=value` before the full parse (which needs the plugin's own flags). */
export function peekFlag(argv: readonly string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") break;
    if (arg === `--${name}`) return argv[i + 1];
    if (arg.startsWith(`--${name}=`)) return arg.slice(name.length + 3);
  }
  return undefined;
}

export interface ConfigFile {
  path?: string;
  values: Record<string, unknown>;
}

export function loadConfigFile(argv: readonly string[], io: CliIO): ConfigFile {
  const explicit = peekFlag(argv, "config") ?? io.env.BATON_CONFIG_PATH;
  const path = explicit ?? (existsSync(join(io.cwd, ".baton.yaml")) ? ".baton.yaml" : undefined);
  if (!path) return { values: {} };
  const full = isAbsolute(path) ? path : join(io.cwd, path);
  const where = "--config ($BATON_CONFIG_PATH)";
  if (explicit && !/\.ya?ml$/i.test(path)) {
    throw new ConfigError(`${where}: config file ${path} must end in .yaml or .yml`);
  }
  let text: string;
  try {
    text = readFileSync(full, "utf8");
  } catch {
    throw new ConfigError(`${where}: cannot read config file ${path}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new ConfigError(`${where}: config file ${path} is not valid YAML: ${reason}`);
  }
  if (parsed === null || parsed === undefined) return { path: full, values: {} };
  if (typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ConfigError(`${where}: config file ${path} must be a mapping of flag names to values`);
  }
  return { path: full, values: parsed as Record<string, unknown> };
}

/** The built-in plugins, then `--plugins-dir` / `BATON_PLUGINS_DIR` / the config file's `plugins-dir`. */
export function pluginDirs(argv: readonly string[], io: CliIO, file: ConfigFile): string[] {
  const extra =
    peekFlag(argv, "plugins-dir") ??
    io.env.BATON_PLUGINS_DIR ??
    (typeof file.values["plugins-dir"] === "string" ? (file.values["plugins-dir"] as string) : undefined);
  const dirs = [builtinPluginsDir()];
  if (extra) dirs.push(isAbsolute(extra) ? extra : join(io.cwd, extra));
  return dirs;
}
