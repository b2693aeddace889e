import { callerReference } from '../src/cloudfront.js';

const run = { runId: '123', runAttempt: '1', job: 'deploy', step: 'deploy' };
const batch = { distributionId: 'E1', deployed: 's3://site/', paths: ['/*'] };

describe('callerReference', () => {
  it('is the same for a retry of the same batch, so CloudFront returns the first invalidation', () => {
    expect(callerReference(run, batch)).toBe(callerReference({ ...run }, { ...batch, paths: ['/*'] }));
  });

  it('differs for another attempt, distribution, deployed prefix (matrix jobs) or set of paths', () => {
    const first = callerReference(run, batch);
    expect(callerReference({ ...run, runAttempt: '2' }, batch)).not.toBe(first);
    expect(callerReference(run, { ...batch, distributionId: 'E2' })).not.toBe(first);
    expect(callerReference(run, { ...batch, deployed: 's3://site/pr-7/' })).not.toBe(first);
    expect(callerReference(run, { ...batch, paths: ['/index.html'] })).not.toBe(first);
  });

  it("fits CloudFront's 128 characters whatever the job and step names", () => {
    const longRun = { ...run, job: 'j'.repeat(200) };
    expect(callerReference(longRun, batch).length).toBeLessThanOrEqual(128);
    expect(callerReference(longRun, { ...batch, paths: ['/a'] })).not.toBe(callerReference(longRun, batch));
  });
});
