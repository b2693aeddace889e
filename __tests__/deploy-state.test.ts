/**
 * The deploy state, end to end through dist/index.js: what a visitor sees when a deploy fails half-way and
 * is run again, while removed assets wait out their grace period, when header rules change back and forth,
 * when objects came from another tool, when a preview is torn down, and when two deploys meet.
 */
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { type LocalAws, startLocalAws } from './support/local-aws.js';
import { getObject, largeFile, listKeys, siteKeys, writeSite } from './support/site.js';

const DIST = 'ESTATE0000001';
const BUCKETS = ['failed-cf', 'partial', 'grace', 'paused', 'rules', 'migrate', 'visitor', 'previews', 'locks', 'kms'];
let local: LocalAws;

beforeAll(async () => {
  local = await startLocalAws({
    buckets: BUCKETS,
    distributions: BUCKETS.map((bucket, i) => ({
      id: `${DIST.slice(0, -1)}${i}`,
      bucketDomain: `${bucket}.s3.eu-west-1.amazonaws.com`,
    })),
    completeAfterMs: 300,
  });
});
afterAll(() => local?.close());
afterEach(() => {
  local.proxy.setFaults({});
  local.proxy.setLatency(0);
  local.cloudFront.clearFailures();
});

const distributionFor = (bucket: string) => `${DIST.slice(0, -1)}${BUCKETS.indexOf(bucket)}`;
const lastPaths = (bucket: string) => local.cloudFront.invalidations(distributionFor(bucket)).at(-1)?.paths.sort();
const auto = (bucket: string, source: string, more: Record<string, string> = {}) => ({
  source,
  bucket,
  'distribution-id': distributionFor(bucket),
  paths: 'auto',
  delete: 'true',
  ...more,
});
const md5 = (text: string) => createHash('md5').update(text).digest('hex');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const head = (bucket: string, key: string) => local.bucket.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));

describe('a failure between two steps, then the re-run', () => {
  it('invalidates a page whose CreateInvalidation was denied, on the next run, though nothing changed since', async () => {
    const source = await writeSite({ 'index.html': 'v1', 'about.html': 'v1' });
    expect((await local.deploy(auto('failed-cf', source))).exitCode).toBe(0);

    await fs.writeFile(path.join(source, 'index.html'), 'v2');
    local.cloudFront.failNext('CreateInvalidation', 'AccessDenied');
    const failed = await local.deploy(auto('failed-cf', source));
    expect(failed.exitCode).toBe(1);
    expect(failed.errors).toEqual([expect.stringMatching(/Access denied to CloudFront distribution/)]);
    expect((await getObject(local.bucket, 'failed-cf', 'index.html')).body.toString()).toBe('v2');

    // The permission is fixed; the build is the same. The edge still serves v1 until this invalidation.
    const rerun = await local.deploy(auto('failed-cf', source));
    expect(rerun.exitCode).toBe(0);
    expect(rerun.outputs).toMatchObject({ 'uploaded-count': '0', 'invalidation-status': 'InProgress' });
    expect(lastPaths('failed-cf')).toEqual(['/', '/index.html']);

    // Covered now: the next run has nothing to do, and costs one listing.
    local.proxy.reset();
    const after = await local.deploy(auto('failed-cf', source));
    expect(after.outputs['invalidation-status']).toBe('Skipped');
    expect(local.proxy.counts()).toEqual({ ListObjectsV2: 1 });
  });

  it('invalidates, after a partial upload failure, every file the failed run overwrote, not only the one that failed', async () => {
    const source = await writeSite({ 'index.html': 'v1', 'style.css': 'v1', 'broken.js': 'v1' });
    expect((await local.deploy(auto('partial', source))).exitCode).toBe(0);

    for (const key of ['index.html', 'style.css', 'broken.js']) await fs.writeFile(path.join(source, key), 'v2');
    local.proxy.setFaults({ failKeys: ['partial/broken.js'] });
    const failed = await local.deploy(auto('partial', source));
    expect(failed.exitCode).toBe(1);
    expect((await getObject(local.bucket, 'partial', 'style.css')).body.toString()).toBe('v2');
    // The page waits for its assets: it still links what the edge and the bucket agree on.
    expect((await getObject(local.bucket, 'partial', 'index.html')).body.toString()).toBe('v1');
    expect(failed.summary).toMatch(
      /^### Deploy to `s3:\/\/partial\/` failed during Upload assets\n\n> 1 of 2 files failed/,
    );
    expect(failed.summary).toMatch(/\| \*\*Not attempted\*\* \(waiting on a wave that failed\) \| 1 file \|/);

    local.proxy.setFaults({});
    const rerun = await local.deploy(auto('partial', source));
    expect(rerun.exitCode).toBe(0);
    expect(rerun.outputs['uploaded-count']).toBe('2');
    expect(lastPaths('partial')).toEqual(['/', '/broken.js', '/index.html', '/style.css']);
  });
});

