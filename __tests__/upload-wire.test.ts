/**
 * What the bundled action (dist/index.js) puts on the wire when it writes, seen through the request-recording
 * proxy and the strict local S3 (which verifies Content-MD5 and refuses DeleteObjects without it): every
 * body-carrying write with a Content-MD5 that matches its body, DeleteObjects included, a large file
 * edited during the deploy aborted instead of committed, and a store whose ETags are not MD5s not taken for
 * one whose files changed.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ProxiedRequest } from '../local/s3-proxy.mjs';
import { type LocalAws, startLocalAws } from './support/local-aws.js';
import { getObject, largeFile, putObject, siteKeys, writeSite } from './support/site.js';

const MiB = 1024 * 1024;
let local: LocalAws;

beforeAll(async () => {
  local = await startLocalAws({ buckets: ['md5', 'edited', 'kms'], distributions: [] });
  local.proxy.hashBodies(true);
});
afterAll(() => local?.close());
afterEach(() => local.proxy.onRequest(undefined));

const WRITES = ['PutObject', 'UploadPart', 'DeleteObjects'];

describe('every write carries Content-MD5', () => {
  it('on each PutObject, on each part of an 8 MiB and a 20 MiB file, and on DeleteObjects', async () => {
    await putObject(local.bucket, 'md5', 'old-page.html', 'gone in this build');
    const site = {
      'index.html': '<h1>Home</h1>',
      'assets/app.js': 'console.log(1)',
      'media/exactly-8-mib.bin': largeFile(8 * MiB, 3),
      'media/twenty.bin': largeFile(20 * MiB, 5),
    };
    const source = await writeSite(site);
    local.proxy.reset();
    const run = await local.deploy({ source, bucket: 'md5', delete: 'true' });

    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    const siteRequests = local.proxy.requests.filter((request) => !request.path.includes('.s3-cloudfront-deploy'));
    const counts: Record<string, number> = {};
    for (const { operation } of siteRequests) counts[operation] = (counts[operation] ?? 0) + 1;
    expect(counts).toEqual({
      ListObjectsV2: 2, // the plan, and again under the lock
      PutObject: 2,
      CreateMultipartUpload: 2,
      ListMultipartUploads: 2, // one per large file: uploads of it an earlier run left unfinished
      UploadPart: 4,
      CompleteMultipartUpload: 2,
      DeleteObjects: 1,
    });
    // Every write, the lock's and the deploy state's included.
    const writes = local.proxy.requests.filter((request) => WRITES.includes(request.operation));
    expect(writes.filter((request) => request.path.includes('.s3-cloudfront-deploy')).length).toBeGreaterThan(0);
    for (const write of writes) {
      expect([write.operation, write.headers['content-md5']]).toEqual([write.operation, write.bodyMd5]);
    }
    const deleteRequest = writes.find((request) => request.operation === 'DeleteObjects') as ProxiedRequest;
    expect(Object.keys(deleteRequest.headers).filter((name) => name.includes('checksum'))).toEqual([]);
    expect(await siteKeys(local.bucket, 'md5')).toEqual(Object.keys(site).sort());
    for (const [key, body] of Object.entries(site)) {
      expect((await getObject(local.bucket, 'md5', key)).body.equals(Buffer.from(body))).toBe(true);
    }

    local.proxy.reset();
    const again = await local.deploy({ source, bucket: 'md5', delete: 'true' });
    expect(again.outputs['uploaded-count']).toBe('0');
    expect(local.proxy.counts()).toEqual({ ListObjectsV2: 1 });
  });
});

describe('a large file edited during the deploy', () => {
  it('fails like a small one, commits neither version, and a re-run deploys the new bytes', async () => {
    const v1 = largeFile(20 * MiB, 7);
    const v2 = largeFile(20 * MiB, 11);
    const v3 = largeFile(20 * MiB, 13);
    const source = await writeSite({ 'index.html': '<h1>v1</h1>', 'media/big.bin': v1 });
    expect((await local.deploy({ source, bucket: 'edited' })).exitCode).toBe(0);

    // The build changes big.bin; while the deploy is uploading it, the file is written again.
    fs.writeFileSync(path.join(source, 'media/big.bin'), v2);
    local.proxy.onRequest((request) => {
      if (request.operation === 'CreateMultipartUpload') fs.writeFileSync(path.join(source, 'media/big.bin'), v3);
    });
    local.proxy.reset();
    const run = await local.deploy({ source, bucket: 'edited' });

    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([
      expect.stringContaining(
        "(first: 'media/big.bin': 'media/big.bin' changed while the deploy was running; run the deploy again.)",
      ),
    ]);
    expect(run.stdout).not.toMatch(/SSE-KMS/);
    const counts = local.proxy.counts();
    expect(counts.CompleteMultipartUpload).toBeUndefined();
    expect(counts.AbortMultipartUpload).toBe(1);
    const created = local.proxy.requests.find((request) => request.operation === 'CreateMultipartUpload');
    const aborted = local.proxy.requests.find((request) => request.operation === 'AbortMultipartUpload');
    expect(aborted?.path).toBe(created?.path);
    expect(local.s3.multipartUploads('edited')).toEqual([]);
    expect(run.stdout).not.toMatch(/Could not abort/);
    expect((await getObject(local.bucket, 'edited', 'media/big.bin')).body.equals(v1)).toBe(true);

    local.proxy.onRequest(undefined);
    const rerun = await local.deploy({ source, bucket: 'edited' });
    expect(rerun.errors).toEqual([]);
    expect(rerun.outputs['uploaded-count']).toBe('1');
    expect((await getObject(local.bucket, 'edited', 'media/big.bin')).body.equals(v3)).toBe(true);
  });
});

describe('a bucket whose ETags are not MD5s (SSE-KMS)', () => {
  afterEach(() => local.s3.configure({ etags: 'md5' }));

  it('deploys without calling its files changed or guessing at its encryption', async () => {
    local.s3.configure({ etags: 'kms' });
    const big = largeFile(9 * MiB, 17);
    const source = await writeSite({ 'index.html': '<h1>kms</h1>', 'media/big.bin': big });
    const run = await local.deploy({ source, bucket: 'kms' });

    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).not.toMatch(/::warning::/);
    expect(local.s3.object('kms', 'media/big.bin')?.headers['x-amz-server-side-encryption']).toBe('aws:kms');
    expect((await getObject(local.bucket, 'kms', 'media/big.bin')).body.equals(big)).toBe(true);
  });
});
