/**
 * A deploy either finishes or fails loudly with the site intact: faults injected between the action and
 * s3rver, CloudFront errors, bad input that must not send a single request, secrets kept out of every log,
 * and deletes that never leave the prefix.
 */
import path from 'node:path';
import { type LocalAws, startLocalAws } from './support/local-aws.js';
import { getObject, listKeys, putObject, siteKeys, writeSite } from './support/site.js';

const DISTRIBUTION = 'ERELIABLE0001';
const PREFIX_CASES = ['a', 'a/', '/a/', ''];
const BUCKETS = ['faulty', 'partial', 'busy', 'inputs', 'secrets', ...PREFIX_CASES.map((_, i) => `prefixes-${i}`)];
let local: LocalAws;

beforeAll(async () => {
  local = await startLocalAws({ buckets: BUCKETS, distributions: [{ id: DISTRIBUTION }], completeAfterMs: 500 });
});
afterAll(() => local?.close());
afterEach(() => {
  local.proxy.setFaults({});
  local.cloudFront.clearFailures();
});

function manyFiles(count: number, version = 'v1'): Record<string, string> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`pages/${i}.html`, `<p>${version} ${i}</p>`]));
}

describe('faults on the way to S3', () => {
  it('converges to the right content through 10% 503/500 answers and 2% dropped connections', async () => {
    const files = manyFiles(150);
    const source = await writeSite(files);
    local.proxy.setFaults({ errorRate: 0.1, dropRate: 0.02, seed: 42 });
    const run = await local.deploy({ source, bucket: 'faulty' });

    expect(local.proxy.injected.errors).toBeGreaterThan(5);
    expect(local.proxy.injected.drops).toBeGreaterThan(0);
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(await siteKeys(local.bucket, 'faulty')).toEqual(Object.keys(files).sort());
    for (const key of ['pages/0.html', 'pages/77.html', 'pages/149.html']) {
      expect((await getObject(local.bucket, 'faulty', key)).body.toString()).toBe(files[key]);
    }
  });

  it('names the files that did not make it, deletes nothing, and a re-run finishes the job', async () => {
    await putObject(local.bucket, 'partial', 'stale.html', 'old');
    const source = await writeSite({ ...manyFiles(10), 'assets/broken.js': 'x' });
    local.proxy.setFaults({ failKeys: ['partial/assets/broken.js'] });
    local.proxy.reset();
    const failed = await local.deploy({ source, bucket: 'partial', delete: 'true', 'distribution-id': DISTRIBUTION });

    expect(failed.exitCode).toBe(1);
    expect(failed.errors).toEqual([
      expect.stringMatching(
        /1 of 1 files failed.*'assets\/broken.js'.*Nothing was deleted; .*re-running uploads only what is missing/,
      ),
    ]);
    expect(failed.summary).toMatch(/Did not make it:[\s\S]*`assets\/broken.js`/);
    expect(local.proxy.counts().DeleteObjects).toBeUndefined();
    expect(failed.outputs['invalidation-id']).toBe('');
    expect(await listKeys(local.bucket, 'partial')).toContain('stale.html');
    // Assets go first: the pages that would link to the missing asset were not published either.
    expect(await siteKeys(local.bucket, 'partial')).toEqual(['stale.html']);

    local.proxy.setFaults({});
    local.proxy.reset();
    const rerun = await local.deploy({ source, bucket: 'partial', delete: 'true' });
    expect(rerun.exitCode).toBe(0);
    const siteWrites = local.proxy.requests.filter((r) => !r.path.includes('.s3-cloudfront-deploy'));
    expect(siteWrites.filter((r) => r.operation === 'PutObject')).toHaveLength(11);
    expect(siteWrites.filter((r) => r.operation === 'DeleteObjects')).toHaveLength(1);
    local.proxy.reset();
    const again = await local.deploy({ source, bucket: 'partial', delete: 'true' });
    expect(again.outputs['uploaded-count']).toBe('0');
    // The failed run's distribution still has keys pending (these re-runs name no distribution), so the
    // state is read: one GET, and nothing written.
    expect(local.proxy.counts()).toEqual({ ListObjectsV2: 1, GetObject: 1 });
  });
});

