/**
 * The c1z encoder's streaming zstd where it is node:zlib: real Bun, Deno and workerd
 * (`wrangler dev`), over incompressible bytes, so a frame's end never fits the rest of an
 * output chunk. workerd 1.20260426 fails such an end (`ZSTD_e_end`) with "Unexpected end of
 * file" (cloudflare/workerd#6769; a 400k-grant upload failed on it), and node:zlib's loop can
 * start a second, empty frame. Each frame is checked by the zstd command line (content and
 * XXH64 checksum, one frame) and by our reader, here and, on workerd, inside the Worker (whose
 * one-shot decoder refuses frames without a content size).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { decompressZstd } from "../src/compress/zstd.ts";
import { findCommand, runOk } from "./interop/tools.ts";
import { pageLikeBytes, probeBytes } from "./support/probe-bytes.ts";
import { probeRuntimes } from "./support/probe-runtimes.ts";
import { hasWrangler, startWranglerDev, writePagedWorkerConfig } from "./support/wrangler-dev.ts";

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "..");
const zstd = findCommand("zstd");
if (!zstd.ok) console.warn(`zstd-stream-runtimes: the zstd command line checks are skipped: ${zstd.reason}`);
/**
 * Incompressible sizes past workerd's 16 KiB stream chunk, past several 256 KiB output chunks and
 * past one 1 MiB input chunk; and page-like sizes whose frame end workerd 1.20260426 failed with
 * `ZSTD_e_end` (found by a sweep of 400 sizes, 31 of which failed).
 */
const CASES: { kind: "random" | "pages"; size: number }[] = [
  { kind: "random", size: 16_385 },
  { kind: "random", size: 3 * 1024 * 1024 + 17 },
  { kind: "pages", size: 1_765_376 },
  { kind: "pages", size: 2_654_208 },
  { kind: "pages", size: 4_431_872 },
];

const scratch = mkdtempSync(join(tmpdir(), "zstd-runtimes-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function checkFrame(frame: Uint8Array, { kind, size }: (typeof CASES)[number]): void {
  const content = kind === "pages" ? pageLikeBytes(size) : probeBytes(size);
  expect(Buffer.from(decompressZstd(frame)).equals(Buffer.from(content))).toBe(true);
  if (!zstd.ok) return;
  // `zstd -d` verifies the content checksum too.
  expect(runOk(zstd.value, ["-d", "-c", "-q"], { input: frame }).equals(Buffer.from(content))).toBe(true);
  const file = join(scratch, `frame-${kind}-${size}.zst`);
  writeFileSync(file, frame);
  const listing = runOk(zstd.value, ["-lv", file]).toString();
  expect(listing).toMatch(/# Zstandard Frames: 1\n/);
  expect(listing).toMatch(/Check: XXH64/);
}

const processes = probeRuntimes("test/zstd-stream-probe.ts", [
  "--allow-read=.",
  `--allow-write=${scratch}`,
  "--allow-env",
]);

describe("zstd through node:zlib on Bun, Deno and workerd", () => {
  for (const p of processes) {
    it.skipIf(!p.available)(`${p.name}: one frame with its checksum, whatever the output's size`, async () => {
      for (const probe of CASES) {
        const out = join(scratch, `${p.name}-${probe.kind}-${probe.size}.zst`);
        const { stdout } = await run(p.command, p.args, {
          cwd: root,
          env: {
            PATH: process.env.PATH,
            HOME: process.env.HOME,
            DENO_NO_UPDATE_CHECK: "1",
            PROBE_OUT: out,
            PROBE_SIZE: String(probe.size),
            PROBE_KIND: probe.kind,
          },
        });
        expect(JSON.parse(stdout.trim().split("\n").pop() ?? "{}").method).toBe("native");
        checkFrame(new Uint8Array(readFileSync(out)), probe);
      }
    });
  }

  it.skipIf(!hasWrangler)(
    "workerd: one frame with its checksum, whatever the output's size, read back here",
    async () => {
      const config = writePagedWorkerConfig(scratch, "zstd-runtimes-test");
      const { server, base } = await startWranglerDev({ config, cwd: scratch, persistTo: join(scratch, "state") });
      try {
        for (const probe of CASES) {
          const response = await fetch(`${base}/zstd?kind=${probe.kind}&bytes=${probe.size}`);
          const body = new Uint8Array(await response.arrayBuffer());
          expect(response.status, new TextDecoder().decode(body.subarray(0, 2000))).toBe(200);
          expect(response.headers.get("x-zstd-method")).toBe("native");
          checkFrame(body, probe);
        }
        // Our reader on workerd, where node:zlib's one-shot decoder refuses a frame without a content
        // size (its output limit) and one that decodes to exactly 40960 × 2^k bytes.
        for (const probe of [...CASES, { kind: "pages", size: 163_840 }]) {
          const response = await fetch(`${base}/unzstd?kind=${probe.kind}&bytes=${probe.size}`);
          expect(await response.json()).toEqual({ same: true });
        }
      } finally {
        await server.stop();
      }
    },
  );
});
