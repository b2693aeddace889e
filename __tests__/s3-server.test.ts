/**
 * The local S3 is as strict as S3 and the strictest S3-compatible stores: each rule is proven by a request
 * that breaks it (raw HTTP, signed as an SDK signs) and by the SDK and the real AWS CLI getting through.
 */
import { execFile } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Crc64Nvme } from '@aws-sdk/checksums/crc';
import { startS3Proxy } from '../local/s3-proxy.mjs';
import { type LocalS3Server, S3_CREDENTIALS, type S3ServerOptions, startS3Server } from '../local/s3-server.mjs';
import { encodeKey, md5Base64, s3Request } from './support/s3-raw.js';

const BUCKET = 'site-bucket';
const MiB = 1024 * 1024;
/** Keys real sites have, and the characters that break signing or paths when mishandled. */
const ODD_KEYS = [
  'plain.html',
  'docs/my page.html',
  'c++/a+b.html',
  '100%41.html',
  'faq?.html',
  'notes#1.html',
  'a*b.html',
  '~user/index.html',
  'ünïcødé/日本語 😀.html',
  ' leading and trailing ',
  `quote'"&<>.txt`,
];

const servers: LocalS3Server[] = [];
async function server(options: S3ServerOptions = {}): Promise<LocalS3Server> {
  const started = await startS3Server(options);
  servers.push(started);
  return started;
}
afterAll(() => Promise.all(servers.map((s) => s.close())));

function client(endpoint: string, config: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: S3_CREDENTIALS,
    maxAttempts: 1,
    ...config,
  });
}

async function errorOf(promise: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  try {
    await promise;
  } catch (error) {
    const failure = error as { name: string; $metadata?: { httpStatusCode?: number } };
    return { name: failure.name, status: failure.$metadata?.httpStatusCode };
  }
  throw new Error('expected the request to fail');
}

const md5Hex = (body: Buffer | string) => createHash('md5').update(body).digest('hex');
const objectPath = (key: string, bucket = BUCKET) => `/${bucket}/${encodeKey(key)}`;
const bodyText = async (response: { Body?: unknown }) =>
  (response.Body as { transformToString(): Promise<string> }).transformToString();
const crc64 = async (body: Buffer) => {
  const crc = new Crc64Nvme();
  crc.update(body);
  return Buffer.from(await crc.digest()).toString('base64');
};

describe('SigV4', () => {
  let s3: LocalS3Server;
  beforeAll(async () => (s3 = await server()));

  it("verifies the SDK's requests over keys with spaces, +, %, ?, #, *, ~ and unicode", async () => {
    const sdk = client(s3.url);
    for (const Key of ODD_KEYS) {
      await sdk.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: `body of ${Key}` }));
      const got = await sdk.send(new GetObjectCommand({ Bucket: BUCKET, Key }));
      expect(await bodyText(got)).toBe(`body of ${Key}`);
      await sdk.send(new HeadObjectCommand({ Bucket: BUCKET, Key }));
    }
    const listed = await sdk.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    expect((listed.Contents ?? []).map((object) => object.Key).sort()).toEqual([...ODD_KEYS].sort());
    expect(s3.requests.every((request) => request.status === 200)).toBe(true);
  });

  it('refuses the same requests once tampered with after signing', async () => {
    const sdk = client(s3.url);
    const inner = sdk.config.requestHandler;
    let tamper: (request: { path: string; headers: Record<string, string> }) => void = () => {};
    sdk.config.requestHandler = {
      handle: (request: { path: string; headers: Record<string, string> }, options: unknown) => {
        tamper(request);
        return (inner.handle as (r: unknown, o: unknown) => Promise<never>)(request, options);
      },
    } as typeof inner;
    for (const Key of ODD_KEYS) {
      tamper = () => {};
      await sdk.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: 'x', ContentType: 'text/html' }));
      tamper = (request) => (request.path = request.path.replace(/\.html$|$/, '-other$&'));
      expect(await errorOf(sdk.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: 'x' })))).toEqual({
        name: 'SignatureDoesNotMatch',
        status: 403,
      });
      tamper = (request) => (request.headers['content-type'] = 'text/plain');
      const changedHeader = sdk.send(
        new PutObjectCommand({ Bucket: BUCKET, Key, Body: 'x', ContentType: 'text/html' }),
      );
      expect((await errorOf(changedHeader)).name).toBe('SignatureDoesNotMatch');
    }
  });

  it('refuses an unknown access key, a wrong secret, an unsigned request and an unsigned x-amz- header', async () => {
    const unknown = client(s3.url, { credentials: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'x' } });
    expect(await errorOf(unknown.send(new ListObjectsV2Command({ Bucket: BUCKET })))).toEqual({
      name: 'InvalidAccessKeyId',
      status: 403,
    });
    const wrongSecret = client(s3.url, { credentials: { ...S3_CREDENTIALS, secretAccessKey: 'wrong' } });
    expect((await errorOf(wrongSecret.send(new ListObjectsV2Command({ Bucket: BUCKET })))).name).toBe(
      'SignatureDoesNotMatch',
    );
    const unsigned = await s3Request(s3.url, { path: `/${BUCKET}`, query: { 'list-type': '2' }, sign: false });
    expect([unsigned.status, unsigned.code]).toEqual([403, 'AccessDenied']);
    const extra = await s3Request(s3.url, {
      path: `/${BUCKET}`,
      query: { 'list-type': '2' },
      afterSigning: (request) => {
        request.headers['x-amz-meta-late'] = 'added after signing';
      },
    });
    expect([extra.status, extra.code]).toEqual([403, 'AccessDenied']);
  });

  it('verifies x-amz-content-sha256 against the body, and accepts UNSIGNED-PAYLOAD', async () => {
    const wrong = await s3Request(s3.url, {
      method: 'PUT',
      path: objectPath('sha.txt'),
      body: 'the body',
      contentSha256: createHash('sha256').update('another body').digest('hex'),
    });
    expect([wrong.status, wrong.code]).toEqual([400, 'XAmzContentSHA256Mismatch']);
    expect(s3.object(BUCKET, 'sha.txt')).toBeUndefined();
    const unsigned = await s3Request(s3.url, {
      method: 'PUT',
      path: objectPath('sha.txt'),
      body: 'the body',
      contentSha256: 'UNSIGNED-PAYLOAD',
    });
    expect(unsigned.status).toBe(200);
  });

  it("reads a raw '+' in a path as a space, as S3 does", async () => {
    await client(s3.url).send(new PutObjectCommand({ Bucket: BUCKET, Key: 'a b.txt', Body: 'space' }));
    const raw = await s3Request(s3.url, { path: `/${BUCKET}/a+b.txt` });
    expect([raw.status, raw.text]).toEqual([200, 'space']);
  });
});

