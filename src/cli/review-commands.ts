/**
 * The access reviewer's commands of Baton's `baton` CLI: `diff` (two syncs of one
 * file, or of two files) and `export xlsx|csv` ("Export … for upload").
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { resolve } from "node:path";
import { openC1z, type SqliteC1zStore } from "../c1z/index.ts";
import { ConfigError, resolveFieldValues } from "../plugins/config.ts";
import { envNameForFlag } from "../plugins/fields.ts";
import { csvChunks } from "../review/csv.ts";
import { type DiffSide, diffCounts, diffJsonChunks } from "../review/diff.ts";
import { exportRows } from "../review/export-rows.ts";
import { defaultSync, pairInOneFile, SyncChoiceError } from "../review/syncs.ts";
import { xlsxChunks } from "../review/xlsx.ts";
import { loadC1zSource } from "../upload/index.ts";
import { type FlagKind, type FlagSpec, parseArgs, UsageError } from "./args.ts";
import { diffTextChunks } from "./diff-text.ts";
import { flagField, HELP_FLAG } from "./flags.ts";
import { flagLines } from "./help.ts";
import { type CliIO, EXIT_FAILURE, EXIT_OK } from "./io.ts";
import type { ConfigFile } from "./settings.ts";

function flag(name: string, kind: FlagKind, description: string, extra: Partial<FlagSpec> = {}): FlagSpec {
  return { name, kind, description, env: envNameForFlag(name), ...extra };
}

const FILE_FLAG = flag("file", "string", "The path to the c1z file to read", { short: "f", default: "sync.c1z" });
const CONFIG_FLAG = flag("config", "string", "A YAML config file (flag names as keys)", { env: "BATON_CONFIG_PATH" });

export const DIFF_FLAGS: FlagSpec[] = [
  FILE_FLAG,
  flag("from", "string", "Compare two files: the older c1z (with --to)"),
  flag("to", "string", "Compare two files: the newer c1z (with --from)"),
  flag("sync-id", "string", "The newer sync (default: the latest finished full sync)"),
  flag("from-sync-id", "string", "The older sync (default: the finished full sync before the newer one)"),
  flag("output", "select", "Output format: table, json (Baton's C1ZDiffOutput)", { short: "o", default: "table" }),
  flag("output-format", "select", "Alias of --output (Baton's name; console means table)", { hidden: true }),
  CONFIG_FLAG,
  HELP_FLAG,
];

export const EXPORT_FLAGS: FlagSpec[] = [
  FILE_FLAG,
  flag("out", "string", "Where to write the export (default ./sync.xlsx or ./sync.csv; - for stdout)"),
  flag("sync-id", "string", "The sync to export (default: the latest finished full sync)"),
  CONFIG_FLAG,
  HELP_FLAG,
];

export const REVIEW_COMMANDS: Record<string, string> = {
  diff: "Compare two syncs: created, deleted and modified resources, entitlements and grants",
  export: "Export a sync for upload: export xlsx | export csv",
};

function resolveFlags(specs: FlagSpec[], argv: readonly string[], io: CliIO, configFile: ConfigFile) {
  const parsed = parseArgs(argv, specs);
  const fields = specs.filter((spec) => spec.name !== "help").map(flagField);
  const { values } = resolveFieldValues(fields, { flags: parsed.flags, env: io.env, file: configFile.values });
  return { help: parsed.flags.help === true, positionals: parsed.positionals, values };
}

async function openFile(location: string, io: CliIO): Promise<SqliteC1zStore | undefined> {
  const bytes = await loadC1zSource(location, { env: io.env });
  if (!bytes) {
    io.stderr(`error: ${location}: no such c1z file\n`);
    return undefined;
  }
  return openC1z(bytes);
}

function usage(command: string, summary: string, specs: FlagSpec[]): string {
  return `${summary}\n\nUsage:\n  baton-edge ${command} [flags]\n\nFlags:\n${flagLines(specs)}\n`;
}

/** Picks the two sides, turning an impossible pick into a usage error (exit 2). */
function chooseSides(
  stores: { from: SqliteC1zStore; to: SqliteC1zStore; sameFile: boolean },
  values: Record<string, unknown>,
): { from: DiffSide; to: DiffSide } {
  const to = values["sync-id"] as string | undefined;
  const from = values["from-sync-id"] as string | undefined;
  try {
    if (stores.sameFile) {
      const pair = pairInOneFile(stores.to, { from, to });
      return { from: { store: stores.from, syncId: pair.from }, to: { store: stores.to, syncId: pair.to } };
    }
    return {
      from: { store: stores.from, syncId: defaultSync(stores.from, from, "--from-sync-id") },
      to: { store: stores.to, syncId: defaultSync(stores.to, to, "--sync-id") },
    };
  } catch (error) {
    if (error instanceof SyncChoiceError) throw new UsageError(error.message);
    throw error;
  }
}

