/**
 * Peak memory of demo syncs on workerd: the deploy bundle served by `wrangler dev`,
 * one server per demo size, a sync over HTTP, and the workerd process's peak
 * resident set (VmHWM from /proc) before and after. Prints JSON lines.
 * Run: npx tsx bench/workerd-memory.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { authEnv, mintJwt, startProcess, waitForOutput } from "../test/runtime-support.ts";
import { buildWorker, workerdPeakRss, writeWorkerConfig } from "../test/runtime-worker-support.ts";
import { freePort } from "../test/upload-support.ts";

const root = resolve(import.meta.dirname, "..");
const sizes: { label: string; vars: Record<string, string> }[] = [
  { label: "demo-default", vars: {} },
  { label: "demo-2k-users", vars: { BATON_USERS: "2000", BATON_GRANTS: "6000", BATON_GROUPS: "20" } },
];

const scratch = mkdtempSync(join(tmpdir(), "baton-bench-"));
try {
  const bundle = await buildWorker(root, scratch);
  console.log(JSON.stringify({ bench: "worker-bundle", ...bundle }));
  for (const size of sizes) {
    const config = writeWorkerConfig(scratch, { name: size.label, vars: { ...authEnv(), ...size.vars } });
    const port = await freePort();
    const server = startProcess(
      join(root, "node_modules/.bin/wrangler"),
      ["dev", "-c", config, "--ip", "127.0.0.1", "--port", String(port), "--persist-to", join(scratch, size.label)],
      {
        cwd: scratch,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, WRANGLER_SEND_METRICS: "false", CI: "1" },
      },
    );
    try {
      await waitForOutput(server, /Ready on http/);
      const base = `http://127.0.0.1:${port}`;
      const headers = { authorization: `Bearer ${await mintJwt()}`, "content-type": "application/json" };
      await fetch(`${base}/healthz`);
      const idle = workerdPeakRss(server.child.pid!);
      const started = Date.now();
      const { id } = (await (
        await fetch(`${base}/v1/connectors/demo/syncs`, { method: "POST", headers, body: "{}" })
      ).json()) as {
        id: string;
      };
      let record: { state: string; counts?: Record<string, number>; c1zBytes?: number } = { state: "queued" };
      while (record.state === "queued" || record.state === "running") {
        await new Promise((ok) => setTimeout(ok, 200));
        record = (await (await fetch(`${base}/v1/connectors/demo/syncs/${id}`, { headers })).json()) as typeof record;
      }
      console.log(
        JSON.stringify({
          bench: "workerd-demo-sync-memory",
          size: size.label,
          state: record.state,
          counts: record.counts,
          c1zBytes: record.c1zBytes,
          wallMs: Date.now() - started,
          workerdPeakRssKiBIdle: idle,
          workerdPeakRssKiBAfterSync: workerdPeakRss(server.child.pid!),
        }),
      );
    } finally {
      await server.stop();
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