describe('Content-MD5 and checksums', () => {
  let s3: LocalS3Server;
  beforeAll(async () => (s3 = await server()));

  it('refuses a PutObject whose Content-MD5 does not match (BadDigest) or is not an MD5 (InvalidDigest)', async () => {
    const put = (contentMd5: string) =>
      s3Request(s3.url, {
        method: 'PUT',
        path: objectPath('md5.txt'),
        body: 'sent',
        headers: { 'content-md5': contentMd5 },
      });
    expect(await put(md5Base64('other'))).toMatchObject({ status: 400, code: 'BadDigest' });
    expect(await put('bm90IGFuIG1kNQ==')).toMatchObject({ status: 400, code: 'InvalidDigest' });
    expect(s3.object(BUCKET, 'md5.txt')).toBeUndefined();
    expect(await put(md5Base64('sent'))).toMatchObject({ status: 200 });
    expect(s3.object(BUCKET, 'md5.txt')?.etag).toBe(`"${md5Hex('sent')}"`);
  });

  it('refuses an UploadPart whose Content-MD5 does not match', async () => {
    const created = await client(s3.url).send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'parts.bin' }));
    const part = await s3Request(s3.url, {
      method: 'PUT',
      path: objectPath('parts.bin'),
      query: { partNumber: '1', uploadId: created.UploadId ?? '' },
      body: 'part',
      headers: { 'content-md5': md5Base64('not the part') },
    });
    expect([part.status, part.code]).toEqual([400, 'BadDigest']);
    expect(s3.multipartUploads(BUCKET)).toEqual([expect.objectContaining({ key: 'parts.bin', parts: 0 })]);
    await client(s3.url).send(
      new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'parts.bin', UploadId: created.UploadId }),
    );
  });

  it.each([
    ['crc32', 'NjowIA=='],
    ['crc32c', 'NT3Yvg=='],
    ['crc64nvme', 'akP7S61aVgc='],
    ['sha1', '9XLTlvrpIGYocU+yzgD3LpTyJY8='],
    ['sha256', 'WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM='],
  ])('verifies x-amz-checksum-%s (BadDigest naming the algorithm)', async (algorithm, rightValue) => {
    const put = (value: string) =>
      s3Request(s3.url, {
        method: 'PUT',
        path: objectPath(`sum-${algorithm}`),
        body: 'hello\n',
        headers: { [`x-amz-checksum-${algorithm}`]: value },
      });
    const wrongValue = Buffer.alloc(Buffer.from(rightValue, 'base64').length, 1).toString('base64');
    const wrong = await put(wrongValue);
    expect([wrong.status, wrong.code]).toEqual([400, 'BadDigest']);
    expect(wrong.text).toContain(`The ${algorithm.toUpperCase()} you specified did not match the calculated checksum.`);
    expect(await put(rightValue)).toMatchObject({ status: 200 });
  });

  it('refuses DeleteObjects without Content-MD5, even with the SDK default x-amz-checksum-crc32', async () => {
    const sdk = client(s3.url);
    await sdk.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'keep.txt', Body: 'x' }));
    const batch = sdk.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: 'keep.txt' }] } }));
    expect(await errorOf(batch)).toEqual({ name: 'MissingContentMD5', status: 400 });
    const request = s3.requests.at(-1);
    expect(request?.headers['x-amz-checksum-crc32']).toBeDefined();
    expect(s3.object(BUCKET, 'keep.txt')).toBeDefined();
  });

  it('refuses DeleteObjects whose Content-MD5 does not match, and deletes with the right one', async () => {
    const sdk = client(s3.url);
    for (const Key of ['d1', 'd 2+']) await sdk.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: 'x' }));
    const body =
      '<Delete><Object><Key>d1</Key></Object><Object><Key>d 2+</Key></Object><Object><Key>never-existed</Key></Object></Delete>';
    const send = (contentMd5: string) =>
      s3Request(s3.url, {
        method: 'POST',
        path: `/${BUCKET}`,
        query: { delete: '' },
        body,
        headers: { 'content-md5': contentMd5 },
      });
    expect(await send(md5Base64('other'))).toMatchObject({ status: 400, code: 'BadDigest' });
    expect(s3.object(BUCKET, 'd1')).toBeDefined();
    const answer = await send(md5Base64(body));
    expect(answer.status).toBe(200);
    expect(answer.text.match(/<Deleted><Key>[^<]*<\/Key><\/Deleted>/g)).toHaveLength(3);
    expect(s3.object(BUCKET, 'd1')).toBeUndefined();
    expect(s3.object(BUCKET, 'd 2+')).toBeUndefined();
  });

  it('gives every new object a full-object CRC64NVME, returned with checksum mode enabled', async () => {
    const sdk = client(s3.url, { requestChecksumCalculation: 'WHEN_REQUIRED' });
    const small = Buffer.from('a small page');
    await sdk.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'crc.html', Body: small }));
    const large = Buffer.alloc(11 * MiB, 5);
    await multipartUpload(sdk, 'crc.bin', large, 5 * MiB);
    for (const [Key, body] of [
      ['crc.html', small],
      ['crc.bin', large],
    ] as const) {
      const head = await sdk.send(new HeadObjectCommand({ Bucket: BUCKET, Key, ChecksumMode: 'ENABLED' }));
      expect([head.ChecksumCRC64NVME, head.ChecksumType]).toEqual([await crc64(body), 'FULL_OBJECT']);
      const got = await sdk.send(new GetObjectCommand({ Bucket: BUCKET, Key, ChecksumMode: 'ENABLED' }));
      expect(got.ChecksumCRC64NVME).toBe(await crc64(body));
      await bodyText(got);
    }
    const plain = await sdk.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'crc.html' }));
    expect(plain.ChecksumCRC64NVME).toBeUndefined();
  });
});

