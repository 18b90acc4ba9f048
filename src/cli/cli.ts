/**
 * `baton-edge`: dispatch to a plugin (like a `baton-<app>` binary), `plugins`,
 * `serve`, or an inspector command. Usage and config errors print one line and
 * exit 2; runtime failures exit 1.
 */
import { C1zError } from "../c1z/errors.ts";
import { createRedactor, type Redactor } from "../log/index.ts";
import { ConfigError } from "../plugins/config.ts";
import { PluginDefinitionError } from "../plugins/define.ts";
import { loadPlugins } from "../plugins/loader.ts";
import { environmentSecretValues } from "../plugins/secrets.ts";
import { ProvisionError } from "../provision/errors.ts";
import { UsageError } from "./args.ts";
import { runExplorerCommand } from "./explorer-command.ts";
import { mainHelp } from "./help.ts";
import { INSPECT_COMMANDS, runInspectCommand } from "./inspect.ts";
import { type CliIO, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, oneLine } from "./io.ts";
import { runPluginsCommand } from "./plugins-command.ts";
import { runDiffCommand, runExportCommand } from "./review-commands.ts";
import { runPluginCommand } from "./run-plugin.ts";
import { loadConfigFile, pluginDirs } from "./settings.ts";

/** The plugin run when the first argument is a flag (`baton-edge -f sync.c1z`). */
export const DEFAULT_PLUGIN = "demo";

async function dispatch(argv: readonly string[], io: CliIO, redactor: Redactor): Promise<number> {
  const configFile = loadConfigFile(argv, io);
  const [first = "--help", ...rest] = argv;
  if (first in INSPECT_COMMANDS) return runInspectCommand(first, rest, io, configFile);
  if (first === "diff") return runDiffCommand(rest, io, configFile);
  if (first === "export") return runExportCommand(rest, io, configFile);
  if (first === "explorer") return runExplorerCommand(rest, io, configFile);
  const registry = await loadPlugins(pluginDirs(argv, io, configFile));
  if (first === "--help" || first === "-h" || first === "help") {
    io.stdout(mainHelp(registry));
    return EXIT_OK;
  }
  if (first === "plugins") return runPluginsCommand(registry, rest, io, configFile);
  if (first === "serve") {
    // The HTTP API lives in serve.ts (its own module, its own chunk of the prebuilt CLI); loaded only when asked for.
    let module: typeof import("./serve.ts");
    try {
      module = await import("./serve.ts");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND") {
        io.stderr("error: serve is not available in this build\n");
        return EXIT_FAILURE;
      }
      throw error;
    }
    return module.runServe(rest, io, { registry, configFile });
  }
  const name = first.startsWith("-") ? (io.env.BATON_PLUGIN ?? DEFAULT_PLUGIN) : first;
  const args = first.startsWith("-") ? argv : rest;
  const loaded = registry.plugins.find((p) => p.name === name);
  if (!loaded) {
    const failure = registry.failures.find((f) => f.name === name);
    if (failure) {
      io.stderr(`error: plugin ${name} failed to load: ${failure.path}: ${oneLine(failure.reason)}\n`);
      return EXIT_FAILURE;
    }
    const known = registry.plugins.map((p) => p.name).join(", ") || "none";
    throw new UsageError(`unknown command or plugin "${name}" (plugins: ${known}; see baton-edge --help)`);
  }
  return runPluginCommand(loaded.plugin, args, io, configFile, redactor);
}

export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  // A plugin's error can echo its secret config (a DSN, a token): the plugin command adds those values.
  const redactor = createRedactor(environmentSecretValues(io.env));
  try {
    return await dispatch(argv, io, redactor);
  } catch (error) {
    const message = oneLine(redactor.redact(error instanceof Error ? error.message : String(error)));
    if (error instanceof UsageError || error instanceof ConfigError || error instanceof PluginDefinitionError) {
      io.stderr(`error: ${message}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof ProvisionError || error instanceof C1zError) {
      io.stderr(`error: ${message}\n`);
      return EXIT_FAILURE;
    }
    io.stderr(`error: ${message}\n`);
    if (io.env.BATON_DEBUG_STACK && error instanceof Error && error.stack)
      io.stderr(`${redactor.redact(error.stack)}\n`);
    return EXIT_FAILURE;
  }
}
