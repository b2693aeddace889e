// Run by engine.test.ts with Node 24, which loads src/engine.ts as it is (type stripping). Plans as the
// action does (startLean), then writes as a deploy does: 40,000 requests, 64 in flight, each holding its
// objects until it ends. Prints the young generation's largest size and how many full (mark-compact)
// collections the writes took.
//   node young-generation.mjs <path of src/engine.ts> writes|lean|unlimited
//   writes: as the action writes (optimizeForWrites); lean: still favouring memory, as while planning;
//   unlimited: V8's default collector with nothing holding the young generation.
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import v8 from 'node:v8';

const engine = await import(process.argv[2]);
engine.startLean();
const mode = process.argv[3];
if (mode === 'writes') engine.optimizeForWrites();
else if (mode === 'unlimited') v8.setFlagsFromString('--no-optimize-for-size');

let fullCollections = 0;
const collections = new PerformanceObserver((list) => {
  for (const entry of list.getEntries())
    if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) fullCollections++;
});
collections.observe({ entryTypes: ['gc'] });

const inFlight = new Array(64);
let largest = 0;
for (let request = 0; request < 40000; request++) {
  inFlight[request % inFlight.length] = Array.from({ length: 200 }, (_, index) => ({
    index,
    header: `x-${request}-${index}`,
  }));
  if (request % inFlight.length === 0) {
    await nextTurn(); // where the collector's observers run, as between a deploy's responses
    largest = Math.max(largest, engine.youngGenerationSize());
  }
}
await nextTurn();
collections.disconnect();
console.log(JSON.stringify({ largest, fullCollections }));