describe('aws-chunked bodies', () => {
  const chunked = (body: string, trailer: string) =>
    `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\nx-amz-checksum-crc32:${trailer}\r\n\r\n`;
  const chunkedRequest = (key: string, trailer: string) => ({
    method: 'PUT',
    path: objectPath(key),
    body: chunked('hello\n', trailer),
    contentSha256: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
    headers: {
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': '6',
      'x-amz-trailer': 'x-amz-checksum-crc32',
    },
  });

  it('decodes the body, verifies its trailing checksum, and stores no aws-chunked encoding', async () => {
    const s3 = await server();
    const stream = Readable.from([Buffer.from('streamed '), Buffer.from('body')]);
    await client(s3.url).send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'stream.txt', Body: stream, ContentLength: 13 }),
    );
    expect(s3.requests.at(-1)?.headers['content-encoding']).toBe('aws-chunked');
    expect(s3.object(BUCKET, 'stream.txt')?.body.toString()).toBe('streamed body');
    expect(s3.object(BUCKET, 'stream.txt')?.headers['content-encoding']).toBeUndefined();
    expect(await s3Request(s3.url, chunkedRequest('right.txt', 'NjowIA=='))).toMatchObject({ status: 200 });
    expect(s3.object(BUCKET, 'right.txt')?.body.toString()).toBe('hello\n');
    expect(await s3Request(s3.url, chunkedRequest('wrong.txt', 'AAAAAA=='))).toMatchObject({
      status: 400,
      code: 'BadDigest',
    });
    expect(s3.object(BUCKET, 'wrong.txt')).toBeUndefined();
  });

  it('verifies the chunk signatures of a signed aws-chunked body (STREAMING-AWS4-HMAC-SHA256-PAYLOAD)', async () => {
    const s3 = await server();
    const chunks = [Buffer.alloc(8192, 'a'), Buffer.from('the end'), Buffer.alloc(0)];
    const framedLength = chunks.reduce(
      (sum, chunk) => sum + chunk.length.toString(16).length + 83 + chunk.length + 2,
      0,
    );
    const hmac = (key: string | Buffer, text: string) => createHmac('sha256', key).update(text).digest();
    const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
    /** The body signed chunk by chunk from the request's signature; `tamper` alters one chunk's bytes after signing. */
    const put = (key: string, tamper: boolean) =>
      s3Request(s3.url, {
        method: 'PUT',
        path: objectPath(key),
        contentSha256: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
        headers: {
          'content-encoding': 'aws-chunked',
          'x-amz-decoded-content-length': String(8192 + 7),
          'content-length': String(framedLength),
        },
        afterSigning: ({ headers }) => {
          const amzDate = headers['x-amz-date'] ?? '';
          const scope = `${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`;
          let signingKey = hmac(`AWS4${S3_CREDENTIALS.secretAccessKey}`, amzDate.slice(0, 8));
          for (const part of ['us-east-1', 's3', 'aws4_request']) signingKey = hmac(signingKey, part);
          let previous = /Signature=([0-9a-f]{64})/.exec(headers.authorization ?? '')?.[1] ?? '';
          const framed = chunks.map((chunk, index) => {
            const stringToSign = ['AWS4-HMAC-SHA256-PAYLOAD', amzDate, scope, previous, sha256(''), sha256(chunk)].join(
              '\n',
            );
            previous = hmac(signingKey, stringToSign).toString('hex');
            const sent = tamper && index === 1 ? Buffer.from('THE END') : chunk;
            return Buffer.concat([
              Buffer.from(`${chunk.length.toString(16)};chunk-signature=${previous}\r\n`),
              sent,
              Buffer.from('\r\n'),
            ]);
          });
          return Buffer.concat(framed);
        },
      });
    expect(await put('signed.txt', false)).toMatchObject({ status: 200 });
    expect(s3.object(BUCKET, 'signed.txt')?.body.toString()).toBe(`${'a'.repeat(8192)}the end`);
    expect(await put('tampered.txt', true)).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    expect(s3.object(BUCKET, 'tampered.txt')).toBeUndefined();
  });

  it('refuses aws-chunked with refuseAwsChunked, as stores without it do', async () => {
    const s3 = await server({ refuseAwsChunked: true });
    const stream = Readable.from([Buffer.from('streamed')]);
    const put = client(s3.url).send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'stream.txt', Body: stream, ContentLength: 8 }),
    );
    expect(await errorOf(put)).toEqual({ name: 'InvalidArgument', status: 400 });
    expect(await s3Request(s3.url, chunkedRequest('right.txt', 'NjowIA=='))).toMatchObject({
      status: 400,
      code: 'InvalidArgument',
    });
    const buffered = client(s3.url).send(new PutObjectCommand({ Bucket: BUCKET, Key: 'plain.txt', Body: 'buffered' }));
    await expect(buffered).resolves.toBeDefined();
  });
});

