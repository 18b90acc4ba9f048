/**
 * `wrangler dev` (workerd via miniflare) for the runtime tests and benches: one way to start
 * it, wait until it serves, and find its URL; and the Worker config of the paged-sync test
 * object (test/support/paged-sync-worker.ts).
 */
import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Started, startProcess, waitForOutput } from "../runtime-support.ts";
import { freePort } from "../upload-support.ts";

const root = resolve(import.meta.dirname, "../..");

export const wranglerBin = join(root, "node_modules/.bin/wrangler");
export const hasWrangler = existsSync(wranglerBin);

export interface WranglerDev {
  server: Started;
  port: number;
  base: string;
}

/**
 * Serves `config` from `cwd` with its Durable Object and other local state in `persistTo`
 * (the same directory again = the same storage after a restart). `port`: keep a restarted
 * server at its old address. Resolves once wrangler prints "Ready".
 */
export async function startWranglerDev(options: {
  config: string;
  cwd: string;
  persistTo: string;
  port?: number;
  /** More environment for wrangler (e.g. MINIFLARE_WORKERD_PATH). */
  env?: Record<string, string>;
}): Promise<WranglerDev> {
  const port = options.port ?? (await freePort());
  const server = startProcess(
    wranglerBin,
    ["dev", "-c", options.config, "--ip", "127.0.0.1", "--port", String(port), "--persist-to", options.persistTo],
    {
      cwd: options.cwd,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        WRANGLER_SEND_METRICS: "false",
        CI: "1",
        ...options.env,
      },
    },
  );
  try {
    await waitForOutput(server, /Ready on http/);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { server, port, base: `http://127.0.0.1:${port}` };
}

/**
 * A wrangler config for test/support/paged-sync-worker.ts (bundled by wrangler from source):
 * its SQLite-backed object `PAGED` and `vars` (e.g. S3 credentials) in `scratch/<name>.toml`.
 */
export function writePagedWorkerConfig(scratch: string, name: string, vars: Record<string, string> = {}): string {
  const path = join(scratch, `${name}.toml`);
  const lines = Object.entries(vars).map(([k, v]) => `${k} = ${JSON.stringify(v)}`);
  writeFileSync(
    path,
    `name = ${JSON.stringify(name)}
main = ${JSON.stringify(join(root, "test/support/paged-sync-worker.ts"))}
compatibility_date = "2026-04-20"
compatibility_flags = ["nodejs_compat"]

[alias]
"@aws-sdk/xml-builder" = ${JSON.stringify(join(root, "node_modules/@aws-sdk/xml-builder/dist-cjs/index.js"))}

[[durable_objects.bindings]]
name = "PAGED"
class_name = "PagedSync"

[[migrations]]
tag = "v1"
new_sqlite_classes = ["PagedSync"]

[vars]
${lines.join("\n")}
`,
  );
  return path;
}
