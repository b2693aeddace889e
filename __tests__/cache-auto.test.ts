/**
 * `cache-control: auto`, end to end through dist/index.js: a real Vite build (its file list, see
 * fixtures/generators) deployed with every object's Cache-Control by class, then the real rebuild deployed
 * with an invalidation of the changed entry points only; the switch to `auto` reaching unchanged objects by
 * CopyObject; the cache-policy check.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { FileClass } from '../src/classify.js';
import { AUTO_CACHE_CONTROL } from '../src/headers.js';
import { type ListedFile, readFixture } from './support/fixtures.js';
import { type LocalAws, startLocalAws } from './support/local-aws.js';
import { siteKeys, writeSite } from './support/site.js';

const ROOT_DIST = 'EAUTOCACHE001';
const STRICT_DIST = 'ESTRICTMIN001';
const DENIED_DIST = 'EDENIEDPOL001';
const LONG_MIN_POLICY = '22222222-3333-4444-5555-666666666666';

let local: LocalAws;

beforeAll(async () => {
  local = await startLocalAws({
    buckets: ['vite', 'switch', 'policy'],
    distributions: [
      { id: ROOT_DIST, bucketDomain: 'vite.s3.eu-west-1.amazonaws.com' },
      {
        id: STRICT_DIST,
        bucketDomain: 'policy.s3.eu-west-1.amazonaws.com',
        defaultBehavior: { cachePolicyId: LONG_MIN_POLICY },
      },
      {
        id: DENIED_DIST,
        bucketDomain: 'policy.s3.eu-west-1.amazonaws.com',
        defaultBehavior: { cachePolicyId: LONG_MIN_POLICY },
      },
    ],
    cachePolicies: [
      { id: LONG_MIN_POLICY, name: 'one-hour-minimum', minTtl: 3600, defaultTtl: 86_400, maxTtl: 31_536_000 },
    ],
  });
});
afterAll(() => local?.close());

/** Bytes that stand for a listed file: the same md5 in the list gives the same bytes. */
const body = (md5: string, size: number) =>
  md5.repeat(Math.ceil(Math.min(size, 4096) / md5.length)).slice(0, Math.min(size, 4096));

