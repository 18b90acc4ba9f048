/**
 * bench/workerd-v8-flags.mjs adds V8 flags to the binary config miniflare pipes to workerd.
 * Proof that they reach V8: `--expose-gc` gives the Worker a global `gc`, which workerd
 * leaves out otherwise; it comes second in the list, so more than one flag gets through.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hasWrangler, startWranglerDev } from "./support/wrangler-dev.ts";

if (!hasWrangler) console.warn("workerd-v8-flags test skipped: node_modules/.bin/wrangler missing");

const wrapper = resolve(import.meta.dirname, "../bench/workerd-v8-flags.mjs");
const scratch = mkdtempSync(join(tmpdir(), "workerd-v8-flags-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function probe(flags: string | undefined): Promise<{ gc: string }> {
  writeFileSync(
    join(scratch, "probe.js"),
    `export default { fetch() { return Response.json({ gc: typeof globalThis.gc }); } };`,
  );
  const config = join(scratch, "probe.toml");
  writeFileSync(config, `name = "v8-flags-probe"\nmain = "probe.js"\ncompatibility_date = "2026-04-20"\n`);
  const { server, base } = await startWranglerDev({
    config,
    cwd: scratch,
    persistTo: join(scratch, "state"),
    env: flags === undefined ? {} : { MINIFLARE_WORKERD_PATH: wrapper, BENCH_V8_FLAGS: flags },
  });
  try {
    return (await (await fetch(base)).json()) as { gc: string };
  } finally {
    await server.stop();
  }
}

describe.skipIf(!hasWrangler)("workerd with V8 flags from bench/workerd-v8-flags.mjs", () => {
  it("passes the flags to V8: --expose-gc gives the Worker gc(), which it lacks without", async () => {
    expect(await probe(undefined)).toEqual({ gc: "undefined" });
    expect(await probe("--max-old-space-size=64 --expose-gc")).toEqual({ gc: "function" });
  }, 120_000);
});
