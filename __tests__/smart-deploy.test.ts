/**
 * Smart deploys, end to end through dist/index.js: invalidating exactly what changed, safe deletes,
 * per-file headers that follow rule changes, file selection, and the zero-downtime upload order.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { type LocalAws, startLocalAws } from './support/local-aws.js';
import { getObject, listKeys, putObject, siteKeys, writeSite } from './support/site.js';

const BUCKETS = ['auto', 'origin-path', 'collapse', 'two', 'deletes', 'headers', 'select', 'order'];
const ROOT_DIST = 'EAUTO00000001';
const PREFIXED_DIST = 'EPREFIX000001';
const SECOND_DIST = 'ESECOND000001';

let local: LocalAws;

beforeAll(async () => {
  local = await startLocalAws({
    buckets: BUCKETS,
    distributions: [
      { id: ROOT_DIST, bucketDomain: 'auto.s3.eu-west-1.amazonaws.com' },
      { id: PREFIXED_DIST, bucketDomain: 'origin-path.s3.eu-west-1.amazonaws.com', originPath: '/live' },
      { id: SECOND_DIST, bucketDomain: 'auto.s3-website-eu-west-1.amazonaws.com' },
    ],
  });
});
afterAll(() => local?.close());

const site = {
  'index.html': '<h1>home</h1>',
  'docs/index.html': '<h1>docs</h1>',
  'docs/guide.html': '<h1>guide</h1>',
  'docs/my page.html': 'spaces',
  'assets/app.js': 'app()',
  'assets/style.css': 'body{}',
};

async function head(bucket: string, key: string) {
  return local.bucket.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
}

function lastInvalidationPaths(distributionId: string): string[] | undefined {
  return local.cloudFront.invalidations(distributionId).at(-1)?.paths;
}

describe('paths: auto', () => {
  it('invalidates exactly the overwritten and deleted URLs, none for new or kept files, and skips when nothing changed', async () => {
    const source = await writeSite(site);
    const auto = { source, bucket: 'auto', 'distribution-id': ROOT_DIST, paths: 'auto', delete: 'true' };
    const first = await local.deploy(auto);
    expect(first.exitCode).toBe(0);
    expect(first.outputs['invalidation-status']).toBe('Skipped');
    expect(first.stdout).toContain('no invalidation, nothing CloudFront could have cached changed');

    await fs.writeFile(path.join(source, 'docs/index.html'), '<h1>docs v2</h1>');
    await fs.writeFile(path.join(source, 'docs/my page.html'), 'spaces v2');
    await fs.rm(path.join(source, 'assets/style.css'));
    await fs.writeFile(path.join(source, 'assets/new.js'), 'new()');
    const second = await local.deploy(auto);

    expect(second.exitCode).toBe(0);
    expect(second.outputs['invalidation-status']).toBe('InProgress');
    expect(lastInvalidationPaths(ROOT_DIST)?.sort()).toEqual(
      // A space is also requested as '+' (form-encoded links), which S3 reads as a space.
      ['/docs/index.html', '/docs/', '/docs', '/docs/my%20page.html', '/docs/my+page.html'].sort(),
    );
    // The removed stylesheet stays for its grace period (a cached page may still link it), unchanged.
    expect(second.outputs['kept-count']).toBe('1');
    expect(await listKeys(local.bucket, 'auto')).toContain('assets/style.css');

    const requestsBefore = local.cloudFront.requests.length;
    const third = await local.deploy(auto);
    expect(third.outputs).toMatchObject({
      'invalidation-status': 'Skipped',
      'invalidation-id': '',
      'uploaded-count': '0',
    });
    // One read of the distribution (a wrong id would fail here), and no invalidation.
    expect(local.cloudFront.requests.slice(requestsBefore).map((r) => r.method)).toEqual(['GET']);
  });

  it("maps keys through the distribution's origin path", async () => {
    const source = await writeSite({ 'index.html': 'v1', 'a.html': 'v1' });
    const inputs = {
      source,
      bucket: 'origin-path',
      prefix: 'live/blog',
      'distribution-id': PREFIXED_DIST,
      paths: 'auto',
    };
    await local.deploy(inputs);
    await fs.writeFile(path.join(source, 'index.html'), 'v2');
    const run = await local.deploy(inputs);

    expect(run.exitCode).toBe(0);
    expect(lastInvalidationPaths(PREFIXED_DIST)?.sort()).toEqual(['/blog/', '/blog', '/blog/index.html'].sort());
  });

  it('collapses a long list into the narrowest wildcards', async () => {
    const many = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`assets/chunk-${i}.js`, `v1 ${i}`]));
    const source = await writeSite({ ...many, 'index.html': 'v1', 'about.html': 'v1' });
    const inputs = { source, bucket: 'collapse', 'distribution-id': ROOT_DIST, paths: 'auto' };
    await local.deploy(inputs);
    for (let i = 0; i < 30; i++) await fs.writeFile(path.join(source, `assets/chunk-${i}.js`), `v2 ${i}`);
    await fs.writeFile(path.join(source, 'about.html'), 'v2');
    const run = await local.deploy(inputs);

    expect(lastInvalidationPaths(ROOT_DIST)).toEqual(['/about.html', '/assets/*']);
    expect(run.stdout).toContain('31 changed URLs collapsed into 2 path(s)');
  });

  it('invalidates what browsers request for odd file names, and never fails on a name CloudFront cannot take', async () => {
    const names = ['faq?.html', '100%41.html', 'a*b.html', 'c++.html', 'runtime~main.js'];
    const source = await writeSite(Object.fromEntries(names.map((name) => [name, 'v1'])));
    const inputs = { source, bucket: 'auto', prefix: 'odd', 'distribution-id': ROOT_DIST, paths: 'auto' };
    await local.deploy(inputs);
    for (const name of names) await fs.writeFile(path.join(source, name), 'v2');
    const run = await local.deploy(inputs);

    expect(run.exitCode).toBe(0);
    // What a browser sends: '?' and '%' encoded, '+' raw or (encodeURIComponent) %2B, '*' and '~' raw.
    expect(lastInvalidationPaths(ROOT_DIST)).toEqual([
      '/odd/100%2541.html',
      '/odd/a*',
      '/odd/c%2B%2B.html',
      '/odd/c++.html',
      '/odd/faq%3F.html',
      '/odd/runtime*',
    ]);
  });

  it('fails before writing anything when the distribution cannot be read: a wrong id, or a missing permission', async () => {
    const source = await writeSite({ 'page.html': 'v1' });
    const inputs = { source, bucket: 'auto', prefix: 'denied', 'distribution-id': ROOT_DIST, paths: 'auto' };
    await local.deploy(inputs);
    await fs.writeFile(path.join(source, 'page.html'), 'v2');
    local.cloudFront.failNext('GetDistribution', 'AccessDenied');
    const run = await local.deploy(inputs);

    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([
      expect.stringMatching(
        /Could not read CloudFront distribution 'EAUTO00000001': either the id is wrong, or the role lacks cloudfront:GetDistribution/,
      ),
    ]);
    expect((await getObject(local.bucket, 'auto', 'denied/page.html')).body.toString()).toBe('v1');
  });
});

describe('several distributions', () => {
  it('invalidates each, waits for each, and lists them all in the invalidations output', async () => {
    const source = await writeSite({ 'index.html': 'x' });
    const run = await local.deploy({
      source,
      bucket: 'two',
      'distribution-id': `${ROOT_DIST}\n${SECOND_DIST}`,
      paths: '/index.html',
      wait: 'true',
    });

    expect(run.exitCode).toBe(0);
    const listed = JSON.parse(run.outputs.invalidations ?? '[]') as Array<{ id: string }>;
    expect(listed).toEqual([
      {
        distributionId: ROOT_DIST,
        id: local.cloudFront.invalidations(ROOT_DIST).at(-1)?.id,
        status: 'Completed',
        paths: ['/index.html'],
      },
      {
        distributionId: SECOND_DIST,
        id: local.cloudFront.invalidations(SECOND_DIST).at(-1)?.id,
        status: 'Completed',
        paths: ['/index.html'],
      },
    ]);
    expect(run.outputs['invalidation-id']).toBe(listed[0]?.id);
  });
});

describe('safe deletes', () => {
  it('refuses to delete more than max-deletes before changing anything', async () => {
    for (const key of ['old/1.html', 'old/2.html', 'old/3.html']) await putObject(local.bucket, 'deletes', key, 'old');
    const source = await writeSite({ 'index.html': 'new' });
    const run = await local.deploy({ source, bucket: 'deletes', delete: 'true', 'max-deletes': '2' });

    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([
      expect.stringMatching(
        /would remove 3 objects under s3:\/\/deletes\/, more than 'max-deletes' \(2\).*raise 'max-deletes' \(or set it to -1/,
      ),
    ]);
    expect(await listKeys(local.bucket, 'deletes')).toEqual(['old/1.html', 'old/2.html', 'old/3.html']);

    const uncapped = await local.deploy({ source, bucket: 'deletes', delete: 'true', 'max-deletes': '-1' });
    expect(uncapped.outputs['deleted-count']).toBe('3');
    expect(await siteKeys(local.bucket, 'deletes')).toEqual(['index.html']);
  });
});

describe('per-file headers', () => {
  it('sets headers by rule, and a changed rule reaches unchanged objects without re-uploading', async () => {
    const source = await writeSite({
      'index.html': '<h1>x</h1>',
      'assets/app.js': 'app()',
      'assets/lib.js.gz': gzipSync('lib()'),
      feed: '<rss/>',
    });
    const rules = {
      source,
      bucket: 'headers',
      'cache-control': '**/*.html: no-cache\nassets/**: public, max-age=31536000, immutable',
      'content-type': 'feed: application/rss+xml',
      'content-encoding': 'assets/**/*.gz: gzip',
    };
    expect((await local.deploy(rules)).exitCode).toBe(0);
    expect(await head('headers', 'index.html')).toMatchObject({
      CacheControl: 'no-cache',
      ContentType: 'text/html; charset=utf-8',
    });
    expect(await head('headers', 'assets/app.js')).toMatchObject({
      CacheControl: 'public, max-age=31536000, immutable',
    });
    expect(await head('headers', 'assets/lib.js.gz')).toMatchObject({
      ContentEncoding: 'gzip',
      ContentType: 'text/javascript; charset=utf-8',
    });
    expect((await head('headers', 'feed')).ContentType).toBe('application/rss+xml');

    // The same rules again: the listing alone proves nothing changed.
    local.proxy.reset();
    const same = await local.deploy(rules);
    expect(same.outputs).toMatchObject({ 'uploaded-count': '0', 'updated-count': '0' });
    expect(local.proxy.counts()).toEqual({ ListObjectsV2: 1 });

    // An edited rule: headers rewritten in place (CopyObject), no bytes sent again. Around the copy: a fresh
    // listing under the lock, the lock itself (create, probe, release) and the state (read, journal, final).
    local.proxy.reset();
    const edited = await local.deploy({
      ...rules,
      'cache-control': '**/*.html: public, max-age=60\nassets/**: public, max-age=31536000, immutable',
    });
    expect(edited.exitCode).toBe(0);
    expect(edited.outputs).toMatchObject({ 'uploaded-count': '0', 'updated-count': '1' });
    expect(local.proxy.counts()).toEqual({
      ListObjectsV2: 2,
      GetObject: 1,
      CopyObject: 1,
      PutObject: 4,
      DeleteObject: 1,
    });
    expect(await head('headers', 'index.html')).toMatchObject({
      CacheControl: 'public, max-age=60',
      ContentType: 'text/html; charset=utf-8',
    });
    expect(await head('headers', 'assets/app.js')).toMatchObject({
      CacheControl: 'public, max-age=31536000, immutable',
    });

    const forced = await local.deploy({ ...rules, force: 'true' });
    expect(forced.outputs['uploaded-count']).toBe('4');
  });
});

