/** The V8 settings a deploy runs with (src/engine.ts), under the action's runtime, Node 24 (support/node24.ts). */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect } from '@jest/globals';
import { YOUNG_GENERATION_LIMIT } from '../src/engine.js';
import { NODE24, requireNode24, withNode24 } from './support/node24.js';

const ENGINE = fileURLToPath(new URL('../src/engine.ts', import.meta.url));
const WORKLOAD = fileURLToPath(new URL('./support/young-generation.mjs', import.meta.url));

interface Collected {
  /** The young generation's largest size, in bytes. */
  largest: number;
  /** Full (mark-compact) collections while writing. */
  fullCollections: number;
}

/** What the collector did while 40,000 requests' objects came and went, 64 at a time. */
async function collected(mode: 'writes' | 'lean' | 'unlimited'): Promise<Collected> {
  const { stdout } = await promisify(execFile)(NODE24 as string, [WORKLOAD, ENGINE, mode], { timeout: 60_000 });
  return JSON.parse(stdout) as Collected;
}

describe('the garbage collector while a deploy writes', () => {
  requireNode24('has a Node.js 24 to run the engine with');

  withNode24('stops favouring memory, so requests do not cost full collections', async () => {
    // Favouring memory (as while planning), V8 runs a full collection every few hundred requests; that
    // was most of the CPU the change saved.
    // How often depends on V8's heap-growing heuristic, which reads how fast the machine is at that moment:
    // beside other busy processes a run once took 6 where it takes 41-62. So the most of up to three runs.
    let lean = await collected('lean');
    for (let run = 2; run <= 3 && lean.fullCollections < 20; run++) {
      const again = await collected('lean');
      if (again.fullCollections > lean.fullCollections) lean = again;
    }
    const writes = await collected('writes');
    expect(lean.fullCollections).toBeGreaterThanOrEqual(20);
    expect(writes.fullCollections * 10).toBeLessThan(lean.fullCollections);
  });

  withNode24(
    'holds the young generation at its limit, where V8 alone would let it grow, and the process still ends',
    async () => {
      // The same requests without the limit: V8 grows the young generation past it (to 64-128 MB), which
      // is the memory the limit saves on a 20,000-file deploy.
      expect((await collected('unlimited')).largest).toBeGreaterThanOrEqual(4 * YOUNG_GENERATION_LIMIT);
      // With it, growth stops at the limit (the last step may land a little past it, never a second one).
      // The child printing its answer and exiting shows the collector's observer does not hold the process.
      const { largest } = await collected('writes');
      expect(largest).toBeGreaterThanOrEqual(YOUNG_GENERATION_LIMIT / 2);
      expect(largest).toBeLessThan(2 * YOUNG_GENERATION_LIMIT);
    },
  );
});
