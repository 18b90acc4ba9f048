// How fast V8 lets the old generation grow on Node, set before the CLI or server loads.
//
// V8 sizes the next old-generation limit from the live heap times a growing factor of up to 4
// for a fast-allocating program; a sync allocates hundreds of MB of short-lived rows and blobs,
// so at 1M grants (bench/sync.ts, file engine) the process peaked at 313–366 MB while ~45 MB
// was live. A factor of 1.2 peaked at 225–228 MB in the same wall time (30.7–31.7 s against
// 31.0–34.6 s); 1.1 did no better. V8 reads the flag at every limit computation, so setting it
// here at startup works as well as node's command line: 229–242 MB against 318 MB in one series
// (test/node-heap.test.ts checks that it takes effect).
import { setFlagsFromString } from "node:v8";

export const HEAP_GROWING_PERCENT = 20;
const FLAG = "--heap-growing-percent";
const VARIABLE = "BATON_NODE_HEAP_GROWING_PERCENT";

/**
 * The V8 flags to set: none when node was started with the flag (it wins), else the percentage
 * from BATON_NODE_HEAP_GROWING_PERCENT or the default; 0 keeps V8's own factor.
 */
export function heapFlags(execArgv, env) {
  if (execArgv.some((arg) => arg === FLAG || arg.startsWith(`${FLAG}=`))) return [];
  const given = env[VARIABLE];
  if (given === undefined || given === "") return [`${FLAG}=${HEAP_GROWING_PERCENT}`];
  if (!/^\d+$/.test(given) || Number(given) > 1000) {
    throw new Error(`${VARIABLE} must be a whole number of percent from 0 to 1000 (0: V8's default), got "${given}"`);
  }
  return Number(given) === 0 ? [] : [`${FLAG}=${Number(given)}`];
}

/** Applies heapFlags to this process. */
export function tuneNodeHeap(execArgv = process.execArgv, env = process.env) {
  for (const flag of heapFlags(execArgv, env)) setFlagsFromString(flag);
}
