/**
 * The Node.js the action runs on (node24 in action.yml), for stories of what only it does: proxy support,
 * V8's settings. The tests may run on an older Node, so .ci/run fetches Node 24 and names it in NODE24_BIN;
 * without it, this Node where it has the action's proxy support (24.5+, 22.21+).
 */
import { it } from '@jest/globals';
import { nodeHasProxySupport } from '../../src/http.js';

export const NODE24 = process.env.NODE24_BIN || (nodeHasProxySupport(process.version) ? process.execPath : undefined);

/** `it` where a Node 24 is known, `it.skip` otherwise (see requireNode24). */
export const withNode24 = NODE24 ? it : it.skip;

/**
 * Inside a describe whose stories use withNode24: where no Node 24 is known, a test named `name` that fails
 * in CI (the stories must run there) and passes locally, where they are skipped.
 */
export function requireNode24(name: string): void {
  if (NODE24) return;
  it(name, () => {
    if (process.env.CI) throw new Error('Set NODE24_BIN to a Node.js 24 binary (see .ci/run).');
  });
}
