/**
 * Review (review-final): the cache-policy check of `cache-control: auto` on a distribution with several
 * behaviours, run as a runner runs the action (dist/index.js; `npm run build` first). Fails today.
 */
import { type LocalAws, startLocalAws } from './support/local-aws.js';
import { writeSite } from './support/site.js';

const DISTRIBUTION = 'EREVIEWEDGE01';
const HASHED_POLICY = '77777777-2222-3333-4444-555555555555';
let local: LocalAws;

beforeAll(async () => {
  local = await startLocalAws({
    buckets: ['edge-site'],
    distributions: [
      {
        id: DISTRIBUTION,
        bucketDomain: 'edge-site.s3.eu-west-1.amazonaws.com',
        // The usual Next.js set-up: the default behaviour (pages) on CachingOptimized, and the hashed
        // '/_next/static/*' on a policy that keeps everything a year whatever the headers say.
        behaviors: [{ pathPattern: '/_next/static/*', cachePolicyId: HASHED_POLICY }],
      },
    ],
    cachePolicies: [
      { id: HASHED_POLICY, name: 'hashed-a-year', minTtl: 31_536_000, defaultTtl: 31_536_000, maxTtl: 31_536_000 },
    ],
  });
});
afterAll(() => local?.close());

describe('review-final: the edge cache-policy check ignores which paths a behaviour serves', () => {
  // edgePolicyReport checks every class present anywhere in the build against every behaviour on the bucket's
  // origin. '/_next/static/*' serves only hashed chunks, yet the deploy warns that its minimum TTL keeps
  // "entry points (pages, feeds) at the edges 31536000 s" and tells the user to "set the minimum TTL to 0" on
  // it: advice that would make every edge refetch the hashed chunks for nothing. Every deploy repeats the
  // warning, so users learn to ignore it. Suggested fix: count the classes of the keys each behaviour serves
  // (its path pattern over the key's URL, ordered behaviours first, the default for the rest) and check only
  // those.
  it('does not warn about pages for a behaviour that serves none', async () => {
    const source = await writeSite({
      'index.html': '<h1>home</h1>',
      'about/index.html': '<h1>about</h1>',
      '_next/static/chunks/main-3f2a9b1c4d5e6f70.js': 'main()',
      '_next/static/css/app-9e8d7c6b5a4f3e2d.css': 'body{}',
    });
    const run = await local.deploy({
      source,
      bucket: 'edge-site',
      'distribution-id': DISTRIBUTION,
      'cache-control': 'auto',
    });
    expect(run.exitCode).toBe(0);
    const warnings = run.stdout.split('\n').filter((line) => line.startsWith('::warning::'));
    expect(warnings.filter((line) => /_next\/static.*entry points/.test(line))).toEqual([]);
  });
});