describe('file selection and order', () => {
  it('deploys only included files, never excluded ones, .well-known like any folder', async () => {
    const source = await writeSite({
      'index.html': 'x',
      'app.js': 'x',
      'app.js.map': 'x',
      '.well-known/security.txt': 'x',
      '.git/config': 'x',
      'drafts/wip.html': 'x',
    });
    const run = await local.deploy({ source, bucket: 'select', exclude: '**/*.map\ndrafts/**' });
    expect(run.exitCode).toBe(0);
    expect(await siteKeys(local.bucket, 'select')).toEqual(['.well-known/security.txt', 'app.js', 'index.html']);
  });

  it('uploads assets first and entry points last, then deletes', async () => {
    await putObject(local.bucket, 'order', 'stale.html', 'old');
    const source = await writeSite({
      'index.html': 'x',
      'blog/index.html': 'x',
      'sitemap.xml': 'x',
      'assets/a.js': 'x',
      'assets/b.css': 'x',
      'img/c.png': 'x',
    });
    local.proxy.reset();
    const run = await local.deploy({ source, bucket: 'order', delete: 'true', concurrency: '8' });
    expect(run.exitCode).toBe(0);
    const writes = local.proxy.requests.filter(
      (r) =>
        (r.operation === 'PutObject' || r.operation === 'DeleteObjects') && !r.path.includes('.s3-cloudfront-deploy'),
    );
    const paths = writes.map((r) => `${r.operation} ${r.path.replace('/order/', '')}`);
    expect(new Set(paths.slice(0, 3))).toEqual(
      new Set(['PutObject assets/a.js', 'PutObject assets/b.css', 'PutObject img/c.png']),
    );
    expect(new Set(paths.slice(3, 6))).toEqual(
      new Set(['PutObject index.html', 'PutObject blog/index.html', 'PutObject sitemap.xml']),
    );
    expect(writes.map((r) => r.operation)).toEqual([...Array<string>(6).fill('PutObject'), 'DeleteObjects']);
  });
});
