/**
 * V8's settings for a deploy, which plans once and then may send tens of thousands of requests. Set while
 * the process runs (the runner starts `node dist/index.js` with no flags). Measured on 20,000 files / 2 GiB
 * (`node bench/scale.mjs big`).
 */
import v8 from 'node:v8';

/**
 * At start. The garbage collector favours memory over speed: each request's SDK objects outlive the young
 * generation, and by default the old one grows to ~170 MB of them before collecting (peak 131 MB instead
 * of 242 MB, for about 15% more CPU). And no TurboFan while the deploy plans: its compile jobs keep their
 * memory in each background thread's allocator (and page in its own code), ~15 MB more at the peak of a
 * deploy with no change, whose planning code runs once per file and gained no CPU from it.
 */
export function startLean(): void {
  v8.setFlagsFromString('--optimize-for-size');
  v8.setFlagsFromString('--no-turbofan');
}

/**
 * Before the first write: TurboFan for the request path, which runs once per file written. Without it a
 * PutObject costs about 20% more CPU (0.35 against 0.28 ms at 16 KiB, bench/request-cost.mjs).
 */
export function optimizeForWrites(): void {
  v8.setFlagsFromString('--turbofan');
}
