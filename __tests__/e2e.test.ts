/**
 * The bundled action (dist/index.js), run as a GitHub runner runs it, against s3rver and the project's
 * CloudFront API server. Each test checks what a user would: the bucket's bytes and types, the outputs,
 * the job summary, the invalidation CloudFront received, and the error line.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startCloudFrontServer } from '../local/cloudfront-server.mjs';
import { type LocalAws, startLocalAws } from './support/local-aws.js';
import { getObject, largeFile, listKeys, putObject, siteKeys as keysInBucket, writeSite } from './support/site.js';

const DISTRIBUTION = 'E2EXAMPLE0000';
const SLOW_DISTRIBUTION = 'E2ESLOW000000';
/** The first distribution's alternate domain name: where the outputs say the site is. */
const DOMAIN = 'www.example.com';
const BUCKETS = ['first-deploy', 'resync', 'prefixed', 'refusals', 'dry-run', 'timeout', 'log-lines'];

let local: LocalAws;

const site = {
  'index.html': '<!doctype html><h1>Hello</h1>',
  'about/index.html': '<h1>About</h1>',
  'assets/app.js': 'console.log("hi")',
  'assets/style.css': 'body { color: red }',
  'assets/logo.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>',
  'docs/my page.html': '<p>spaces</p>',
  'docs/café.html': '<p>unicode</p>',
  'fonts/inter.woff2': Buffer.from([0x77, 0x4f, 0x46, 0x32, 0, 1, 2, 3]),
  'video/intro.mp4': largeFile(9 * 1024 * 1024 + 123),
};
const siteKeys = Object.keys(site).sort();

beforeAll(async () => {
  local = await startLocalAws({
    buckets: BUCKETS,
    distributions: [{ id: DISTRIBUTION, aliases: [DOMAIN] }, { id: SLOW_DISTRIBUTION }],
  });
});
afterAll(() => local?.close());

const deploy = (inputs: Record<string, string>, env?: Record<string, string>) => local.deploy(inputs, env);

