/**
 * `baton-edge explorer -f sync.c1z`: the web explorer over one local file, on
 * loopback only and without auth, as Baton's `baton explorer`. Prints the URL
 * and serves until interrupted.
 */

import type { AddressInfo } from "node:net";
import { basename } from "node:path";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { openC1z } from "../c1z/index.ts";
import { mountExplorer } from "../explorer/routes.ts";
import { resolveFieldValues } from "../plugins/config.ts";
import { envNameForFlag } from "../plugins/fields.ts";
import { exportResponse } from "../review/download.ts";
import { fileSource, ReviewError } from "../review/source.ts";
import { loadC1zSource } from "../upload/index.ts";
import { type FlagSpec, parseArgs, UsageError } from "./args.ts";
import { flagField, HELP_FLAG } from "./flags.ts";
import { flagLines } from "./help.ts";
import { type CliIO, EXIT_FAILURE, EXIT_OK } from "./io.ts";
import type { ConfigFile } from "./settings.ts";

export const EXPLORER_FLAGS: FlagSpec[] = [
  {
    name: "file",
    short: "f",
    kind: "string",
    env: envNameForFlag("file"),
    description: "The c1z file to explore",
    default: "sync.c1z",
  },
  {
    name: "port",
    kind: "integer",
    env: envNameForFlag("port"),
    description: "Port on 127.0.0.1 (0: any free port)",
    default: 0,
  },
  { name: "config", kind: "string", env: "BATON_CONFIG_PATH", description: "A YAML config file (flag names as keys)" },
  HELP_FLAG,
];

const STATUS: Record<string, number> = { "not-found": 404, gone: 410, "bad-request": 400, "not-readable": 409 };

export async function runExplorerCommand(argv: readonly string[], io: CliIO, configFile: ConfigFile): Promise<number> {
  const parsed = parseArgs(argv, EXPLORER_FLAGS);
  if (parsed.flags.help === true) {
    io.stdout(
      `Browse a c1z in a local web explorer (127.0.0.1, no auth)\n\nUsage:\n  baton-edge explorer [flags]\n\nFlags:\n${flagLines(EXPLORER_FLAGS)}\n`,
    );
    return EXIT_OK;
  }
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument "${parsed.positionals[0]}"`);
  const fields = EXPLORER_FLAGS.filter((spec) => spec.name !== "help").map(flagField);
  const { values } = resolveFieldValues(fields, { flags: parsed.flags, env: io.env, file: configFile.values });
  const file = String(values.file);
  const bytes = await loadC1zSource(file, { env: io.env });
  if (!bytes) {
    io.stderr(`error: ${file}: no such c1z file\n`);
    return EXIT_FAILURE;
  }
  const store = await openC1z(bytes);
  const name = basename(file).replace(/\.c1z$/, "") || "c1z";
  const source = fileSource(name, store);
  const app = new Hono();
  app.get("/", (c) => c.redirect(`/ui/c/${encodeURIComponent(name)}`));
  mountExplorer(app, {
    source,
    auth: false,
    authorize: async () => undefined,
    exportResponse: async (connector, id, format) =>
      exportResponse(await source.hold(connector, id), format, `${connector}-${id}.${format}`),
    problem: (error) => error,
  });
  app.onError((error, c) => {
    const status = error instanceof ReviewError ? (STATUS[error.kind] ?? 500) : 500;
    return c.json(
      { title: status === 500 ? "Internal Server Error" : "Error", status, detail: error.message },
      status as 500,
    );
  });
  const port = Number(values.port ?? 0);
  await new Promise<void>((done) => {
    const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port }, (info: AddressInfo) => {
      io.stdout(`explorer: http://127.0.0.1:${info.port}/ui/c/${encodeURIComponent(name)}\n`);
    });
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      process.once(signal, () => {
        server.close(() => done());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    }
  });
  store.close();
  return EXIT_OK;
}
