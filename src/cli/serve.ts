/**
 * `baton-edge serve`: the HTTP API on Node's HTTP server (also under Bun and
 * Deno's node:http). Settings come from the environment, as for the runtime
 * entries (src/runtime/settings.ts); `--port`/`--host` override PORT/HOST.
 */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { PluginRegistry } from "../plugins/contract.ts";
import { announce, prepareServer } from "../runtime/server.ts";
import { parseArgs, UsageError } from "./args.ts";
import { HELP_FLAG } from "./flags.ts";
import { type CliIO, EXIT_OK } from "./io.ts";
import type { ConfigFile } from "./settings.ts";

const SERVE_FLAGS = [
  HELP_FLAG,
  { name: "port", kind: "integer" as const, env: "PORT", description: "Port to listen on (default 8080)" },
  { name: "host", kind: "string" as const, env: "HOST", description: "Address to listen on (default 0.0.0.0)" },
];

export async function runServe(
  argv: readonly string[],
  io: CliIO,
  { registry }: { registry: PluginRegistry; configFile: ConfigFile },
): Promise<number> {
  const parsed = parseArgs(argv, SERVE_FLAGS);
  if (parsed.positionals.length > 0) throw new UsageError(`serve takes no arguments, got "${parsed.positionals[0]}"`);
  if (parsed.flags.help === true) {
    io.stdout(
      "Usage: baton-edge serve [--port N] [--host ADDR]\n\nRuns the HTTP API. Auth: BATON_AUTH_HS_SECRET | BATON_AUTH_PUBLIC_KEY | BATON_AUTH_JWKS_URL with BATON_AUTH_ISSUER and BATON_AUTH_AUDIENCE, or BATON_AUTH=off (loopback only).\n",
    );
    return EXIT_OK;
  }
  const env: Record<string, string | undefined> = { ...io.env };
  if (parsed.flags.port !== undefined) env.PORT = String(parsed.flags.port);
  if (parsed.flags.host !== undefined) env.HOST = String(parsed.flags.host);
  const prepared = await prepareServer(env, { registry });
  await new Promise<void>((done) => {
    const server = serve(
      { fetch: prepared.app.fetch, hostname: prepared.address.hostname, port: prepared.address.port },
      (info: AddressInfo) => announce("node", prepared, info.port),
    );
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => server.close(() => done()));
  });
  return EXIT_OK;
}
