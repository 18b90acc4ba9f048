// A program that allocates as a sync does: a fixed set kept for the whole run, and batches of
// rows that outlive a young-generation collection and then die. Prints the largest V8 heap it
// saw; `tuned` first applies bin/node-heap.mjs's default at runtime, as bin/baton-edge.js does.
import { getHeapStatistics } from "node:v8";
import { tuneNodeHeap } from "../../bin/node-heap.mjs";

if (process.argv[2] === "tuned") tuneNodeHeap([], {});
const kept = Array.from({ length: 200_000 }, (_, i) => ({ i, name: `kept ${i}` }));
let batch = [];
let peak = 0;
for (let n = 0; n < 6_000_000; n++) {
  batch.push({ n, name: `row ${n}`, list: [n] });
  if (batch.length === 50_000) batch = [];
  if (n % 10_000 === 0) peak = Math.max(peak, getHeapStatistics().total_heap_size);
}
console.log(JSON.stringify({ peakHeapBytes: peak, kept: kept.length }));
