#!/usr/bin/env node
/**
 * workerd with V8 flags: miniflare (under `wrangler dev`) pipes workerd a binary Cap'n Proto
 * `Config` on stdin and has no option for its `v8Flags` field, so bench/workers.ts points
 * MINIFLARE_WORKERD_PATH here when BENCH_V8_FLAGS is set. This adds the flags to the config
 * and runs the real workerd with the same arguments and descriptors (stdout, stderr and the
 * control pipe on fd 3). Used to run V8 with a heap limit like an isolate's on Cloudflare,
 * where V8 collects garbage before it outgrows 128 MB; workerd locally sets no such limit.
 *
 * Wire facts (capnproto.org/encoding.html): a stream starts with (segments − 1) and each
 * segment's size in words; the root pointer is segment 0's first word; a struct pointer's
 * low 32 bits are (offset << 2 | 0), its high 32 bits data words | pointer count << 16; a
 * list pointer is (offset << 2 | 1) and (count << 3 | element size), size 6 = pointers,
 * 2 = bytes; Text is a NUL-terminated byte list. `v8Flags` is Config's pointer 2
 * (workerd.capnp: services @0, sockets @1, v8Flags @2).
 */
import { spawn } from "node:child_process";
import workerdPackage from "workerd";

const V8_FLAGS_POINTER = 2;

function withV8Flags(message, flags) {
  const segments = message.readUInt32LE(0) + 1;
  const sizes = Array.from({ length: segments }, (_, i) => message.readUInt32LE(4 + 4 * i));
  const headerBytes = Math.ceil((4 + 4 * segments) / 8) * 8;
  const first = message.subarray(headerBytes, headerBytes + sizes[0] * 8);
  const rest = message.subarray(headerBytes + sizes[0] * 8);
  const low = first.readUInt32LE(0);
  const high = first.readUInt32LE(4);
  if ((low & 3) !== 0) throw new Error("workerd-v8-flags: the config's root is not a struct pointer");
  const structStart = 1 + (low >> 2);
  const dataWords = high & 0xffff;
  const pointers = high >>> 16;
  if (pointers <= V8_FLAGS_POINTER) throw new Error("workerd-v8-flags: the config struct has no v8Flags pointer");
  const at = structStart + dataWords + V8_FLAGS_POINTER;
  if (first.readBigUInt64LE(at * 8) !== 0n) throw new Error("workerd-v8-flags: the config already sets v8Flags");

  // Appended to segment 0: the list of text pointers, then each text (padded to words).
  const texts = flags.map((flag) => Buffer.from(`${flag}\0`, "utf8"));
  const textWords = texts.map((text) => Math.ceil(text.length / 8));
  const added = Buffer.alloc((flags.length + textWords.reduce((a, b) => a + b, 0)) * 8);
  const listStart = sizes[0];
  const pointer = (buffer, word, target, sizeAndCount) => {
    buffer.writeInt32LE(((target - (word + 1)) << 2) | 1, (word - listStart) * 8);
    buffer.writeUInt32LE(sizeAndCount, (word - listStart) * 8 + 4);
  };
  let next = listStart + flags.length;
  texts.forEach((text, i) => {
    pointer(added, listStart + i, next, (text.length << 3) | 2);
    text.copy(added, (next - listStart) * 8);
    next += textWords[i];
  });
  const patched = Buffer.concat([first, added]);
  patched.writeInt32LE(((listStart - (at + 1)) << 2) | 1, at * 8);
  patched.writeUInt32LE((flags.length << 3) | 6, at * 8 + 4);

  const header = Buffer.alloc(headerBytes);
  header.writeUInt32LE(segments - 1, 0);
  for (const [i, size] of sizes.entries()) header.writeUInt32LE(i === 0 ? patched.length / 8 : size, 4 + 4 * i);
  return Buffer.concat([header, patched, rest]);
}

const flags = (process.env.BENCH_V8_FLAGS ?? "").split(/\s+/).filter(Boolean);
const args = process.argv.slice(2);
const readsConfig = args.includes("-") && args.includes("--binary");
const chunks = [];
if (readsConfig) for await (const chunk of process.stdin) chunks.push(chunk);
const binary = typeof workerdPackage === "string" ? workerdPackage : workerdPackage.default;
const child = spawn(binary, args, { stdio: [readsConfig ? "pipe" : "inherit", "inherit", "inherit", 3] });
if (readsConfig) child.stdin.end(withV8Flags(Buffer.concat(chunks), flags));
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => (signal ? process.kill(process.pid, signal) : process.exit(code ?? 1)));
