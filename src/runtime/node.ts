/** Node.js entry: `node --import tsx src/runtime/node.ts` (npm run start:node). */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { announce, prepareServer } from "./server.ts";

const prepared = await prepareServer(process.env);
const server = serve(
  { fetch: prepared.app.fetch, hostname: prepared.address.hostname, port: prepared.address.port },
  (info: AddressInfo) => announce("node", prepared, info.port),
);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => server.close(() => process.exit(0)));
}