describe('removed assets and their grace period', () => {
  const v1 = {
    'index.html': '<script src="/assets/app-Ab3dEf9h.js"></script><img src="/img/banner.png">',
    'assets/app-Ab3dEf9h.js': 'v1()',
    'img/banner.png': 'png v1',
    'old.html': 'a page that goes',
  };
  const v2 = { 'index.html': '<script src="/assets/app-Zz9yXw1v.js"></script>', 'assets/app-Zz9yXw1v.js': 'v2()' };

  it('keeps the old chunk fetchable while cached pages may link it, then deletes it, invalidating only what must be', async () => {
    const build = await writeSite(v1);
    expect((await local.deploy(auto('grace', build, { 'delete-after': '2s' }))).exitCode).toBe(0);

    const rebuilt = await writeSite(v2);
    const second = await local.deploy(auto('grace', rebuilt, { 'delete-after': '2s' }));
    expect(second.exitCode).toBe(0);
    expect(second.outputs).toMatchObject({ 'deleted-count': '1', 'kept-count': '2' });
    // A tab still running v1, or an edge still holding the old page, loads its chunk and image.
    expect((await getObject(local.bucket, 'grace', 'assets/app-Ab3dEf9h.js')).body.toString()).toBe('v1()');
    expect((await getObject(local.bucket, 'grace', 'img/banner.png')).body.toString()).toBe('png v1');
    // The removed page is gone and invalidated with the changed one; the kept assets did not change.
    expect(await siteKeys(local.bucket, 'grace')).not.toContain('old.html');
    expect(lastPaths('grace')).toEqual(['/', '/index.html', '/old.html']);

    await sleep(2200);
    const later = await local.deploy(auto('grace', rebuilt, { 'delete-after': '2s' }));
    expect(later.exitCode).toBe(0);
    expect(later.outputs).toMatchObject({ 'deleted-count': '2', 'kept-count': '0' });
    expect(await siteKeys(local.bucket, 'grace')).toEqual(['assets/app-Zz9yXw1v.js', 'index.html']);
    // The image's bytes could still sit at an edge under its name: invalidated. The chunk never changed
    // under its name, so its edge copy is harmless.
    expect(lastPaths('grace')).toEqual(['/img/banner.png']);
  });

  it('does not start the clock while the invalidation of the pages that linked them is pending', async () => {
    const build = await writeSite(v1);
    expect((await local.deploy(auto('paused', build, { 'delete-after': '1s' }))).exitCode).toBe(0);

    const rebuilt = await writeSite(v2);
    local.cloudFront.failNext('CreateInvalidation', 'ServiceUnavailable', 10);
    expect((await local.deploy(auto('paused', rebuilt, { 'delete-after': '1s' }))).exitCode).toBe(1);
    local.cloudFront.clearFailures();
    await sleep(1200);
    // The old page may still be at every edge: its assets stay, and their clock starts with this invalidation.
    const rerun = await local.deploy(auto('paused', rebuilt, { 'delete-after': '1s' }));
    expect(rerun.exitCode).toBe(0);
    expect(rerun.outputs['kept-count']).toBe('2');
    // The failed run deleted old.html: the state names no file, so nothing can name it now, and the whole
    // prefix (here the root) is invalidated once rather than leaving its edge copy.
    expect(lastPaths('paused')).toEqual(['/*']);
    await sleep(1200);
    const later = await local.deploy(auto('paused', rebuilt, { 'delete-after': '1s' }));
    expect(later.outputs['deleted-count']).toBe('2');
  });
});

