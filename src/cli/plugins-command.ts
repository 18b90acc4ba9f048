/** `baton-edge plugins`: what loaded and what failed, with path and reason. */

import { resolveFieldValues } from "../plugins/config.ts";
import type { PluginRegistry } from "../plugins/contract.ts";
import { parseArgs, UsageError } from "./args.ts";
import { flagField, PLUGINS_FLAGS } from "./flags.ts";
import { flagLines } from "./help.ts";
import { type CliIO, EXIT_OK } from "./io.ts";
import type { ConfigFile } from "./settings.ts";
import { renderTable } from "./table.ts";

export function runPluginsCommand(
  registry: PluginRegistry,
  argv: readonly string[],
  io: CliIO,
  configFile: ConfigFile,
): number {
  const parsed = parseArgs(argv, PLUGINS_FLAGS);
  if (parsed.flags.help === true) {
    io.stdout(
      `List loaded and failed plugins\n\nUsage:\n  baton-edge plugins [flags]\n\nFlags:\n${flagLines(PLUGINS_FLAGS)}\n`,
    );
    return EXIT_OK;
  }
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument "${parsed.positionals[0]}"`);
  const fields = PLUGINS_FLAGS.filter((spec) => spec.name !== "help").map(flagField);
  const { values } = resolveFieldValues(fields, { flags: parsed.flags, env: io.env, file: configFile.values });
  if (values.output === "json") {
    const json = {
      plugins: registry.plugins.map((loaded) => ({
        name: loaded.name,
        displayName: loaded.plugin.displayName,
        version: loaded.plugin.version ?? "",
        source: loaded.source,
      })),
      failures: registry.failures,
    };
    io.stdout(`${JSON.stringify(json, null, 2)}\n`);
    return EXIT_OK;
  }
  if (values.output !== "table")
    throw new UsageError(`invalid value for --output: "${String(values.output)}" is not one of table, json`);
  io.stdout(
    renderTable(
      ["Name", "Display Name", "Version", "Source"],
      registry.plugins.map((loaded) => [
        loaded.name,
        loaded.plugin.displayName,
        loaded.plugin.version ?? "",
        loaded.source,
      ]),
    ),
  );
  if (registry.failures.length > 0) {
    io.stdout(
      `\nFailed to load:\n${renderTable(
        ["Name", "Path", "Reason"],
        registry.failures.map((f) => [f.name, f.path, f.reason]),
      )}`,
    );
  }
  return EXIT_OK;
}