export async function runDiffCommand(argv: readonly string[], io: CliIO, configFile: ConfigFile): Promise<number> {
  const { help, positionals, values } = resolveFlags(DIFF_FLAGS, argv, io, configFile);
  if (help) {
    io.stdout(usage("diff", REVIEW_COMMANDS.diff, DIFF_FLAGS));
    return EXIT_OK;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  let format = String(values["output-format"] ?? values.output ?? "table");
  if (format === "console") format = "table";
  if (format !== "table" && format !== "json") {
    throw new ConfigError(`invalid value for --output ($BATON_OUTPUT): "${format}" is not one of table, json`);
  }
  const fromFile = values.from as string | undefined;
  const toFile = values.to as string | undefined;
  if ((fromFile === undefined) !== (toFile === undefined)) throw new UsageError("--from and --to go together");
  const opened: SqliteC1zStore[] = [];
  try {
    let stores: { from: SqliteC1zStore; to: SqliteC1zStore; sameFile: boolean };
    if (fromFile !== undefined && toFile !== undefined) {
      const from = await openFile(fromFile, io);
      if (!from) return EXIT_FAILURE;
      opened.push(from);
      const to = await openFile(toFile, io);
      if (!to) return EXIT_FAILURE;
      opened.push(to);
      stores = { from, to, sameFile: false };
    } else {
      const store = await openFile(String(values.file), io);
      if (!store) return EXIT_FAILURE;
      opened.push(store);
      stores = { from: store, to: store, sameFile: true };
    }
    const sides = chooseSides(stores, values);
    const chunks =
      format === "json"
        ? diffJsonChunks(sides.from, sides.to)
        : diffTextChunks(sides.from, sides.to, diffCounts(sides.from, sides.to));
    let pending = "";
    for (const chunk of chunks) {
      pending += chunk;
      if (pending.length >= 64 * 1024) {
        io.stdout(pending);
        pending = "";
      }
    }
    io.stdout(format === "json" ? `${pending}\n` : pending);
    return EXIT_OK;
  } finally {
    for (const store of opened) store.close();
  }
}

/** Writes chunks to `path` through a temporary file renamed into place, so a failure leaves no half export. */
function writeChunksAtomic(path: string, chunks: Iterable<Uint8Array | string>): void {
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  const fd = openSync(temporary, "w");
  try {
    for (const chunk of chunks) writeSync(fd, typeof chunk === "string" ? Buffer.from(chunk) : chunk);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(temporary, path);
  } catch (error) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    rmSync(temporary, { force: true });
    throw error;
  }
}

export async function runExportCommand(argv: readonly string[], io: CliIO, configFile: ConfigFile): Promise<number> {
  const [format, ...rest] = argv;
  if (format === undefined || format === "--help" || format === "-h" || format === "help") {
    io.stdout(
      `${REVIEW_COMMANDS.export}\n\nUsage:\n  baton-edge export xlsx [flags]\n  baton-edge export csv [flags]\n\nFlags:\n${flagLines(EXPORT_FLAGS)}\n`,
    );
    return EXIT_OK;
  }
  if (format !== "xlsx" && format !== "csv") {
    throw new UsageError(`unknown export format "${format}" (xlsx, csv)`);
  }
  const { help, positionals, values } = resolveFlags(EXPORT_FLAGS, rest, io, configFile);
  if (help) {
    io.stdout(usage(`export ${format}`, `Export ${format.toUpperCase()} for upload`, EXPORT_FLAGS));
    return EXIT_OK;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const store = await openFile(String(values.file), io);
  if (!store) return EXIT_FAILURE;
  try {
    let syncId: string;
    try {
      syncId = defaultSync(store, values["sync-id"] as string | undefined, "--sync-id");
    } catch (error) {
      if (error instanceof SyncChoiceError) throw new UsageError(error.message);
      throw error;
    }
    const out = String(values.out ?? `./sync.${format}`);
    const chunks = format === "xlsx" ? xlsxChunks(exportRows(store, syncId)) : csvChunks(store, syncId);
    if (out === "-") {
      if (format === "xlsx") throw new UsageError("--out -: XLSX is binary; write it to a file");
      for (const chunk of chunks) io.stdout(chunk as string);
    } else {
      writeChunksAtomic(resolve(io.cwd, out), chunks);
    }
    return EXIT_OK;
  } finally {
    store.close();
  }
}