describe('header rules', () => {
  it('puts back the headers of a reverted rule change that failed half-way', async () => {
    const source = await writeSite({ 'a.html': 'a', 'b.html': 'b' });
    const r1 = { source, bucket: 'rules', 'cache-control': '*.html: no-cache' };
    const r2 = { ...r1, 'cache-control': '*.html: public, max-age=31536000, immutable' };
    expect((await local.deploy(r1)).exitCode).toBe(0);

    local.proxy.setFaults({ failKeys: ['rules/b.html'] });
    expect((await local.deploy(r2)).exitCode).toBe(1);
    expect((await head('rules', 'a.html')).CacheControl).toBe('public, max-age=31536000, immutable');

    local.proxy.setFaults({});
    const reverted = await local.deploy(r1);
    expect(reverted.exitCode).toBe(0);
    // Either object may carry either rule set: both are re-headered (b.html's copy had failed, a.html's not).
    expect(reverted.outputs['updated-count']).toBe('2');
    expect((await head('rules', 'a.html')).CacheControl).toBe('no-cache');
    expect((await head('rules', 'b.html')).CacheControl).toBe('no-cache');
  });
});

describe('objects another tool uploaded', () => {
  it('get the headers this deploy would give them, by one HEAD each and a copy for the wrong ones, once', async () => {
    const files = { 'index.html': '<h1>x</h1>', 'app.mjs': 'export {}', 'style.css': 'body{}' };
    const typesGiven: Record<string, string> = {
      'index.html': 'text/html; charset=utf-8', // right
      'app.mjs': 'binary/octet-stream', // what some tools give a name they do not know
      'style.css': 'text/plain', // wrong
    };
    for (const [key, body] of Object.entries(files)) {
      await local.bucket.send(
        new PutObjectCommand({ Bucket: 'migrate', Key: key, Body: body, ContentType: typesGiven[key] }),
      );
    }
    const source = await writeSite(files);
    local.proxy.reset();
    const first = await local.deploy({ source, bucket: 'migrate' });
    expect(first.exitCode).toBe(0);
    expect(first.outputs).toMatchObject({ 'uploaded-count': '0', 'updated-count': '2' });
    expect(local.proxy.counts()).toMatchObject({ HeadObject: 3, CopyObject: 2 });
    expect((await head('migrate', 'app.mjs')).ContentType).toBe('text/javascript; charset=utf-8');
    expect((await head('migrate', 'style.css')).ContentType).toBe('text/css; charset=utf-8');

    local.proxy.reset();
    const second = await local.deploy({ source, bucket: 'migrate' });
    expect(second.outputs).toMatchObject({ 'uploaded-count': '0', 'updated-count': '0' });
    expect(local.proxy.counts()).toEqual({ ListObjectsV2: 1 });
  });
});

describe('what a visitor can learn from the state', () => {
  it('names no page, pending or removed, to whoever requests it', async () => {
    const source = await writeSite({ 'index.html': 'v1', 'secret-launch.html': 'soon', 'img/old-logo.png': 'x' });
    expect((await local.deploy(auto('visitor', source))).exitCode).toBe(0);
    await fs.rm(path.join(source, 'img/old-logo.png'));
    await fs.writeFile(path.join(source, 'secret-launch.html'), 'changed');
    local.cloudFront.failNext('CreateInvalidation', 'AccessDenied');
    expect((await local.deploy(auto('visitor', source))).exitCode).toBe(1);

    // The distribution serves the bucket, so it serves this object too: what it shows is digests and ciphertext.
    const keys = await listKeys(local.bucket, 'visitor');
    const stateKey = keys.find((key) => key.endsWith('.s3-cloudfront-deploy.json')) as string;
    const served = (await getObject(local.bucket, 'visitor', stateKey)).body.toString();
    expect(JSON.parse(served)).toMatchObject({ format: 2 });
    for (const name of ['secret-launch', 'old-logo', 'index', '.html', '.png']) expect(served).not.toContain(name);
  });
});

