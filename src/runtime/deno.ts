/** Deno entry: `deno task start` (permissions in deno.json). */
import { announce, prepareServer } from "./server.ts";

interface DenoServer {
  finished: Promise<void>;
  shutdown(): Promise<void>;
}
declare const Deno: {
  env: { get(name: string): string | undefined };
  serve(
    options: { hostname: string; port: number; onListen?: (addr: { port: number }) => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): DenoServer;
  addSignalListener(signal: "SIGINT" | "SIGTERM", handler: () => void): void;
};

// deno.json grants only some variables (`--allow-env=PORT,HOST,BATON_*`); others read as unset.
const env = new Proxy({} as Record<string, string | undefined>, {
  get(_, name) {
    if (typeof name !== "string") return undefined;
    try {
      return Deno.env.get(name);
    } catch {
      return undefined;
    }
  },
});
const prepared = await prepareServer(env);
const server = Deno.serve(
  {
    hostname: prepared.address.hostname,
    port: prepared.address.port,
    onListen: ({ port }) => announce("deno", prepared, port),
  },
  prepared.app.fetch,
);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => {
    server.shutdown();
  });
}
await server.finished;
