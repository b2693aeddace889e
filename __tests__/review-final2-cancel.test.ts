/**
 * Review (review-final2): a run cancelled while CloudFront is slow to answer its CreateInvalidation, run as a
 * runner runs the action (dist/index.js; `npm run build` first) and cancelled as a runner cancels it.
 */
import { type LocalAws, startLocalAws } from './support/local-aws.js';
import { listKeys, writeSite } from './support/site.js';

const DISTRIBUTION = 'EREVIEW2SLOW';
let local: LocalAws;

beforeAll(async () => {
  local = await startLocalAws({ buckets: ['stop-invalidate'], distributions: [{ id: DISTRIBUTION }] });
});
afterAll(() => local?.close());

describe('review-final2: cancelled during CreateInvalidation', () => {
  // CloudFront took the request (the invalidation exists and runs) but answers after the 6 s grace period, as
  // under throttling and SDK retries. The grace fallback publishes what the run knew: each distribution
  // "Failed (Not attempted: the run was cancelled before invalidating...)", `invalidation-id` empty, and the
  // deploy state keeps the keys pending, so the next deploy invalidates them again (paid paths). A user reading
  // the summary is told no invalidation was made, when one is running. Suggested fix: record each distribution
  // as "requested, answer not received" (report.invalidations set before CreateInvalidation is sent), and say
  // in the summary that an invalidation may have been made; keep the keys pending (that part is right).
  it('does not say the invalidation was not attempted', async () => {
    const source = await writeSite({ 'index.html': '<h1>one</h1>', 'about.html': '<p>a</p>' });
    const first = await local.deploy({ source, bucket: 'stop-invalidate', 'distribution-id': DISTRIBUTION });
    expect(first.exitCode).toBe(0);
    const changed = await writeSite({ 'index.html': '<h1>two</h1>', 'about.html': '<p>b</p>' });
    local.cloudFront.delayNext('CreateInvalidation', 9000);
    const before = local.cloudFront.invalidations(DISTRIBUTION).length;
    const run = await local.deploy(
      { source: changed, bucket: 'stop-invalidate', 'distribution-id': DISTRIBUTION },
      {},
      {
        onStart: (child) =>
          child.stdout?.on('data', (data: Buffer) => {
            if (String(data).includes('::group::Invalidate')) setTimeout(() => child.kill('SIGINT'), 500);
          }),
      },
    );
    expect(run.exitCode).not.toBe(0);
    // The invalidation was made...
    expect(local.cloudFront.invalidations(DISTRIBUTION).length).toBe(before + 1);
    // ...the lock is released, and the summary and outputs are written (these hold today)...
    expect(await listKeys(local.bucket, 'stop-invalidate')).not.toContain('.s3-cloudfront-deploy.lock');
    expect(run.summary).toMatch(/cancel/i);
    // ...but the run says it never tried.
    expect(run.summary).not.toMatch(/Not attempted/);
    // Fixed: no id to give, so the status stays 'Failed' (the step failed; an `if: failure()` step still fires),
    // but the error says the request was sent and what to check, with the paths it carried...
    expect(run.outputs['invalidation-id']).toBe('');
    expect(run.outputs['invalidation-status']).toBe('Failed');
    const [reported] = JSON.parse(run.outputs.invalidations ?? '[]') as Array<{ error?: string; paths: string[] }>;
    expect(reported?.error).toMatch(
      /^CreateInvalidation was sent but the run was cancelled before CloudFront answered/,
    );
    expect(reported?.error).toContain("the invalidation probably exists: check the distribution's invalidations");
    const made = local.cloudFront.invalidations(DISTRIBUTION).at(-1);
    expect([...(reported?.paths ?? [])].sort()).toEqual([...(made?.paths ?? [])].sort());
    // ...and the step's error does not blame writes that had all finished.
    expect(run.errors.join('\n')).not.toMatch(/writes in flight/);
    expect(run.errors.join('\n')).toMatch(/had not answered CreateInvalidation on EREVIEW2SLOW/);
    // The keys stay pending: a re-run of the same build sends the same CallerReference and gets the same
    // invalidation back, so it is not paid for twice.
    const rerun = await local.deploy({ source: changed, bucket: 'stop-invalidate', 'distribution-id': DISTRIBUTION });
    expect(rerun.exitCode).toBe(0);
    expect(rerun.outputs['invalidation-id']).toBe(made?.id);
    expect(local.cloudFront.invalidations(DISTRIBUTION).length).toBe(before + 1);
  }, 60_000);
});
