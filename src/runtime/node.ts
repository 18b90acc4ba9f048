/** Node.js entry: `node --import tsx src/runtime/node.ts` (npm run start:node). */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { tuneNodeHeap } from "../../bin/node-heap.mjs";
import { announce, prepareServer } from "./server.ts";

// The heap-growing factor bin/baton-edge.js sets for the CLI and `serve` (see bin/node-heap.mjs).
tuneNodeHeap();

const prepared = await prepareServer(process.env);
const server = serve(
  { fetch: prepared.app.fetch, hostname: prepared.address.hostname, port: prepared.address.port },
  (info: AddressInfo) => announce("node", prepared, info.port),
);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => server.close(() => process.exit(0)));
}