describe('CloudFront errors', () => {
  it('backs off while too many invalidations are in progress, creating just one', async () => {
    const source = await writeSite({ 'index.html': 'x' });
    const before = local.cloudFront.invalidations(DISTRIBUTION).length;
    local.cloudFront.failNext('CreateInvalidation', 'TooManyInvalidationsInProgress', 2);
    const run = await local.deploy({ source, bucket: 'busy', 'distribution-id': DISTRIBUTION, wait: 'true' });

    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/too many invalidations in progress; trying again in 1 s[\s\S]*trying again in 2 s/);
    expect(local.cloudFront.invalidations(DISTRIBUTION).length).toBe(before + 1);
    expect(run.outputs['invalidation-status']).toBe('Completed');
  });

  it('gives up on a busy distribution at wait-timeout, to the second', async () => {
    const source = await writeSite({ 'index.html': 'x' });
    local.cloudFront.failNext('CreateInvalidation', 'TooManyInvalidationsInProgress', 1000);
    const started = Date.now();
    const run = await local.deploy({ source, bucket: 'busy', 'distribution-id': DISTRIBUTION, 'wait-timeout': '4' });
    const seconds = (Date.now() - started) / 1000;

    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([
      expect.stringMatching(/too many invalidations in progress when 'wait-timeout' ran out/),
    ]);
    expect(seconds).toBeLessThan(4 + 3);
  });

  it.each([
    ['AccessDenied', /Access denied to CloudFront distribution 'ERELIABLE0001'.*cloudfront:CreateInvalidation/],
    ['NoSuchDistribution', /distribution 'ERELIABLE0001' does not exist/],
  ])('fails at once on %s', async (code, message) => {
    const source = await writeSite({ 'index.html': 'x' });
    local.cloudFront.failNext('CreateInvalidation', code);
    const requests = local.cloudFront.requests.length;
    const run = await local.deploy({ source, bucket: 'busy', 'distribution-id': DISTRIBUTION });

    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([expect.stringMatching(message)]);
    // The distribution read while planning, then the one CreateInvalidation: no retry.
    expect(local.cloudFront.requests.slice(requests).map((r) => r.method)).toEqual(['GET', 'POST']);
  });
});

describe('bad input: one clear line, and not a single request', () => {
  let source: string;
  let file: string;
  beforeAll(async () => {
    source = await writeSite({ 'index.html': 'x' });
    file = path.join(source, 'index.html');
  });

  it.each<[string, () => Record<string, string>, RegExp]>([
    ['empty source', () => ({ source: '' }), /Input 'source' is required but empty/],
    ['empty bucket', () => ({ bucket: '' }), /Input 'bucket' is required but empty/],
    ['source is a file', () => ({ source: file }), /Input 'source': '.*index.html' is a file, not a folder/],
    [
      'source is missing',
      () => ({ source: `${source}-missing` }),
      /Input 'source': folder '.*-missing' does not exist/,
    ],
    ['bucket that cannot exist', () => ({ bucket: '-bad-' }), /Input 'bucket' is not a valid S3 bucket name: '-bad-'/],
    ['bucket as a URL', () => ({ bucket: 's3://inputs/site' }), /Input 'bucket' must be a bucket name only/],
    [
      'path without /',
      () => ({ 'distribution-id': DISTRIBUTION, paths: 'index.html' }),
      /Input 'paths': 'index.html' must start with '\/'/,
    ],
    ['* inside a path', () => ({ 'distribution-id': DISTRIBUTION, paths: '/a/*.html' }), /has a '\*' before the end/],
    ['bad glob', () => ({ exclude: 'assets/{a,b' }), /Input 'exclude': 'assets\/\{a,b' is not a valid glob/],
    [
      'bad cache-control glob',
      () => ({ 'cache-control': '[abc: no-cache' }),
      /Input 'cache-control': '\[abc' is not a valid glob/,
    ],
    ['negative concurrency', () => ({ concurrency: '-4' }), /Input 'concurrency' must be between 1 and 256, got -4/],
    ['negative wait-timeout', () => ({ 'wait-timeout': '-1' }), /Input 'wait-timeout' must be between 1 and/],
    [
      'negative max-deletes',
      () => ({ 'max-deletes': '-2' }),
      /Input 'max-deletes' must be 0 or more, or -1 for no cap/,
    ],
    [
      'non-number max-invalidation-paths',
      () => ({ 'max-invalidation-paths': 'ten' }),
      /Input 'max-invalidation-paths' must be a whole number/,
    ],
    ['boolean typo', () => ({ delete: 'yes' }), /Input 'delete' must be true or false, got 'yes'/],
    ['dry-run typo', () => ({ 'dry-run': '1' }), /Input 'dry-run' must be true or false, got '1'/],
    // Behind AWS_ENDPOINT_URL_S3 (as here) any lower-case region name is valid: these are not.
    ['region typo', () => ({ region: 'eu central 1' }), /Input 'region' must be .* Did you mean 'eu-central-1'\?/],
    [
      'endpoint as region',
      () => ({ region: 'https://s3.eu-central-1.amazonaws.com' }),
      /Input 'region' is a region name, not an endpoint.*AWS_ENDPOINT_URL_S3/,
    ],
    [
      'bad distribution id',
      () => ({ 'distribution-id': 'arn:aws:cloudfront::1:distribution/E1' }),
      /Input 'distribution-id' must be a CloudFront distribution id/,
    ],
    ['wait without a distribution', () => ({ wait: 'true' }), /Input 'wait' is true but 'distribution-id' is empty/],
    ['prefix with ..', () => ({ prefix: 'site/../other' }), /Input 'prefix' must be a plain key prefix/],
  ])('%s', async (_, inputs, message) => {
    const cloudFrontBefore = local.cloudFront.requests.length;
    local.proxy.reset();
    const run = await local.deploy({ source, bucket: 'inputs', ...inputs() });

    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([expect.stringMatching(message)]);
    expect(run.stdout + run.stderr).not.toMatch(/\n\s+at .*:\d+:\d+/);
    expect(local.proxy.requests).toEqual([]);
    expect(local.cloudFront.requests.length).toBe(cloudFrontBefore);
  });
});

