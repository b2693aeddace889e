import { callerReference } from '../src/cloudfront.js';

const batch = {
  deploy: '123-1-deploy-site-0a1b2c3d',
  distributionId: 'E1',
  deployed: 's3://site/blog/',
  paths: ['/index.html', '/'],
  changes: [
    { key: 'index.html', content: '0cc175b9c0f1b6a831c399e269772661' },
    { key: 'old.html', content: 'deleted' },
  ],
};

describe('callerReference', () => {
  it('is the same when the same deploy retries the same content, in any order, so CloudFront returns its invalidation', () => {
    expect(callerReference(batch)).toBe(
      callerReference({
        ...batch,
        paths: ['/', '/index.html'],
        changes: [...batch.changes].reverse().map((change) => ({ ...change })),
      }),
    );
  });

  it('differs when other bytes are behind the same paths (a matrix leg), or a file is deleted instead', () => {
    const first = callerReference(batch);
    const otherBytes = [{ key: 'index.html', content: '92eb5ffee6ae2fec3ad71c777531578f' }, batch.changes[1]!];
    expect(callerReference({ ...batch, changes: otherBytes })).not.toBe(first);
    const deleted = [{ key: 'index.html', content: 'deleted' }, batch.changes[1]!];
    expect(callerReference({ ...batch, changes: deleted })).not.toBe(first);
  });

  it('differs for another deploy of the same content (A -> B -> A), distribution, bucket or prefix, or paths', () => {
    const first = callerReference(batch);
    expect(callerReference({ ...batch, deploy: '123-1-deploy-site-99999999' })).not.toBe(first);
    expect(callerReference({ ...batch, distributionId: 'E2' })).not.toBe(first);
    expect(callerReference({ ...batch, deployed: 's3://site/pr-7/' })).not.toBe(first);
    expect(callerReference({ ...batch, paths: ['/*'] })).not.toBe(first);
  });

  it("fits CloudFront's 128 characters whatever the deploy's name, and the cut part still counts", () => {
    const long = { ...batch, deploy: `${'j'.repeat(200)}-a` };
    expect(callerReference(long)).toHaveLength(128);
    expect(callerReference({ ...long, deploy: `${'j'.repeat(200)}-b` })).not.toBe(callerReference(long));
  });
});