describe('a deploy on push', () => {
  it('uploads the site with its bytes and types, invalidates, waits and reports', async () => {
    const source = await writeSite(site);
    const runnerTemp = await fs.mkdtemp(path.join(os.tmpdir(), 'runner-temp-'));
    const run = await deploy(
      { source, bucket: 'first-deploy', 'distribution-id': DISTRIBUTION, wait: 'true' },
      { RUNNER_TEMP: runnerTemp },
    );

    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(await keysInBucket(local.bucket, 'first-deploy')).toEqual(siteKeys);
    for (const [key, body] of Object.entries(site)) {
      expect((await getObject(local.bucket, 'first-deploy', key)).body.equals(Buffer.from(body))).toBe(true);
    }
    expect((await getObject(local.bucket, 'first-deploy', 'index.html')).contentType).toBe('text/html; charset=utf-8');
    expect((await getObject(local.bucket, 'first-deploy', 'assets/style.css')).contentType).toBe(
      'text/css; charset=utf-8',
    );
    expect((await getObject(local.bucket, 'first-deploy', 'fonts/inter.woff2')).contentType).toBe('font/woff2');
    expect((await getObject(local.bucket, 'first-deploy', 'video/intro.mp4')).contentType).toBe('video/mp4');

    const invalidations = local.cloudFront.invalidations(DISTRIBUTION);
    const created = invalidations.find((i) => i.id === run.outputs['invalidation-id']);
    expect(created?.paths).toEqual(['/*']);
    expect(run.outputs).toEqual({
      'invalidation-id': created?.id,
      'invalidation-status': 'Completed',
      invalidations: JSON.stringify([
        { distributionId: DISTRIBUTION, id: created?.id, status: 'Completed', paths: ['/*'] },
      ]),
      'updated-count': '0',
      'uploaded-count': String(siteKeys.length),
      'deleted-count': '0',
      'unchanged-count': '0',
      'uploaded-bytes': String(Object.values(site).reduce((sum, body) => sum + Buffer.byteLength(body), 0)),
      'kept-count': '0',
      changes: expect.any(String) as string,
      'changes-file': expect.stringMatching(new RegExp(`^${runnerTemp}/.+\\.json$`)) as string,
      url: `https://${DOMAIN}/`,
    });
    const changes = JSON.parse(run.outputs.changes ?? '[]') as Array<{ key: string; change: string; url: string }>;
    // The file holds the same list (whole: `changes` is cut only past 100 KB).
    expect(JSON.parse(await fs.readFile(run.outputs['changes-file'] ?? '', 'utf8'))).toEqual(changes);
    await fs.rm(runnerTemp, { recursive: true, force: true });
    expect(changes.map((c) => [c.key, c.change])).toEqual(
      [
        ...['assets/app.js', 'assets/logo.svg', 'assets/style.css', 'fonts/inter.woff2', 'video/intro.mp4'],
        ...['about/index.html', 'docs/café.html', 'docs/my page.html', 'index.html'],
      ].map((key) => [key, 'new']),
    );
    // Where a visitor requests each file: a folder's index.html is its folder, names are URL-encoded.
    const urls = Object.fromEntries(changes.map((c) => [c.key, c.url]));
    expect(urls).toMatchObject({
      'index.html': `https://${DOMAIN}/`,
      'about/index.html': `https://${DOMAIN}/about/`,
      'docs/my page.html': `https://${DOMAIN}/docs/my%20page.html`,
      'docs/café.html': `https://${DOMAIN}/docs/caf%C3%A9.html`,
    });
    expect(run.summary).toContain('Deployed to `s3://first-deploy/`');
    expect(run.summary).toContain('| What | Files |');
    expect(run.summary).toContain(`| Uploaded | ${siteKeys.length} files `);
    expect(run.summary).toContain(`| \`${DISTRIBUTION}\` | \`${created?.id}\` **Completed** | \`/*\` |`);
    expect(run.summary).toContain(`Site: https://${DOMAIN}/`);
    expect(run.stdout).toMatch(/::group::Upload/);
    expect(run.stdout).toMatch(/::group::Wait/);
  });

  it('uploads nothing after a fresh checkout, and only the change after an edit', async () => {
    const first = await writeSite(site);
    expect((await deploy({ source: first, bucket: 'resync' })).exitCode).toBe(0);

    // A fresh checkout: same bytes, every mtime newer.
    const fresh = await writeSite(site);
    local.proxy.reset();
    const rerun = await deploy({ source: fresh, bucket: 'resync' });
    expect(rerun.exitCode).toBe(0);
    expect(rerun.outputs).toMatchObject({ 'uploaded-count': '0', 'unchanged-count': String(siteKeys.length) });
    expect(local.proxy.counts()).toEqual({ ListObjectsV2: 1 });

    await fs.writeFile(path.join(fresh, 'assets/app.js'), 'console.log("changed")');
    local.proxy.reset();
    const edit = await deploy({ source: fresh, bucket: 'resync' });
    const siteRequests = local.proxy.requests.filter((r) => !r.path.includes('.s3-cloudfront-deploy'));
    expect(siteRequests.map((r) => `${r.operation} ${r.path}`)).toEqual([
      'ListObjectsV2 /resync/',
      'ListObjectsV2 /resync/', // again, under the lock
      'PutObject /resync/assets/app.js',
    ]);
    expect(edit.outputs).toMatchObject({ 'uploaded-count': '1', 'unchanged-count': String(siteKeys.length - 1) });
    expect((await getObject(local.bucket, 'resync', 'assets/app.js')).body.toString()).toBe('console.log("changed")');
    expect(edit.summary).toContain('`assets/app.js` changed');
  });

  it('deletes only under the prefix, after uploading', async () => {
    await putObject(local.bucket, 'prefixed', 'site/stale.html', 'old');
    await putObject(local.bucket, 'prefixed', 'site-old/keep.html', 'sibling prefix');
    await putObject(local.bucket, 'prefixed', 'other/keep.html', 'outside');
    const source = await writeSite({ 'index.html': 'new' });

    const run = await deploy({ source, bucket: 'prefixed', prefix: '/site', delete: 'true' });

    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ 'uploaded-count': '1', 'deleted-count': '1' });
    expect(await keysInBucket(local.bucket, 'prefixed')).toEqual([
      'other/keep.html',
      'site-old/keep.html',
      'site/index.html',
    ]);
    expect(run.stdout.indexOf('::group::Upload')).toBeLessThan(run.stdout.indexOf('::group::Delete'));
  });

  it('plans without changing anything in a dry run', async () => {
    const source = await writeSite(site);
    const requestsBefore = local.cloudFront.requests.length;
    const run = await deploy({ source, bucket: 'dry-run', 'distribution-id': DISTRIBUTION, 'dry-run': 'true' });

    expect(run.exitCode).toBe(0);
    expect(await listKeys(local.bucket, 'dry-run')).toEqual([]);
    // It reads the distribution (a wrong id fails a dry run too), and creates nothing.
    expect(local.cloudFront.requests.slice(requestsBefore).map((r) => r.method)).toEqual(['GET']);
    expect(run.outputs).toMatchObject({ 'uploaded-count': String(siteKeys.length), 'invalidation-id': '' });
    expect(run.summary).toContain('Dry run (nothing changed)');
    expect(run.stdout).toMatch(
      /::notice::Dry run: would upload 9 files \(9\.0 MiB\), update the headers of 0 files, delete 0 files; nothing was changed; would invalidate 1 path on E2EXAMPLE0000\./,
    );
  });

  it('writes a line per file to the debug log only when it is on', async () => {
    const source = await writeSite({ 'index.html': 'home', 'assets/app.js': 'app' });
    const perFile = (stdout: string) =>
      stdout.split('\n').filter((line) => /^::debug::(upload|entry-point|other) /.test(line));

    // Every push: two lines per file would only make the raw log (and the action's memory) grow.
    expect(perFile((await deploy({ source, bucket: 'log-lines' })).stdout)).toEqual([]);

    await fs.writeFile(path.join(source, 'index.html'), 'home v2');
    const debugging = await deploy({ source, bucket: 'log-lines' }, { RUNNER_DEBUG: '1' });
    // The change as planned, and as planned again under the lock; each file's class once.
    expect(perFile(debugging.stdout)).toEqual([
      expect.stringMatching(/^::debug::upload index\.html \(changed; entry-point: /),
      expect.stringMatching(/^::debug::other assets\/app\.js \(/),
      expect.stringMatching(/^::debug::entry-point index\.html \(/),
      expect.stringMatching(/^::debug::upload index\.html \(changed; entry-point: /),
    ]);
  });

  it('fails at wait-timeout with the outputs already set', async () => {
    const slow = await startCloudFrontServer({ completeAfterMs: 60_000, distributions: [{ id: SLOW_DISTRIBUTION }] });
    try {
      const source = await writeSite({ 'index.html': 'x' });
      const started = Date.now();
      const run = await deploy(
        { source, bucket: 'timeout', 'distribution-id': SLOW_DISTRIBUTION, wait: 'true', 'wait-timeout': '4' },
        { AWS_ENDPOINT_URL_CLOUDFRONT: slow.url },
      );
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(run.exitCode).toBe(1);
      // The real time waited, from the first CreateInvalidation: the timeout, give or take a poll.
      expect(run.errors).toEqual([
        expect.stringMatching(
          /still InProgress [4-5]\.\d s after the first CreateInvalidation \('wait-timeout': 4 s\)/,
        ),
      ]);
      expect(run.outputs['invalidation-status']).toBe('InProgress');
      expect(run.outputs['invalidation-id']).toBe(slow.invalidations(SLOW_DISTRIBUTION)[0]?.id);
      expect(run.outputs['uploaded-count']).toBe('1');
    } finally {
      await slow.close();
    }
  });
});

describe('refusals and errors: one clear line, no stack trace', () => {
  it('refuses an empty source with delete before touching the bucket', async () => {
    await putObject(local.bucket, 'refusals', 'keep.html', 'live site');
    const empty = await writeSite({});
    const run = await deploy({ source: empty, bucket: 'refusals', delete: 'true' });

    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([expect.stringMatching(/has no files and 'delete' is true.*Refusing/)]);
    expect(await listKeys(local.bucket, 'refusals')).toEqual(['keep.html']);
  });

  // The job summary of each failed run leads with the failure, where it stopped, and the error text.
  it.each<[string, Record<string, string>, Record<string, string>, RegExp, string]>([
    [
      'a missing source',
      { source: '/nonexistent/build' },
      {},
      /Input 'source': folder '\/nonexistent\/build' does not exist/,
      'Plan',
    ],
    [
      'a malformed bucket name',
      { bucket: 'My_Bucket' },
      {},
      /Input 'bucket' is not a valid S3 bucket name: 'My_Bucket'/,
      'the check of the inputs',
    ],
    ['a boolean typo', { wait: 'yes' }, {}, /Input 'wait' must be true or false, got 'yes'/, 'the check of the inputs'],
    [
      'a bucket that does not exist',
      { bucket: 'no-such-bucket' },
      {},
      /Bucket 'no-such-bucket' does not exist/,
      'Plan',
    ],
    ['an unknown access key', {}, { AWS_ACCESS_KEY_ID: 'INVALIDKEY' }, /does not recognise the access key/, 'Plan'],
    [
      'an unknown distribution',
      { 'distribution-id': 'EUNKNOWN00000' },
      {},
      /distribution 'EUNKNOWN00000' does not exist/,
      'Plan',
    ],
    [
      'an unreachable endpoint',
      {},
      { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9' },
      /Could not reach S3.*ECONNREFUSED/,
      'Plan',
    ],
  ])('%s', async (_, inputs, env, message, stage) => {
    const source = await writeSite({ 'index.html': 'x' });
    const run = await deploy({ source, bucket: 'refusals', ...inputs }, env);
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([expect.stringMatching(message)]);
    expect(run.stdout + run.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
    const [heading, , quote] = run.summary.split('\n');
    expect(heading).toMatch(new RegExp(`^### Deploy( to \`s3://[^\`]+\`)? failed during ${stage}$`));
    expect(quote).toMatch(message);
    expect(run.summary).not.toContain('Deployed to');
  });
});
