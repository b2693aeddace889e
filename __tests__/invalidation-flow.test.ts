/**
 * Invalidations as a user meets them, end to end through dist/index.js: matrix legs deploying to the same
 * prefix, several distributions where one fails, a wait that fails on one distribution, and 'wait-timeout'
 * counted from the first CreateInvalidation.
 */
import { type LocalAws, startLocalAws } from './support/local-aws.js';
import { listKeys, writeSite } from './support/site.js';

const LEGS = 'ELEGS00000001';
const GOOD = 'EGOOD00000001';
const SLOW = 'ESLOW00000001';
const MISSING = 'EMISSING00001';
/** Between the other wait's polls at about 6 s and 14 s (2 s, then 4 s, 8 s...). */
const FAILING_CHECK_DELAY_MS = 7000;
const BUCKETS = ['legs', 'two', 'refused', 'wait', 'slow-paths', 'slow-create', 'lost'];

let local: LocalAws;

beforeAll(async () => {
  local = await startLocalAws({
    buckets: BUCKETS,
    completeAfterMs: 1000,
    distributions: [
      { id: LEGS, bucketDomain: 'legs.s3.eu-west-1.amazonaws.com', completeAfterMs: 300 },
      { id: GOOD, bucketDomain: 'slow-paths.s3.eu-west-1.amazonaws.com' },
      { id: SLOW, completeAfterMs: 10 * 60_000 },
      // Exists when the deploy reads it, then answers NoSuchDistribution to CreateInvalidation (failNext).
      { id: MISSING },
    ],
  });
});
afterEach(() => local.cloudFront.clearFailures());
afterAll(() => local?.close());

interface Listed {
  distributionId: string;
  id: string;
  status: string;
  paths: string[];
  error?: string;
}

const listed = (outputs: Record<string, string>) => JSON.parse(outputs.invalidations ?? '[]') as Listed[];
const stored = (distributionId: string, id: string | undefined) =>
  local.cloudFront.invalidations(distributionId).find((invalidation) => invalidation.id === id);

describe('matrix legs deploying to the same bucket and prefix', () => {
  it('give each leg that writes other bytes its own invalidation, created after its write (A, B, then A again)', async () => {
    // Matrix legs share the run id, attempt, job and step.
    const leg = { GITHUB_RUN_ID: '9001', GITHUB_RUN_ATTEMPT: '1', GITHUB_JOB: 'deploy', GITHUB_ACTION: 'site' };
    const inputs = (source: string) => ({
      source,
      bucket: 'legs',
      prefix: 'blog',
      'distribution-id': LEGS,
      paths: 'auto',
      wait: 'true',
    });
    expect((await local.deploy(inputs(await writeSite({ 'index.html': 'first' })), leg)).exitCode).toBe(0);

    const legs = [];
    for (const body of ['leg A', 'leg B', 'leg A']) {
      const source = await writeSite({ 'index.html': body });
      const started = new Date();
      legs.push({ started, run: await local.deploy(inputs(source), leg) });
    }

    for (const { started, run } of legs) {
      expect(run.exitCode).toBe(0);
      const invalidation = stored(LEGS, run.outputs['invalidation-id']);
      expect(invalidation?.paths).toContain('/blog/index.html');
      expect(invalidation?.createTime.getTime()).toBeGreaterThanOrEqual(started.getTime());
    }
    expect(new Set(legs.map(({ run }) => run.outputs['invalidation-id'])).size).toBe(3);
  });

  it('a CreateInvalidation whose answer is lost is retried and makes one invalidation', async () => {
    const source = await writeSite({ 'index.html': 'x' });
    const before = local.cloudFront.invalidations(GOOD).length;
    local.cloudFront.failNext('CreateInvalidation', 'InternalError', { afterHandling: true });
    const run = await local.deploy({ source, bucket: 'lost', 'distribution-id': GOOD, paths: '/index.html' });

    expect(run.exitCode).toBe(0);
    const made = local.cloudFront.invalidations(GOOD).slice(before);
    expect(made.map((invalidation) => invalidation.id)).toEqual([run.outputs['invalidation-id']]);
  });
});