describe('multipart uploads', () => {
  let s3: LocalS3Server;
  let sdk: S3Client;
  beforeAll(async () => {
    s3 = await server();
    sdk = client(s3.url, { requestChecksumCalculation: 'WHEN_REQUIRED' });
  });

  async function uploadParts(Key: string, sizes: number[]) {
    const { UploadId } = await sdk.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key }));
    const parts = [];
    for (const [index, size] of sizes.entries()) {
      const Body = Buffer.alloc(size, index + 1);
      const { ETag } = await sdk.send(
        new UploadPartCommand({ Bucket: BUCKET, Key, UploadId, PartNumber: index + 1, Body }),
      );
      parts.push({ PartNumber: index + 1, ETag, body: Body });
    }
    return { UploadId, parts };
  }
  const complete = (
    Key: string,
    UploadId: string | undefined,
    Parts: Array<{ PartNumber: number; ETag?: string | undefined }>,
  ) => sdk.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key, UploadId, MultipartUpload: { Parts } }));

  it("gives a multipart upload S3's ETag: md5 of the parts' binary MD5s, then -N", async () => {
    const { UploadId, parts } = await uploadParts('video/intro.mp4', [5 * MiB, 5 * MiB, 1234]);
    const answer = await complete('video/intro.mp4', UploadId, parts);
    const partDigests = Buffer.concat(parts.map(({ body }) => createHash('md5').update(body).digest()));
    const expected = `"${md5Hex(partDigests)}-3"`;
    expect(answer.ETag).toBe(expected);
    const head = await sdk.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'video/intro.mp4' }));
    expect([head.ETag, head.ContentLength]).toEqual([expected, 10 * MiB + 1234]);
    expect(s3.multipartUploads(BUCKET)).toEqual([]);
  });

  it('refuses parts under 5 MiB but the last (EntityTooSmall), and keeps the upload', async () => {
    const { UploadId, parts } = await uploadParts('small-parts.bin', [MiB, MiB]);
    expect(await errorOf(complete('small-parts.bin', UploadId, parts))).toEqual({
      name: 'EntityTooSmall',
      status: 400,
    });
    expect(s3.multipartUploads(BUCKET).map((upload) => upload.key)).toEqual(['small-parts.bin']);
    await sdk.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'small-parts.bin', UploadId }));
    expect(s3.multipartUploads(BUCKET)).toEqual([]);
    expect(await errorOf(complete('small-parts.bin', UploadId, parts))).toEqual({ name: 'NoSuchUpload', status: 404 });
  });

  it('checks the part list: InvalidPart for an unknown ETag, InvalidPartOrder for parts out of order', async () => {
    const { UploadId, parts } = await uploadParts('checked.bin', [5 * MiB, 10]);
    const [first, second] = parts as [(typeof parts)[0], (typeof parts)[0]];
    const wrongEtag = complete('checked.bin', UploadId, [first, { ...second, ETag: `"${md5Hex('x')}"` }]);
    expect(await errorOf(wrongEtag)).toEqual({ name: 'InvalidPart', status: 400 });
    expect(await errorOf(complete('checked.bin', UploadId, [second, first]))).toEqual({
      name: 'InvalidPartOrder',
      status: 400,
    });
    const listed = await sdk.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }));
    expect((listed.Uploads ?? []).map((upload) => upload.Key)).toEqual(['checked.bin']);
    await expect(complete('checked.bin', UploadId, parts)).resolves.toBeDefined();
  });
});

