/** Bun entry: `bun src/runtime/bun.ts` (bun run start:bun). */
import { announce, prepareServer } from "./server.ts";

interface BunServer {
  port: number;
  stop(closeActive?: boolean): Promise<void> | void;
}
declare const Bun: {
  serve(options: {
    fetch: (request: Request) => Response | Promise<Response>;
    hostname: string;
    port: number;
  }): BunServer;
};

const prepared = await prepareServer(process.env);
const server = Bun.serve({
  fetch: prepared.app.fetch,
  hostname: prepared.address.hostname,
  port: prepared.address.port,
});
announce("bun", prepared, server.port);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, async () => {
    await server.stop();
    process.exit(0);
  });
}
