/**
 * V8's settings for a deploy, which plans once and then may send tens of thousands of requests. Set while
 * the process runs (the runner starts `node dist/index.js` with no flags). Measured on 20,000 files / 2 GiB
 * (`node bench/scale.mjs big`) and 2,000 small files (`node bench/run.mjs --sites small`).
 */
import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';

/**
 * At start. The garbage collector favours memory over speed while the deploy plans, and no TurboFan: its
 * compile jobs keep their memory in each background thread's allocator (and page in its own code), ~15 MB
 * more at the peak of a deploy with no change, whose planning code runs once per file and gained no CPU
 * from it.
 */
export function startLean(): void {
  v8.setFlagsFromString('--optimize-for-size');
  v8.setFlagsFromString('--no-turbofan');
}

/**
 * The young generation's size (V8's `new_space`) at which it stops growing while the deploy writes. Each
 * request's objects live as long as the request (20 ms and more). Favouring memory, V8 runs a full
 * collection every few hundred requests (engine.test: 57-59 against 1 for 40,000 requests; a 5,000-file
 * deploy took 9 full and 105 young collections, against 3 and 59). V8's default grows the young generation
 * to 64 MB, which costs the 20,000-file site 50 MB more at its peak (170 against 121 MB). With the limit at
 * 16 MB the 20,000-file first deploy took 10-13% less CPU than favouring memory and peaked at 131-135 MB,
 * the 2,000 small files 16-28% less (8 MB saved less and peaked higher, 135-139 MB).
 */
export const YOUNG_GENERATION_LIMIT = 16 * 1024 * 1024;
/** How much the old generation may grow past what the last full collection kept, while writing (see below). */
const OLD_GENERATION_GROWTH_PERCENT = 25;

let writing = false;

/**
 * Before the first write: TurboFan for the request path, which runs once per file written (without it a
 * PutObject costs about 20% more CPU: 0.35 against 0.28 ms at 16 KiB, bench/request-cost.mjs), and V8's
 * default collector with its young generation held at YOUNG_GENERATION_LIMIT. V8 sizes the young
 * generation when the process starts, so the limit is kept by watching it after each collection and
 * stopping its growth (`--semi-space-growth-factor=1`, which V8 reads while it runs) once it is reached.
 */
export function optimizeForWrites(): void {
  if (writing) return;
  writing = true;
  v8.setFlagsFromString('--turbofan');
  v8.setFlagsFromString('--no-optimize-for-size');
  // The old generation may grow by a quarter of what the last full collection kept before the next one (V8
  // reads this at each full collection). With V8's own factor (up to 4x on an idle-looking heap) the objects
  // each request holds until its answer, promoted by the young collections, piled up unswept: with the
  // fast PutObject's own HTTP/1.1 a 20,000-file / 2 GiB first deploy peaked at 158-160 MB, with this
  // 133-134 (node bench/scale.mjs big), at no cost in CPU that runs could tell apart.
  v8.setFlagsFromString(`--heap-growing-percent=${OLD_GENERATION_GROWTH_PERCENT}`);
  const observer = new PerformanceObserver(() => {
    if (youngGenerationSize() < YOUNG_GENERATION_LIMIT) return;
    v8.setFlagsFromString('--semi-space-growth-factor=1');
    observer.disconnect();
  });
  observer.observe({ entryTypes: ['gc'] });
}

/** The young generation's size now, in bytes. */
export function youngGenerationSize(): number {
  return v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;
}