describe('conditional writes', () => {
  let s3: LocalS3Server;
  let sdk: S3Client;
  beforeAll(async () => {
    s3 = await server();
    sdk = client(s3.url);
  });
  const put = (Key: string, Body: string, condition: { IfNoneMatch?: string; IfMatch?: string }) =>
    sdk.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body, ...condition }));

  it('If-None-Match: * creates once, then 412 PreconditionFailed', async () => {
    await put('lock.json', 'first', { IfNoneMatch: '*' });
    expect(await errorOf(put('lock.json', 'second', { IfNoneMatch: '*' }))).toEqual({
      name: 'PreconditionFailed',
      status: 412,
    });
    expect(s3.object(BUCKET, 'lock.json')?.body.toString()).toBe('first');
  });

  it('If-Match replaces only the ETag named: 412 when it differs, 404 NoSuchKey when absent', async () => {
    const { ETag } = await put('state.json', 'v1', {});
    expect(await errorOf(put('state.json', 'v2', { IfMatch: `"${md5Hex('other')}"` }))).toEqual({
      name: 'PreconditionFailed',
      status: 412,
    });
    expect(await errorOf(put('missing.json', 'v1', { IfMatch: ETag ?? '' }))).toEqual({
      name: 'NoSuchKey',
      status: 404,
    });
    await put('state.json', 'v2', { IfMatch: ETag ?? '' });
    expect(s3.object(BUCKET, 'state.json')?.body.toString()).toBe('v2');
  });

  it('of concurrent conditional creates exactly one wins', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, index) => put('race.json', `writer ${index}`, { IfNoneMatch: '*' })),
    );
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(
      results.filter((result) => result.status === 'rejected').map((result) => (result.reason as Error).name),
    ).toEqual(Array(11).fill('PreconditionFailed'));
  });

  it('applies to CompleteMultipartUpload and to DeleteObject with If-Match', async () => {
    await put('big.bin', 'exists', {});
    const { UploadId } = await sdk.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'big.bin' }));
    const { ETag } = await sdk.send(
      new UploadPartCommand({ Bucket: BUCKET, Key: 'big.bin', UploadId, PartNumber: 1, Body: 'part' }),
    );
    const completion = sdk.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: 'big.bin',
        UploadId,
        IfNoneMatch: '*',
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] },
      }),
    );
    expect(await errorOf(completion)).toEqual({ name: 'PreconditionFailed', status: 412 });
    const deletion = sdk.send(
      new DeleteObjectCommand({ Bucket: BUCKET, Key: 'big.bin', IfMatch: `"${md5Hex('not it')}"` }),
    );
    expect(await errorOf(deletion)).toEqual({ name: 'PreconditionFailed', status: 412 });
    expect(s3.object(BUCKET, 'big.bin')?.body.toString()).toBe('exists');
    await sdk.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'big.bin', IfMatch: `"${md5Hex('exists')}"` }));
    expect(s3.object(BUCKET, 'big.bin')).toBeUndefined();
  });

  it('answers the next conditional write 409 ConditionalRequestConflict when told to, then lets a retry through', async () => {
    s3.conflictNextConditionalWrite(BUCKET, 'retry.json');
    expect(await errorOf(put('retry.json', 'x', { IfNoneMatch: '*' }))).toEqual({
      name: 'ConditionalRequestConflict',
      status: 409,
    });
    await put('retry.json', 'x', { IfNoneMatch: '*' });
    expect(s3.object(BUCKET, 'retry.json')?.body.toString()).toBe('x');
  });

  it('is ignored by a store without conditional writes (conditionalWrites: false)', async () => {
    const lenient = client((await server({ conditionalWrites: false })).url);
    for (const body of ['first', 'second']) {
      await lenient.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'lock.json', Body: body, IfNoneMatch: '*' }));
    }
    await lenient.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'lock.json', Body: 'third', IfMatch: '"nope"' }));
  });
});

describe('objects', () => {
  let s3: LocalS3Server;
  let sdk: S3Client;
  beforeAll(async () => {
    s3 = await server();
    sdk = client(s3.url);
  });

  it('stores and returns the content headers, user metadata and encryption as S3 does', async () => {
    await sdk.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'app.js.gz',
        Body: 'gzipped',
        ContentType: 'text/javascript',
        CacheControl: 'public, max-age=31536000, immutable',
        ContentEncoding: 'gzip',
        ContentDisposition: 'inline',
        Metadata: { 'deployed-by': 'action' },
      }),
    );
    const head = await sdk.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'app.js.gz' }));
    expect(head).toMatchObject({
      ContentType: 'text/javascript',
      CacheControl: 'public, max-age=31536000, immutable',
      ContentEncoding: 'gzip',
      ContentDisposition: 'inline',
      Metadata: { 'deployed-by': 'action' },
      ServerSideEncryption: 'AES256',
      ETag: `"${md5Hex('gzipped')}"`,
      ContentLength: 7,
    });
    expect(s3.object(BUCKET, 'app.js.gz')).toMatchObject({
      headers: { 'content-encoding': 'gzip' },
      metadata: { 'deployed-by': 'action' },
    });
  });

  it('copies (URL-encoded source, COPY and REPLACE), and refuses a copy onto itself without REPLACE', async () => {
    const Key = 'docs/my page+1.html';
    await sdk.send(
      new PutObjectCommand({ Bucket: BUCKET, Key, Body: '<p>', ContentType: 'text/html', Metadata: { m: '1' } }),
    );
    const CopySource = `${BUCKET}/${encodeKey(Key)}`;
    await sdk.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'copy.html', CopySource }));
    expect(s3.object(BUCKET, 'copy.html')).toMatchObject({
      headers: { 'content-type': 'text/html' },
      metadata: { m: '1' },
    });
    const self = sdk.send(new CopyObjectCommand({ Bucket: BUCKET, Key, CopySource }));
    expect(await errorOf(self)).toEqual({ name: 'InvalidRequest', status: 400 });
    await sdk.send(
      new CopyObjectCommand({
        Bucket: BUCKET,
        Key,
        CopySource,
        MetadataDirective: 'REPLACE',
        ContentType: 'text/html; charset=utf-8',
        CacheControl: 'no-cache',
      }),
    );
    expect(s3.object(BUCKET, Key)).toMatchObject({
      body: Buffer.from('<p>'),
      headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' },
      metadata: {},
    });
  });

  it("answers errors in S3's XML with S3's codes and statuses", async () => {
    const missing = await s3Request(s3.url, { path: objectPath('no/such key.html') });
    expect(missing.status).toBe(404);
    expect(missing.text).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>NoSuchKey<\/Code><Message>The specified key does not exist.<\/Message><Key>no\/such key.html<\/Key><RequestId>[0-9A-F]{16}<\/RequestId><\/Error>$/,
    );
    expect(await s3Request(s3.url, { path: '/no-such-bucket', query: { 'list-type': '2' } })).toMatchObject({
      status: 404,
      code: 'NoSuchBucket',
    });
    expect(
      await s3Request(s3.url, { method: 'DELETE', path: objectPath('x'), query: { uploadId: 'nope' } }),
    ).toMatchObject({
      status: 404,
      code: 'NoSuchUpload',
    });
    expect(await errorOf(sdk.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'nothing' })))).toEqual({
      name: 'NotFound',
      status: 404,
    });
  });

  it('lists buckets and heads one', async () => {
    const { Buckets } = await sdk.send(new ListBucketsCommand({}));
    expect(Buckets?.map((bucket) => bucket.Name)).toEqual([BUCKET]);
    await sdk.send(new HeadBucketCommand({ Bucket: BUCKET }));
    expect((await errorOf(sdk.send(new HeadBucketCommand({ Bucket: 'other-bucket' })))).status).toBe(404);
  });

  it('refuses deletes under Object Lock: DeleteObject 403, DeleteObjects a per-key AccessDenied', async () => {
    const locked = await server({ objectLock: (_bucket, key) => key.startsWith('locked/') });
    const lockedClient = client(locked.url);
    for (const Key of ['locked/a', 'free/b'])
      await lockedClient.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: 'x' }));
    expect(await errorOf(lockedClient.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'locked/a' })))).toEqual({
      name: 'AccessDenied',
      status: 403,
    });
    const body =
      '<Delete><Quiet>true</Quiet><Object><Key>locked/a</Key></Object><Object><Key>free/b</Key></Object></Delete>';
    const answer = await s3Request(locked.url, {
      method: 'POST',
      path: `/${BUCKET}`,
      query: { delete: '' },
      body,
      headers: { 'content-md5': md5Base64(body) },
    });
    expect(answer.status).toBe(200);
    expect(answer.text).toContain(
      '<Error><Key>locked/a</Key><Code>AccessDenied</Code><Message>Access Denied because object protected by object lock.</Message></Error>',
    );
    expect(answer.text).not.toContain('<Deleted>');
    expect(locked.keys(BUCKET)).toEqual(['locked/a']);
  });
});