/** Makes `source` hold exactly the files of a fixture list. */
async function build(source: string, list: readonly ListedFile[]): Promise<void> {
  const wanted = new Set(list.map((file) => file.key));
  for (const entry of await fs.readdir(source, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    if (entry.isFile() && !wanted.has(path.relative(source, full).split(path.sep).join('/'))) await fs.rm(full);
  }
  for (const file of list) {
    await fs.mkdir(path.dirname(path.join(source, file.key)), { recursive: true });
    await fs.writeFile(path.join(source, file.key), body(file.md5, file.size));
  }
}

const cacheControlOf = async (bucket: string, key: string) =>
  (await local.bucket.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).CacheControl;

describe('cache-control: auto on a Vite build', () => {
  it('gives every object the header of its class, then invalidates only the changed entry points after a rebuild', async () => {
    const first = readFixture('vite');
    const source = await writeSite({});
    await build(source, first);
    const inputs = {
      source,
      bucket: 'vite',
      'distribution-id': ROOT_DIST,
      paths: 'auto',
      delete: 'true',
      'cache-control': 'auto',
    };
    local.proxy.reset();
    const run = await local.deploy(inputs);
    expect(run.exitCode).toBe(0);

    for (const file of first) {
      expect({ key: file.key, cacheControl: await cacheControlOf('vite', file.key) }).toEqual({
        key: file.key,
        cacheControl: AUTO_CACHE_CONTROL[file.expected],
      });
    }
    // Hashed files first, then pages, feeds and manifests, the service worker last.
    const classOf = new Map(first.map((file) => [file.key, file.expected]));
    const order = local.proxy.requests
      .filter((request) => request.operation === 'PutObject' && !request.path.includes('.s3-cloudfront-deploy'))
      .map((request) => classOf.get(request.path.replace('/vite/', '')));
    const wave = (fileClass: FileClass | undefined) =>
      fileClass === 'service-worker' ? 2 : fileClass === 'entry-point' ? 1 : 0;
    expect(order.map(wave)).toEqual([...order.map(wave)].sort());
    expect(order.at(-1)).toBe('service-worker');
    expect(run.summary).toContain('| Files by class | 28 fingerprinted, 4 entry points, 1 service worker, 7 other |');
    expect(run.stdout).toContain('40 local files (28 fingerprinted, 4 entry points, 1 service worker, 7 other)');
    expect(run.stdout).toContain(
      `${ROOT_DIST}: behaviour '*' (cache policy Managed-CachingOptimized) honours 'cache-control: auto'.`,
    );

    // The real rebuild after editing one lazy page: eleven chunks renamed, index.html and sw.js changed.
    const second = readFixture('vite-rebuild');
    const before = new Map(first.map((file) => [file.key, file.md5]));
    const renamed = second.filter((file) => !before.has(file.key));
    const changed = second.filter((file) => before.has(file.key) && before.get(file.key) !== file.md5);
    expect(renamed.every((file) => file.expected === 'fingerprinted')).toBe(true);
    expect(changed.map((file) => file.key)).toEqual(['index.html', 'sw.js']);
    await build(source, second);
    const rebuilt = await local.deploy(inputs);
    expect(rebuilt.exitCode).toBe(0);
    expect(rebuilt.outputs).toMatchObject({
      'uploaded-count': String(renamed.length + changed.length),
      'updated-count': '0',
      'deleted-count': '0',
      'kept-count': String(renamed.length),
    });
    expect(local.cloudFront.invalidations(ROOT_DIST).at(-1)?.paths.sort()).toEqual(['/', '/index.html', '/sw.js']);
    // The previous build's chunks stay for open tabs, with their year-long header.
    expect(await siteKeys(local.bucket, 'vite')).toEqual(expect.arrayContaining(['assets/Blog-1c2-MTYh.js']));
    expect(await cacheControlOf('vite', 'assets/Blog-BxtpWRz4.js')).toBe(AUTO_CACHE_CONTROL.fingerprinted);
  });

  it('switching it on rewrites unchanged objects in place (CopyObject), invalidating none of the hashed ones', async () => {
    const files = readFixture('vite');
    const source = await writeSite({});
    await build(source, files);
    const inputs = { source, bucket: 'switch', 'distribution-id': ROOT_DIST, paths: 'auto' };
    expect((await local.deploy(inputs)).exitCode).toBe(0);
    expect(await cacheControlOf('switch', 'index.html')).toBeUndefined();

    local.proxy.reset();
    const switched = await local.deploy({ ...inputs, 'cache-control': 'auto\nauto:other: public, max-age=600' });
    expect(switched.exitCode).toBe(0);
    expect(switched.outputs).toMatchObject({ 'uploaded-count': '0', 'updated-count': String(files.length) });
    expect(local.proxy.counts().CopyObject).toBe(files.length);
    expect(await cacheControlOf('switch', 'logo.png')).toBe('public, max-age=600');
    expect(await cacheControlOf('switch', 'assets/main-BHeKPc3i.js')).toBe(AUTO_CACHE_CONTROL.fingerprinted);
    const paths = local.cloudFront.invalidations(ROOT_DIST).at(-1)?.paths ?? [];
    expect(paths.filter((p) => p.startsWith('/assets/') || p.startsWith('/workbox-') || p.endsWith('*'))).toEqual([]);
    expect(paths).toEqual(expect.arrayContaining(['/', '/index.html', '/sw.js', '/logo.png']));

    // The same rules again: nothing to rewrite, and the listing alone proves it.
    local.proxy.reset();
    const again = await local.deploy({ ...inputs, 'cache-control': 'auto\nauto:other: public, max-age=600' });
    expect(again.outputs).toMatchObject({ 'uploaded-count': '0', 'updated-count': '0' });
    expect(local.proxy.counts()).toEqual({ ListObjectsV2: 1 });
  });

  it("warns when the distribution's cache policy defeats a class, and only warns when it cannot be read", async () => {
    const source = await writeSite({ 'index.html': '<h1>x</h1>', 'assets/app-B3kd9Xz1.js': 'app()' });
    const inputs = { source, bucket: 'policy', 'cache-control': 'auto' };
    const strict = await local.deploy({ ...inputs, 'distribution-id': STRICT_DIST });
    expect(strict.exitCode).toBe(0);
    expect(strict.stdout).toContain(
      `::warning::${STRICT_DIST}: behaviour '*' (cache policy one-hour-minimum): its minimum TTL (3600 s) keeps entry points (pages, feeds) at the edges 3600 s, not the 60 s of 'public, max-age=0, s-maxage=60, must-revalidate'`,
    );

    local.cloudFront.failNext('GetCachePolicy', 'AccessDenied');
    const denied = await local.deploy({ ...inputs, 'distribution-id': DENIED_DIST });
    expect(denied.exitCode).toBe(0);
    expect(denied.stdout).toContain(
      `::warning::${DENIED_DIST}: behaviour '*' (cache policy ${LONG_MIN_POLICY}) could not be read (not allowed: grant cloudfront:GetCachePolicy).`,
    );
  });

  it('shows each file’s class and why in a dry run', async () => {
    const source = await writeSite({ 'index.html': 'x', 'assets/app-B3kd9Xz1.js': 'x', 'sw.js': 'x', 'logo.png': 'x' });
    const run = await local.deploy({
      source,
      bucket: 'policy',
      prefix: 'dry',
      'cache-control': 'auto',
      'dry-run': 'true',
    });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(
      "upload assets/app-B3kd9Xz1.js (new; fingerprinted: content hash 'B3kd9Xz1' at the end of the name)",
    );
    expect(run.stdout).toContain('upload sw.js (new; service-worker: service worker)');
    expect(run.stdout).toContain('other logo.png (no content hash in the name)');
    expect(run.summary).toContain('| Files by class | 1 fingerprinted, 1 entry point, 1 service worker, 1 other |');
  });
});