describe('several distributions', () => {
  it('when one refuses the invalidation, the other is still invalidated and listed, and the step fails naming it', async () => {
    const source = await writeSite({ 'index.html': 'v1', 'about.html': 'v1' });
    const inputs = { source, bucket: 'two', 'distribution-id': `${MISSING}\n${GOOD}`, paths: '/index.html' };
    local.cloudFront.failNext('CreateInvalidation', 'NoSuchDistribution', { distributionId: MISSING });
    const run = await local.deploy(inputs);

    const [missing, good, ...more] = listed(run.outputs);
    expect(missing).toMatchObject({ distributionId: MISSING, id: '', status: 'Failed', paths: ['/index.html'] });
    expect(missing?.error).toMatch(/does not exist/);
    const made = local.cloudFront.invalidations(GOOD).at(-1);
    expect(good).toEqual({ distributionId: GOOD, id: made?.id, status: 'InProgress', paths: ['/index.html'] });
    expect(more).toEqual([]);
    expect(run.outputs['invalidation-status']).toBe('Failed');
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([
      expect.stringMatching(/distribution 'EMISSING00001' does not exist.*no invalidation was made on EMISSING00001/),
    ]);
    expect(run.summary).toMatch(new RegExp(`\\| \`${MISSING}\` \\| \\*\\*Failed\\*\\*`));
  });

  it('a distribution id that does not exist fails the first deploy before anything is written', async () => {
    const source = await writeSite({ 'index.html': 'v1' });
    const before = await listKeys(local.bucket, 'two');
    const run = await local.deploy({
      source,
      bucket: 'two',
      prefix: 'typo',
      'distribution-id': `${GOOD}\nE0TYPO0000001`,
      paths: 'auto',
    });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([
      expect.stringMatching(/distribution 'E0TYPO0000001' does not exist.*Nothing was changed/),
    ]);
    expect(await listKeys(local.bucket, 'two')).toEqual(before);
    expect(run.summary).toMatch(/^### Deploy to `s3:\/\/two\/typo\/` failed during Plan/);
  });

  it('with paths: auto, a distribution refused by CloudFront keeps the paths it needed in the output', async () => {
    const source = await writeSite({ 'index.html': 'v1' });
    const inputs = { source, bucket: 'refused', 'distribution-id': `${GOOD}\n${LEGS}`, paths: 'auto' };
    await local.deploy(inputs);
    inputs.source = await writeSite({ 'index.html': 'v2' });
    local.cloudFront.failNext('CreateInvalidation', 'AccessDenied', { distributionId: LEGS });
    const run = await local.deploy(inputs);

    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([
      expect.stringMatching(/Access denied to CloudFront distribution 'ELEGS00000001'.*cloudfront:CreateInvalidation/),
    ]);
    const [good, refused] = listed(run.outputs);
    expect(good).toMatchObject({ distributionId: GOOD, id: local.cloudFront.invalidations(GOOD).at(-1)?.id });
    expect(refused).toMatchObject({ distributionId: LEGS, id: '', status: 'Failed' });
    expect(refused?.paths.sort()).toEqual(['/', '/index.html']);
  });

  it('when checking one fails, stops waiting for the others at once, well before wait-timeout', async () => {
    const source = await writeSite({ 'index.html': 'x' });
    // The failing check is answered late, so the other wait is between two polls when it arrives.
    local.cloudFront.delayNext('GetInvalidation', FAILING_CHECK_DELAY_MS, { distributionId: GOOD });
    local.cloudFront.failNext('GetInvalidation', 'AccessDenied', { distributionId: GOOD });
    const started = Date.now();
    const run = await local.deploy({
      source,
      bucket: 'wait',
      'distribution-id': `${SLOW}\n${GOOD}`,
      paths: '/index.html',
      wait: 'true',
      'wait-timeout': '60',
    });
    const seconds = (Date.now() - started) / 1000;

    expect(seconds).toBeLessThan(20);
    const checks = local.cloudFront.requests.filter((r) => r.at >= started && r.method === 'GET');
    const failedAt = (checks.find((r) => r.path.includes(GOOD))?.at ?? 0) + FAILING_CHECK_DELAY_MS;
    expect(checks.filter((r) => r.path.includes(SLOW) && r.at > failedAt)).toEqual([]);
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([
      expect.stringMatching(
        /Access denied to CloudFront distribution 'EGOOD00000001'.*cloudfront:GetInvalidation.*stopped waiting for the others/,
      ),
    ]);
    const [slow, denied, ...more] = listed(run.outputs);
    expect(slow).toMatchObject({ distributionId: SLOW, status: 'InProgress' });
    expect(slow?.id).toBe(local.cloudFront.invalidations(SLOW).at(-1)?.id);
    expect(denied).toMatchObject({ distributionId: GOOD, id: local.cloudFront.invalidations(GOOD).at(-1)?.id });
    expect(denied?.error).toMatch(/Access denied/);
    expect(more).toEqual([]);
  }, 90_000);
});

describe("'wait-timeout'", () => {
  it('starts when the first CreateInvalidation is sent, not while the paths are worked out', async () => {
    const source = await writeSite({ 'index.html': 'v1' });
    const inputs = { source, bucket: 'slow-paths', 'distribution-id': GOOD, paths: 'auto', wait: 'true' };
    await local.deploy(inputs);
    inputs.source = await writeSite({ 'index.html': 'v2' });
    local.cloudFront.delayNext('GetDistribution', 5000);
    const run = await local.deploy({ ...inputs, 'wait-timeout': '4' });

    expect(run.exitCode).toBe(0);
    expect(run.outputs['invalidation-status']).toBe('Completed');
  });

  it('still checks the status once when creating took longer than the whole timeout', async () => {
    const source = await writeSite({ 'index.html': 'x' });
    local.cloudFront.delayNext('CreateInvalidation', 2500);
    const run = await local.deploy({
      source,
      bucket: 'slow-create',
      'distribution-id': GOOD,
      paths: '/index.html',
      wait: 'true',
      'wait-timeout': '1',
    });

    expect(run.exitCode).toBe(0);
    expect(run.outputs['invalidation-status']).toBe('Completed');
  });
});