describe('ListObjectsV2', () => {
  let s3: LocalS3Server;
  let sdk: S3Client;
  beforeAll(async () => {
    s3 = await server();
    sdk = client(s3.url);
    const keys = [
      ...Array.from({ length: 1001 }, (_, index) => `many/${String(index).padStart(4, '0')}.html`),
      'a/b/c.txt',
      'a/d.txt',
      'a b+c.txt',
      '\uff21.txt',
      '😀.txt',
    ];
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < keys.length)
          await sdk.send(new PutObjectCommand({ Bucket: BUCKET, Key: keys[next++], Body: 'x' }));
      }),
    );
  });

  it('pages at most 1,000 keys with a continuation token, KeyCount and IsTruncated', async () => {
    const first = await sdk.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'many/', MaxKeys: 5000 }));
    expect([first.KeyCount, first.IsTruncated, first.MaxKeys]).toEqual([1000, true, 1000]);
    expect(first.Contents?.[0]).toMatchObject({ Key: 'many/0000.html', Size: 1, ETag: `"${md5Hex('x')}"` });
    expect(first.Contents?.[0]?.LastModified).toBeInstanceOf(Date);
    const second = await sdk.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'many/', ContinuationToken: first.NextContinuationToken }),
    );
    expect([second.KeyCount, second.IsTruncated, second.Contents?.[0]?.Key]).toEqual([1, false, 'many/1000.html']);
    const after = await sdk.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'many/', StartAfter: 'many/0998.html' }),
    );
    expect(after.Contents?.map((object) => object.Key)).toEqual(['many/0999.html', 'many/1000.html']);
  });

  it('groups by delimiter, encodes with encoding-type=url, and sorts in UTF-8 byte order', async () => {
    const top = await sdk.send(new ListObjectsV2Command({ Bucket: BUCKET, Delimiter: '/' }));
    expect(top.CommonPrefixes?.map((common) => common.Prefix)).toEqual(['a/', 'many/']);
    // U+FF21 sorts before U+1F600 in UTF-8 bytes (EF.. < F0..), after it in UTF-16 code units.
    expect(top.Contents?.map((object) => object.Key)).toEqual(['a b+c.txt', '\uff21.txt', '😀.txt']);
    expect(top.KeyCount).toBe(5);
    const paged = await sdk.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'a/', Delimiter: '/', MaxKeys: 1 }),
    );
    expect([paged.CommonPrefixes?.[0]?.Prefix, paged.IsTruncated]).toEqual(['a/b/', true]);
    const rest = await sdk.send(
      new ListObjectsV2Command({
        Bucket: BUCKET,
        Prefix: 'a/',
        Delimiter: '/',
        ContinuationToken: paged.NextContinuationToken,
      }),
    );
    expect([rest.Contents?.map((object) => object.Key), rest.CommonPrefixes, rest.IsTruncated]).toEqual([
      ['a/d.txt'],
      undefined,
      false,
    ]);
    const encoded = await s3Request(s3.url, {
      path: `/${BUCKET}`,
      query: { 'list-type': '2', prefix: 'a ', 'encoding-type': 'url' },
    });
    expect(encoded.text).toContain('<Key>a+b%2Bc.txt</Key>');
    expect(encoded.text).toContain('<EncodingType>url</EncodingType>');
  });
});

