// Run by engine.test.ts with Node 24, which loads src/engine.ts as it is (type stripping). Plans as the
// action does (startLean), then writes as a deploy does: 40,000 requests, 64 in flight, each holding its
// objects until it ends. Prints the young generation's largest size.
//   node young-generation.mjs <path of src/engine.ts> writes|unlimited
import { setImmediate as nextTurn } from 'node:timers/promises';
import v8 from 'node:v8';

const engine = await import(process.argv[2]);
engine.startLean();
if (process.argv[3] === 'writes') engine.optimizeForWrites();
else v8.setFlagsFromString('--no-optimize-for-size'); // V8's default collector, nothing holding it

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
console.log(JSON.stringify({ largest }));
