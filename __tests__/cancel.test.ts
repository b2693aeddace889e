/**
 * A run cancelled as the runner cancels it (SIGINT, or SIGTERM) in the phases that write nothing: it stops at
 * once, still reports, and exits non-zero. e2e: runs dist/index.js (`npm run build` first). The uploads and
 * the wait are in review-final-cancel.test.ts; the summary's wording for each case is unit-tested below.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { ChildProcess } from 'node:child_process';
import { newReport, outputsOf, summaryMarkdown } from '../src/report.js';
import { type LocalAws, startLocalAws } from './support/local-aws.js';
import { listKeys, writeSite } from './support/site.js';

const DISTRIBUTION = 'ECANCELPLAN01';
let local: LocalAws;

beforeAll(async () => {
  local = await startLocalAws({ buckets: ['plan', 'locked'], distributions: [{ id: DISTRIBUTION }] });
});
afterAll(() => local?.close());

/** Sends `signal` to the run once its log shows `line`. */
const cancelOn = (line: string, signal: NodeJS.Signals) => (child: ChildProcess) => {
  let sent = false;
  child.stdout?.on('data', (data: Buffer) => {
    if (!sent && String(data).includes(line)) {
      sent = true;
      setTimeout(() => child.kill(signal), 200);
    }
  });
};

describe('a cancelled run', () => {
  it('during Plan: gives up the plan, says nothing was changed, and still reports', async () => {
    const source = await writeSite({ 'index.html': '<h1>x</h1>', 'app.js': 'a()' });
    // A bucket slow to list: the plan is still reading when the signal comes.
    local.proxy.setLatency(3000);
    try {
      const run = await local.deploy(
        { source, bucket: 'plan', 'distribution-id': DISTRIBUTION, paths: 'auto' },
        {},
        { onStart: cancelOn('::group::Plan', 'SIGINT') },
      );
      expect(run.exitCode).toBe(1);
      expect(run.errors).toEqual(['::error::Cancelled (SIGINT) during Plan: nothing was changed.']);
      expect(run.summary.split('\n')[0]).toBe('### Cancelled during Plan: deploy to `s3://plan/` stopped');
      // Nothing was written, so nothing awaits an invalidation.
      expect(run.outputs['invalidation-status']).toBe('');
      expect(run.outputs['uploaded-count']).toBe('0');
    } finally {
      local.proxy.setLatency(0);
    }
    expect(await listKeys(local.bucket, 'plan')).toEqual([]);
  });

  it("while waiting for another deploy's lock: stops waiting, and leaves that lock alone", async () => {
    const holder = {
      run: 'https://github.com/o/r/actions/runs/2/attempts/1 (job deploy)',
      startedAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
      nonce: 'theirs',
    };
    const lockKey = 'site/.s3-cloudfront-deploy.lock';
    await local.bucket.send(new PutObjectCommand({ Bucket: 'locked', Key: lockKey, Body: JSON.stringify(holder) }));
    const source = await writeSite({ 'index.html': 'x' });
    const run = await local.deploy(
      { source, bucket: 'locked', prefix: 'site', 'lock-timeout': '300' },
      {},
      { onStart: cancelOn('Waiting for another deploy', 'SIGTERM') },
    );
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual(['::error::Cancelled (SIGTERM) during Lock: nothing was changed.']);
    expect(run.summary).toMatch(/^### Cancelled during Lock: deploy to `s3:\/\/locked\/site\/` stopped/);
    expect(await listKeys(local.bucket, 'locked')).toEqual([lockKey]);
    expect(JSON.parse(local.s3.object('locked', lockKey)?.body.toString() ?? '{}')).toEqual(holder);
  });
});

describe('the report of a run that stopped', () => {
  const base = () => {
    const report = newReport({ bucket: 'b', prefix: 'site/', dryRun: false, distributionIds: ['E1', 'E2'] });
    report.uploadedKeys = ['a.js'];
    report.notAttempted = 3;
    return report;
  };

  it('after failed uploads, names every distribution as not invalidated, and why the next deploy will', () => {
    const report = base();
    report.journaled = true;
    report.failure = { message: '1 of 2 files failed', stage: 'Upload assets' };
    const invalidations = JSON.parse(outputsOf(report).invalidations ?? '[]') as Array<Record<string, string>>;
    expect(invalidations.map((i) => [i.distributionId, i.id, i.status])).toEqual([
      ['E1', '', 'Failed'],
      ['E2', '', 'Failed'],
    ]);
    expect(invalidations[0]?.error).toBe(
      'Not attempted: the uploads failed before invalidating. The changed keys are journaled as pending in the deploy state, so the next deploy invalidates them.',
    );
    expect(outputsOf(report)['invalidation-status']).toBe('Failed');
    expect(summaryMarkdown(report)).toContain('| `E2` | **Failed** (Not attempted: the uploads failed');
    expect(summaryMarkdown(report)).toContain('| **Not attempted** (waiting on a wave that failed) | 3 files |');
  });

  it('cancelled during its writes: leads with the cancellation, and counts what it never started', () => {
    const report = base();
    report.journaled = true;
    report.failure = {
      message: 'Cancelled (SIGINT) during Upload assets: ...',
      stage: 'Upload assets',
      cancelled: true,
    };
    const summary = summaryMarkdown(report);
    expect(summary.split('\n')[0]).toBe('### Cancelled during Upload assets: deploy to `s3://b/site/` stopped');
    expect(summary).toContain('| **Not attempted** (the run was cancelled before they started) | 3 files |');
    expect(summary).toContain('(Not attempted: the run was cancelled before invalidating.');
  });

  it('stopped before its first write: no invalidation is owed, the outputs stay empty', () => {
    const report = base();
    report.failure = { message: 'Another deploy is writing', stage: 'Lock' };
    expect(outputsOf(report)['invalidation-status']).toBe('');
    expect(outputsOf(report).invalidations).toBe('[]');
  });
});
