// The process entry: bin/baton-edge.js on Node (through tsx), or `bun`/`deno run` on this file directly.
import { runCli } from "./cli.ts";
import { processIO } from "./io.ts";

// `baton-edge grants | head` closes stdout early; that is the reader's choice, not a failure.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await runCli(process.argv.slice(2), processIO());