describe('pull request previews', () => {
  it('tears a preview down entirely, state included, and invalidates it', async () => {
    const source = await writeSite({ 'index.html': 'pr', 'assets/app-Ab3dEf9h.js': 'x', 'docs/a.html': 'a' });
    const preview = { source, bucket: 'previews', prefix: 'pr-7', 'distribution-id': distributionFor('previews') };
    expect((await local.deploy({ ...preview, paths: 'auto' })).exitCode).toBe(0);
    expect((await local.deploy({ ...preview, prefix: 'pr-8', paths: 'auto' })).exitCode).toBe(0);

    const closed = await local.deploy({
      bucket: 'previews',
      prefix: 'pr-7',
      teardown: 'true',
      'distribution-id': distributionFor('previews'),
      paths: 'auto',
    });
    expect(closed.exitCode).toBe(0);
    expect(closed.outputs['deleted-count']).toBe('3');
    const left = await listKeys(local.bucket, 'previews');
    expect(left.filter((key) => key.startsWith('pr-7/'))).toEqual([]);
    expect(left.filter((key) => key.startsWith('pr-8/')).length).toBe(4); // 3 files and the state
    expect(lastPaths('previews')).toEqual([
      '/pr-7',
      '/pr-7/',
      '/pr-7/assets/app-Ab3dEf9h.js',
      '/pr-7/docs/a.html',
      '/pr-7/index.html',
    ]);

    // Closing it again, or a prefix never deployed, or the whole bucket: refused, nothing touched.
    const again = await local.deploy({ bucket: 'previews', prefix: 'pr-7', teardown: 'true' });
    expect(again.errors).toEqual([expect.stringMatching(/Nothing was deployed under s3:\/\/previews\/pr-7\//)]);
    const root = await local.deploy({ bucket: 'previews', teardown: 'true' });
    expect(root.errors).toEqual([expect.stringMatching(/'prefix' is empty/)]);
    expect((await listKeys(local.bucket, 'previews')).length).toBe(4);
  });
});

describe('one deploy at a time per prefix', () => {
  it("takes over a killed run's expired lock, naming it", async () => {
    const lock = {
      run: 'https://github.com/o/r/actions/runs/1/attempts/1 (job deploy)',
      startedAt: '2026-11-27T10:00:00.000Z',
      expiresAt: '2026-11-27T10:02:00.000Z',
    };
    await local.bucket.send(
      new PutObjectCommand({ Bucket: 'locks', Key: 'site/.s3-cloudfront-deploy.lock', Body: JSON.stringify(lock) }),
    );
    // Its holder last renewed it 3 minutes ago, by S3's clock (the lease is 2 minutes).
    local.s3.setLastModified('locks', 'site/.s3-cloudfront-deploy.lock', new Date(Date.now() - 180_000));
    const source = await writeSite({ 'index.html': 'x' });
    const run = await local.deploy({ source, bucket: 'locks', prefix: 'site' });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(
      'Took over the lock on s3://locks/site/.s3-cloudfront-deploy.lock left by https://github.com/o/r/actions/runs/1/attempts/1',
    );
    expect(await listKeys(local.bucket, 'locks')).toEqual(['site/.s3-cloudfront-deploy.json', 'site/index.html']);
  });

  it('waits for a live lock up to lock-timeout, then fails naming the holder, having changed nothing', async () => {
    const lock = {
      run: 'https://github.com/o/r/actions/runs/2/attempts/1 (job deploy)',
      startedAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
    };
    await local.bucket.send(
      new PutObjectCommand({ Bucket: 'locks', Key: 'live/.s3-cloudfront-deploy.lock', Body: JSON.stringify(lock) }),
    );
    const source = await writeSite({ 'index.html': 'x' });
    const run = await local.deploy({ source, bucket: 'locks', prefix: 'live', 'lock-timeout': '2' });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([
      expect.stringMatching(
        /Another deploy is writing to s3:\/\/locks\/live\/: https:\/\/github.com\/o\/r\/actions\/runs\/2\/attempts\/1 \(job deploy\), started .* Waited 2 s \('lock-timeout'\)/,
      ),
    ]);
    expect((await listKeys(local.bucket, 'locks')).filter((key) => key.startsWith('live/'))).toEqual([
      'live/.s3-cloudfront-deploy.lock',
    ]);
  });

  it('takes no lock, and writes nothing, when there is nothing to write', async () => {
    const source = await writeSite({ 'index.html': 'x' });
    expect((await local.deploy({ source, bucket: 'locks', prefix: 'idle' })).exitCode).toBe(0);
    local.proxy.reset();
    expect((await local.deploy({ source, bucket: 'locks', prefix: 'idle' })).exitCode).toBe(0);
    expect(local.proxy.counts()).toEqual({ ListObjectsV2: 1 });
  });
});

describe('a store whose ETags are not the MD5 of the bytes', () => {
  afterEach(() => local.s3.configure({ etags: 'md5' }));

  it.each<['kms' | 'opaque']>([['kms'], ['opaque']])(
    'etags %s: a fresh checkout of an unchanged site uploads nothing and invalidates nothing',
    async (etags) => {
      local.s3.configure({ etags });
      const bucket = 'kms';
      const prefix = `site-${etags}`;
      const site = { 'index.html': 'v1', 'app.js': 'app()', 'big.bin': largeFile(17 * 1024 * 1024) };
      const inputs = (source: string) => ({ ...auto(bucket, source), prefix });
      const first = await local.deploy(inputs(await writeSite(site)));
      expect(first.exitCode).toBe(0);
      expect(local.s3.object(bucket, `${prefix}/index.html`)?.etag).not.toContain(md5('v1'));

      local.proxy.reset();
      const fresh = await local.deploy(inputs(await writeSite(site)));
      expect(fresh.exitCode).toBe(0);
      expect(fresh.outputs).toMatchObject({ 'uploaded-count': '0', 'invalidation-status': 'Skipped' });
      // The listing, and the state that remembers what was written under each ETag.
      expect(local.proxy.counts()).toEqual({ ListObjectsV2: 1, GetObject: 1 });

      const edited = await writeSite({ ...site, 'app.js': 'app(2)' });
      const edit = await local.deploy(inputs(edited));
      expect(edit.outputs['uploaded-count']).toBe('1');
      expect(lastPaths(bucket)).toEqual([`/${prefix}/app.js`]);
    },
  );

  it("compares another tool's objects by S3's CRC64NVME checksum instead of uploading them again", async () => {
    local.s3.configure({ etags: 'opaque' });
    const files = { 'index.html': '<h1>x</h1>', 'app.js': 'app()' };
    for (const [key, body] of Object.entries(files)) {
      const ContentType = key.endsWith('.html') ? 'text/html; charset=utf-8' : 'text/javascript; charset=utf-8';
      await local.bucket.send(new PutObjectCommand({ Bucket: 'kms', Key: `other/${key}`, Body: body, ContentType }));
    }
    const source = await writeSite(files);
    local.proxy.reset();
    const first = await local.deploy({ source, bucket: 'kms', prefix: 'other' });
    expect(first.outputs).toMatchObject({ 'uploaded-count': '0', 'updated-count': '0' });
    expect(local.proxy.counts()).toMatchObject({ HeadObject: 2 });
    expect(local.proxy.counts().PutObject).toBe(3); // the lock, its probe, the state's record: no file

    local.proxy.reset();
    await local.deploy({ source, bucket: 'kms', prefix: 'other' });
    expect(local.proxy.counts()).toEqual({ ListObjectsV2: 1, GetObject: 1 });
  });

  it('sends the server-side encryption a KMS-enforcing bucket policy requires on every write, the state and lock included', async () => {
    const source = await writeSite({ 'index.html': 'x', 'big.bin': largeFile(9 * 1024 * 1024) });
    const before = local.s3.requests.length;
    const run = await local.deploy({
      source,
      bucket: 'kms',
      prefix: 'encrypted',
      'server-side-encryption': 'aws:kms',
      'sse-kms-key-id': 'arn:aws:kms:eu-west-1:123456789012:key/site',
    });
    expect(run.exitCode).toBe(0);
    const writes = local.s3.requests
      .slice(before)
      .filter((r) => ['PutObject', 'CreateMultipartUpload', 'CopyObject'].includes(r.operation));
    expect(writes.length).toBeGreaterThanOrEqual(5); // file, multipart, lock, probe, state
    for (const write of writes) {
      expect([write.key, write.headers['x-amz-server-side-encryption']]).toEqual([write.key, 'aws:kms']);
      expect(write.headers['x-amz-server-side-encryption-aws-kms-key-id']).toBe(
        'arn:aws:kms:eu-west-1:123456789012:key/site',
      );
    }
  });
});

describe('a bucket that refuses deletes', () => {
  afterEach(() => local.s3.configure({ objectLock: false }));

  it('fails clearly where a delete is refused (a bucket policy, MFA delete), and keeps the rest of the deploy', async () => {
    const source = await writeSite({ 'index.html': 'x', 'old.html': 'old' });
    expect((await local.deploy({ source, bucket: 'locks', prefix: 'worm', delete: 'true' })).exitCode).toBe(0);
    await fs.rm(path.join(source, 'old.html'));
    local.s3.configure({ objectLock: (_bucket, key) => key.endsWith('old.html') });
    const run = await local.deploy({ source, bucket: 'locks', prefix: 'worm', delete: 'true' });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([expect.stringMatching(/could not be deleted .*'old.html'.*refuses these deletes/)]);
  });
});

describe('deploys that meet', () => {
  it('never interleave: two deploys started together to one prefix take turns, and the bucket holds one build whole', async () => {
    const a = await writeSite(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`p/${i}.html`, `a ${i}`])));
    const b = await writeSite(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`p/${i}.html`, `b ${i}`])));
    // The second starts once the first holds the lock (slowed by latency so it still does): deploys fast
    // enough to finish before the other process has started would otherwise never meet.
    local.proxy.setLatency(100);
    const firstRun = local.deploy(
      { source: a, bucket: 'locks', prefix: 'race', concurrency: '2' },
      { GITHUB_RUN_ID: '101' },
    );
    const lockKey = 'race/.s3-cloudfront-deploy.lock';
    for (let i = 0; i < 100 && !local.s3.object('locks', lockKey); i++) await sleep(50);
    const secondRun = local.deploy(
      { source: b, bucket: 'locks', prefix: 'race', concurrency: '2' },
      { GITHUB_RUN_ID: '102' },
    );
    const [first, second] = await Promise.all([firstRun, secondRun]).finally(() => local.proxy.setLatency(0));
    expect([first.exitCode, second.exitCode]).toEqual([0, 0]);
    expect(`${first.stdout}${second.stdout}`).toMatch(
      /Waiting for another deploy to s3:\/\/locks\/race\/ to finish: .*runs\/10[12]/,
    );
    const bodies = await Promise.all(
      Array.from({ length: 40 }, async (_, i) =>
        (await getObject(local.bucket, 'locks', `race/p/${i}.html`)).body.toString(),
      ),
    );
    const winner = bodies[0]?.[0];
    expect(bodies.every((body) => body[0] === winner)).toBe(true);
    expect(await listKeys(local.bucket, 'locks')).not.toContain('race/.s3-cloudfront-deploy.lock');
  });

  it('retries a conditional write that S3 answers 409 ConditionalRequestConflict', async () => {
    local.s3.conflictNextConditionalWrite('locks', 'conflict/.s3-cloudfront-deploy.lock');
    const source = await writeSite({ 'index.html': 'x' });
    const run = await local.deploy({ source, bucket: 'locks', prefix: 'conflict' });
    expect(run.exitCode).toBe(0);
    expect(await siteKeys(local.bucket, 'locks')).toContain('conflict/index.html');
  });

  it('says the lock is best-effort on a store that ignores conditional writes, and points to concurrency groups', async () => {
    local.s3.configure({ conditionalWrites: false });
    try {
      const source = await writeSite({ 'index.html': 'x' });
      const run = await local.deploy({ source, bucket: 'locks', prefix: 'lenient' });
      expect(run.exitCode).toBe(0);
      expect(run.stdout).toMatch(
        /::warning::The S3 store does not honour conditional writes .* best-effort.*'concurrency' group/,
      );
    } finally {
      local.s3.configure({ conditionalWrites: true });
    }
  });

  it('releases the lock when the run is cancelled', async () => {
    const source = await writeSite(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`p/${i}.html`, `x ${i}`])));
    local.proxy.setLatency(300);
    let child: ChildProcess | undefined;
    const run = local.deploy(
      { source, bucket: 'locks', prefix: 'cancelled', concurrency: '1' },
      {},
      { onStart: (started) => (child = started) },
    );
    const lockKey = 'cancelled/.s3-cloudfront-deploy.lock';
    for (let i = 0; i < 100 && !local.s3.object('locks', lockKey); i++) await sleep(50);
    expect(local.s3.object('locks', lockKey)).toBeDefined();
    child?.kill('SIGTERM');
    const cancelled = await run;
    local.proxy.setLatency(0);
    expect(cancelled.exitCode).toBe(1);
    expect(cancelled.stdout).toMatch(/::error::Cancelled \(SIGTERM\) during /);
    expect(local.s3.object('locks', lockKey)).toBeUndefined();
  });
});