describe('ETags of stores that are not MD5s', () => {
  it("etags: 'kms' behaves like an SSE-KMS bucket: random-looking ETags, stable per object", async () => {
    const s3 = await server({ etags: 'kms' });
    const sdk = client(s3.url, { requestChecksumCalculation: 'WHEN_REQUIRED' });
    const first = await sdk.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'a.html', Body: 'same', ContentMD5: md5Base64('same') }),
    );
    const second = await sdk.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'b.html', Body: 'same' }));
    expect(first.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect([first.ETag === second.ETag, first.ETag === `"${md5Hex('same')}"`]).toEqual([false, false]);
    expect(first.ServerSideEncryption).toBe('aws:kms');
    const head = await sdk.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'a.html' }));
    expect([head.ETag, head.ServerSideEncryption]).toEqual([first.ETag, 'aws:kms']);
    const body = Buffer.alloc(6 * MiB, 1);
    const multipart = await multipartUpload(sdk, 'big.bin', body, 5 * MiB);
    const partMd5s = [body.subarray(0, 5 * MiB), body.subarray(5 * MiB)].map((part) =>
      createHash('md5').update(part).digest(),
    );
    expect(multipart.ETag).toMatch(/^"[0-9a-f]{32}-2"$/);
    expect(multipart.ETag).not.toBe(`"${md5Hex(Buffer.concat(partMd5s))}-2"`);
  });

  it("etags: 'opaque' gives ETags that are not MD5s at all; an aws:kms write on an MD5 store behaves as KMS", async () => {
    const opaque = await server({ etags: 'opaque' });
    const put = await client(opaque.url).send(new PutObjectCommand({ Bucket: BUCKET, Key: 'a', Body: 'x' }));
    expect(put.ETag).not.toMatch(/^"[0-9a-f]{32}(-\d+)?"$/);
    const md5Store = await server();
    const kms = await client(md5Store.url).send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'k', Body: 'x', ServerSideEncryption: 'aws:kms' }),
    );
    expect([kms.ServerSideEncryption, kms.ETag === `"${md5Hex('x')}"`]).toEqual(['aws:kms', false]);
  });
});

describe('fast mode', () => {
  it('skips verification but keeps the semantics: ETags, multipart ETags, refusals of S3 itself', async () => {
    const s3 = await server({ mode: 'fast' });
    const put = await s3Request(s3.url, {
      method: 'PUT',
      path: objectPath('f.txt'),
      body: 'fast',
      headers: { 'content-md5': md5Base64('x') },
      sign: false,
    });
    expect(put).toMatchObject({ status: 200, headers: { etag: `"${md5Hex('fast')}"` } });
    expect(s3.requests).toEqual([]); // not logged unless asked
    const sdk = client(s3.url, { requestChecksumCalculation: 'WHEN_REQUIRED' });
    const body = Buffer.alloc(6 * MiB, 2);
    const upload = await multipartUpload(sdk, 'big.bin', body, 5 * MiB);
    const partMd5s = [body.subarray(0, 5 * MiB), body.subarray(5 * MiB)].map((part) =>
      createHash('md5').update(part).digest(),
    );
    expect(upload.ETag).toBe(`"${md5Hex(Buffer.concat(partMd5s))}-2"`);
    expect(
      await errorOf(sdk.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'f.txt', Body: 'x', IfNoneMatch: '*' }))),
    ).toEqual({
      name: 'PreconditionFailed',
      status: 412,
    });
  });
});

