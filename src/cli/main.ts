// The process entry: bin/baton-edge.js on Node (through tsx), or `bun`/`deno run` on this file directly.
import { runCli } from "./cli.ts";
import { processIO } from "./io.ts";

process.exitCode = await runCli(process.argv.slice(2), processIO());