describe('secrets', () => {
  it('never shows the secret key or session token, even with debug logging on', async () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY';
    const token = 'FwoGZXIvYXdzEJr//////////wEaDSESSIONTOKENabc123';
    const source = await writeSite({ 'index.html': 'x' });
    const accessKeyId = 'AKIASECRETSTEST00001';
    local.s3.addCredentials({ accessKeyId, secretAccessKey: secret });
    const run = await local.deploy(
      { source, bucket: 'secrets', 'distribution-id': 'EUNKNOWN00000' },
      { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secret, AWS_SESSION_TOKEN: token, RUNNER_DEBUG: '1' },
    );

    // The local S3 takes the upload; CloudFront's error path, with debug stack traces, runs too.
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([expect.stringMatching(/'EUNKNOWN00000' does not exist/)]);
    expect(run.stdout).toContain('::debug::');
    const masks = run.stdout.split('\n').filter((line) => line.startsWith('::add-mask::'));
    expect(masks).toEqual([`::add-mask::${secret}`, `::add-mask::${token}`]);
    const logs = run.stdout
      .split('\n')
      .filter((line) => !line.startsWith('::add-mask::'))
      .join('\n');
    for (const text of [logs, run.stderr, run.summary, JSON.stringify(run.outputs)]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(token);
    }
  });
});

describe('deletes never leave the prefix', () => {
  const outside = ['a.html', 'ab/y.html', 'b/z.html'];
  it.each<[string, string[]]>([
    ['a', [...outside, 'a/keep.html']],
    ['a/', [...outside, 'a/keep.html']],
    ['/a/', [...outside, 'a/keep.html']],
    ['', ['a/keep.html']],
  ])('prefix %p', async (prefix, expected) => {
    const bucket = `prefixes-${PREFIX_CASES.indexOf(prefix)}`;
    for (const key of [...outside, 'a/x.html']) await putObject(local.bucket, bucket, key, 'old');
    const source = await writeSite({ 'keep.html': 'new' });
    const sourceForRoot = await writeSite({ 'a/keep.html': 'new' });
    const run = await local.deploy({ source: prefix === '' ? sourceForRoot : source, bucket, prefix, delete: 'true' });

    expect(run.exitCode).toBe(0);
    expect(await siteKeys(local.bucket, bucket)).toEqual(expected.sort());
  });
});
