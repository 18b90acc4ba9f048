import { execFileSync, spawnSync } from "node:child_process";

/** Whether a CLI tool is on PATH (tests that need it skip with a printed reason otherwise). */
export function hasTool(name: string): boolean {
  const found = spawnSync("sh", ["-c", `command -v ${name}`]).status === 0;
  if (!found) console.warn(`${name} CLI not found: skipping the tests that compare against it`);
  return found;
}

export function run(command: string, args: string[], input?: Uint8Array): Buffer {
  return execFileSync(command, args, { input, maxBuffer: 1 << 30 });
}

export function runStatus(
  command: string,
  args: string[],
  input?: Uint8Array,
): { status: number | null; stderr: string } {
  const result = spawnSync(command, args, { input, maxBuffer: 1 << 30 });
  return { status: result.status, stderr: result.stderr.toString() };
}

/** The parts joined into one array; each is copied as it comes (an iterator may reuse its buffer). */
export function concatBytes(parts: Iterable<Uint8Array>): Uint8Array {
  const list = Array.from(parts, (part) => part.slice());
  const out = new Uint8Array(list.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of list) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Deterministic pseudo-random bytes (xorshift), so failures reproduce. */
export function pseudoRandom(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}