describe('with the AWS CLI (botocore, a second client)', () => {
  const AWS_CLI = process.env.AWS_CLI ?? '/usr/bin/aws';
  let s3: LocalS3Server;
  let home: string;
  let site: string;
  beforeAll(async () => {
    if (!fs.existsSync(AWS_CLI))
      throw new Error(`${AWS_CLI} is missing: install Debian's AWS CLI (apt-get install -y awscli).`);
    s3 = await server();
    home = await fs.promises.mkdtemp(path.join(os.tmpdir(), 's3-cli-home-'));
    site = await fs.promises.mkdtemp(path.join(os.tmpdir(), 's3-cli-site-'));
    const files: Record<string, Buffer | string> = {
      'index.html': '<h1>home</h1>',
      'docs/my page.html': 'page',
      'c++/a+b.html': 'plus',
      '100%41.html': 'percent',
      'faq?.html': 'question',
      'notes#1.html': 'hash',
      '~user/a*b.html': 'tilde star',
      'ünïcødé/日本語 😀.html': 'unicode',
      'media/big.bin': Buffer.alloc(20 * MiB, 7),
    };
    for (const [key, body] of Object.entries(files)) {
      await fs.promises.mkdir(path.dirname(path.join(site, key)), { recursive: true });
      await fs.promises.writeFile(path.join(site, key), body);
      // The CLI re-uploads a file whose mtime is after the object's LastModified, which S3 (and this
      // server) keeps to the second: a file written in the same second as its upload would look newer.
      const anHourAgo = new Date(Date.now() - 3600_000);
      await fs.promises.utimes(path.join(site, key), anHourAgo, anHourAgo);
    }
  });
  afterAll(async () => {
    await fs.promises.rm(home, { recursive: true, force: true });
    await fs.promises.rm(site, { recursive: true, force: true });
  });

  function aws(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    // No AWS_CA_BUNDLE (it would point the CLI at a proxy's CA); no user config (HOME is empty).
    const env = {
      PATH: process.env.PATH,
      HOME: home,
      AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_PAGER: '',
    };
    return new Promise((resolve) => {
      execFile(AWS_CLI, ['--endpoint-url', s3.url, ...args], { env, maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
  }

  it('syncs a folder with odd names and a 20 MiB file, lists it, and deletes with Content-MD5', async () => {
    const first = await aws('s3', 'sync', site, `s3://${BUCKET}/site`, '--only-show-errors');
    expect(first).toMatchObject({ code: 0, stderr: '' });
    const expected = [
      '100%41.html',
      'c++/a+b.html',
      'docs/my page.html',
      'faq?.html',
      'index.html',
      'media/big.bin',
      'notes#1.html',
      '~user/a*b.html',
      'ünïcødé/日本語 😀.html',
    ];
    expect(s3.keys(BUCKET)).toEqual(expected.map((key) => `site/${key}`).sort());
    expect(s3.object(BUCKET, 'site/media/big.bin')?.body.equals(Buffer.alloc(20 * MiB, 7))).toBe(true);
    expect(s3.object(BUCKET, 'site/media/big.bin')?.etag).toMatch(/-\d+"$/);
    expect(s3.requests.filter((request) => request.status !== 200)).toEqual([]);

    const listing = await aws('s3', 'ls', '--recursive', `s3://${BUCKET}/site/`);
    expect(listing.code).toBe(0);
    for (const key of expected) expect(listing.stdout).toContain(`site/${key}`);

    const uploadsBefore = s3.requests.filter((request) => request.operation === 'PutObject').length;
    expect((await aws('s3', 'sync', site, `s3://${BUCKET}/site`)).code).toBe(0);
    expect(s3.requests.filter((request) => request.operation === 'PutObject').length).toBe(uploadsBefore);

    await fs.promises.rm(path.join(site, 'faq?.html'));
    expect((await aws('s3', 'sync', site, `s3://${BUCKET}/site`, '--delete', '--only-show-errors')).code).toBe(0);
    expect(s3.object(BUCKET, 'site/faq?.html')).toBeUndefined();
    const deletes = s3.requests.filter((request) => request.operation.startsWith('DeleteObject'));
    expect(deletes.length).toBeGreaterThan(0);
    expect(deletes.every((request) => request.status === 200 || request.status === 204)).toBe(true);
  });
});

describe("the benchmark's front, handing requests to the server in the same process", () => {
  it('stores every byte under odd keys over HTTPS, and counts each request and its bytes by operation', async () => {
    const fast = await server({ mode: 'fast' });
    const front = await startS3Proxy({ handler: fast.handle, tls: true });
    front.hashBodies(true);
    const ca = await fs.promises.readFile(front.certFile as string, 'utf8');
    // An agent of our own: for the parts' Expect: 100-continue the SDK swaps an options-made agent for one
    // without the CA.
    const sdk = client(front.url, { requestHandler: { httpsAgent: new https.Agent({ ca, keepAlive: true }) } });
    try {
      const bodies = ODD_KEYS.map((key, index) => Buffer.alloc(1000 + index * 70_000, key));
      await Promise.all(
        ODD_KEYS.map((Key, index) =>
          sdk.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: bodies[index] as Buffer })),
        ),
      );
      const big = Buffer.alloc(11 * MiB, 'big');
      const { ETag } = await multipartUpload(sdk, 'media/big.bin', big, 5 * MiB);

      for (const [index, key] of ODD_KEYS.entries())
        expect(fast.object(BUCKET, key)?.body.equals(bodies[index] as Buffer)).toBe(true);
      expect(fast.object(BUCKET, 'media/big.bin')?.body.equals(big)).toBe(true);
      expect(ETag).toMatch(/-3"$/);
      expect(front.counts()).toEqual({
        PutObject: ODD_KEYS.length,
        CreateMultipartUpload: 1,
        UploadPart: 3,
        CompleteMultipartUpload: 1,
      });
      const puts = front.requests.filter((request) => request.operation === 'PutObject');
      for (const [index, key] of ODD_KEYS.entries()) {
        const put = puts.find((request) => request.path === `/${BUCKET}/${key}`);
        expect(put?.bytesIn).toBe((bodies[index] as Buffer).length);
        expect(put?.bodyMd5).toBe(
          createHash('md5')
            .update(bodies[index] as Buffer)
            .digest('base64'),
        );
      }
      const got = await sdk.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'ünïcødé/日本語 😀.html' }));
      const bytes = await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
      expect(Buffer.from(bytes).equals(bodies[8] as Buffer)).toBe(true);
    } finally {
      sdk.destroy();
      await front.close();
    }
  });
});

/** A multipart upload by the SDK's own commands, in parts of `partSize` (the last one smaller). */
async function multipartUpload(
  sdk: S3Client,
  Key: string,
  body: Buffer,
  partSize: number,
): Promise<{ ETag?: string | undefined }> {
  const { UploadId } = await sdk.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key }));
  const parts = [];
  for (let start = 0, PartNumber = 1; start < body.length; start += partSize, PartNumber++) {
    const Body = body.subarray(start, start + partSize);
    const { ETag } = await sdk.send(new UploadPartCommand({ Bucket: BUCKET, Key, UploadId, PartNumber, Body }));
    parts.push({ ETag, PartNumber });
  }
  return sdk.send(
    new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key, UploadId, MultipartUpload: { Parts: parts } }),
  );
}
