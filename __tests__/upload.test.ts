import { createHash } from 'node:crypto';
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CreateMultipartUploadCommand, type PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { etagIsContentHash } from '../src/etag.js';
import type { LocalFile } from '../src/local.js';
import { type S3Target, deleteObjects, updateHeaders, uploadFiles } from '../src/upload.js';
import { planFile } from './support/planned.js';
import { type RecordingS3, startRecordingS3 } from './support/recording-s3.js';

// Whole-file bodies are read into reused buffers: what is sent must be exactly each file's bytes, and a
// file that changed after planning must not be sent at all. (The bytes landing in a real bucket are
// covered end to end against s3rver.)
const quietLog = { info: () => {}, warning: () => {}, debug: () => {} };
const md5 = (bytes: Buffer) => createHash('md5').update(bytes);

let root: string;
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'upload-'));
});

async function localFile(name: string, bytes: Buffer): Promise<LocalFile> {
  const absolutePath = path.join(root, name);
  await fs.writeFile(absolutePath, bytes);
  return {
    key: name,
    absolutePath,
    size: bytes.length,
    md5: md5(bytes).digest('hex'),
    headers: { contentType: 'application/octet-stream' },
  };
}

function recordingClient() {
  const sent: Array<{ Key: string; body: Buffer; ContentMD5: string }> = [];
  const client = {
    send: async (command: PutObjectCommand) => {
      const { Key = '', Body, ContentMD5 = '' } = command.input;
      const body = Buffer.from(Body as Buffer); // a copy: the buffer goes back to the pool afterwards
      sent.push({ Key, body, ContentMD5 });
      await new Promise((resolve) => setTimeout(resolve, 1));
      return { ETag: `"${md5(body).digest('hex')}"` };
    },
  };
  return { client: client as unknown as S3Client, sent };
}

describe('uploadFiles', () => {
  it('sends each file exactly, with its Content-MD5, even as buffers are reused', async () => {
    const files = await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        localFile(`f${index}.bin`, Buffer.alloc(100 + index * 997, String.fromCharCode(65 + (index % 26)))),
      ),
    );
    const { client, sent } = recordingClient();
    const outcome = await uploadFiles(files, { client, bucket: 'b', prefix: 'p/' }, { concurrency: 4, log: quietLog });
    expect(outcome.failed).toEqual([]);
    expect(outcome.done).toHaveLength(40);
    for (const file of files) {
      // Each write reports what it left: the ETag as answered, unquoted, and the MD5 of the bytes sent.
      expect(outcome.done).toContainEqual({ key: file.key, etag: file.md5, md5: file.md5 });
      const request = sent.find((entry) => entry.Key === `p/${file.key}`);
      expect(request?.body.equals(await fs.readFile(file.absolutePath))).toBe(true);
      expect(request?.ContentMD5).toBe(Buffer.from(file.md5, 'hex').toString('base64'));
    }
  });

  it('refuses a file that changed or vanished after planning, including one that only grew', async () => {
    const grew = await localFile('grew.txt', Buffer.from('hello'));
    await fs.appendFile(grew.absolutePath, ' world');
    const edited = await localFile('edited.txt', Buffer.from('one'));
    await fs.writeFile(edited.absolutePath, 'two');
    const vanished = await localFile('vanished.txt', Buffer.from('bye'));
    await fs.rm(vanished.absolutePath);
    const { client, sent } = recordingClient();
    const outcome = await uploadFiles(
      [grew, edited, vanished],
      { client, bucket: 'b', prefix: '' },
      { concurrency: 3, log: quietLog },
    );
    expect(sent).toEqual([]);
    // Said as local problems, not as failed S3 requests (by key: concurrent uploads fail in any order).
    const byKey = [...outcome.failed].sort((a, b) => (a.key < b.key ? -1 : 1));
    expect(byKey.map((failure) => failure.message)).toEqual([
      "'edited.txt' changed while the deploy was running; run the deploy again.",
      "'grew.txt' changed while the deploy was running; run the deploy again.",
      expect.stringMatching(/^Could not read '.*vanished\.txt' \(ENOENT/),
    ]);
  });
});

const MiB = 1024 * 1024;
/** Bytes that differ at every offset from one seed to the next, so a rewrite changes every part. */
function pattern(size: number, seed: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * seed + (i >>> 12)) % 251;
  return bytes;
}

/** A file as the plan sees it: written, then hashed by the deploy's own scan (MD5 and multipart ETag). */
async function plannedFile(name: string, bytes: Buffer): Promise<LocalFile> {
  const absolutePath = path.join(root, name);
  await fs.writeFile(absolutePath, bytes);
  return planFile(name, absolutePath);
}

describe('writes on the wire', () => {
  let s3: RecordingS3;
  const logged: string[] = [];
  const log = { info: () => {}, debug: () => {}, warning: (line: string) => void logged.push(line) };
  const target = (extra: Partial<S3Target> = {}): S3Target => ({
    client: s3.client(),
    bucket: 'b',
    prefix: 'site/',
    ...extra,
  });
  const sent = (operation: string) => s3.requests.filter((request) => request.operation === operation);
  /** An unfinished multipart upload, as a killed run or a lost answer leaves one. */
  const openUpload = async (Key = 'site/video.mp4') =>
    (await s3.client().send(new CreateMultipartUploadCommand({ Bucket: 'b', Key }))).UploadId as string;

  beforeEach(async () => {
    s3 = await startRecordingS3();
    logged.length = 0;
  });
  afterEach(() => s3.close());

  it('sends a file of exactly 8 MiB as one part with its Content-MD5, and reports the multipart ETag', async () => {
    const file = await plannedFile('eight.bin', pattern(8 * MiB, 3));
    const outcome = await uploadFiles([file], target(), { concurrency: 4, log });

    expect(outcome.failed).toEqual([]);
    expect(sent('PutObject')).toEqual([]);
    expect(sent('UploadPart').map((part) => part.headers['content-md5'])).toEqual([
      createHash('md5')
        .update(pattern(8 * MiB, 3))
        .digest('base64'),
    ]);
    expect(outcome.done).toEqual([
      { key: 'eight.bin', etag: file.multipartEtag, md5: file.md5, multipartEtag: file.multipartEtag },
    ]);
    expect(s3.objects.get('site/eight.bin')?.body.equals(pattern(8 * MiB, 3))).toBe(true);
  });

  it('sends a 20 MiB file in 8 MiB parts, each with the Content-MD5 of its bytes, then completes it', async () => {
    const file = await plannedFile('twenty.bin', pattern(20 * MiB, 5));
    const outcome = await uploadFiles([file], target(), { concurrency: 4, log });

    expect(outcome.failed).toEqual([]);
    const parts = sent('UploadPart');
    expect(parts.map((part) => part.body.length).sort((a, b) => b - a)).toEqual([8 * MiB, 8 * MiB, 4 * MiB]);
    for (const part of parts) expect(part.headers['content-md5']).toBe(md5(part.body).digest('base64'));
    expect(s3.objects.get('site/twenty.bin')?.body.equals(pattern(20 * MiB, 5))).toBe(true);
    expect(s3.objects.get('site/twenty.bin')?.etag).toBe(file.multipartEtag);
    expect(outcome.done[0]).toEqual({
      key: 'twenty.bin',
      etag: file.multipartEtag,
      md5: file.md5,
      multipartEtag: file.multipartEtag,
    });
    expect(etagIsContentHash(outcome.done[0] as never)).toBe(true);
    expect(s3.openUploads()).toEqual([]);
  });

  it('aborts, never completes, a large file rewritten while its parts are on the way', async () => {
    // 7 parts with 4 in flight: parts 5 to 7 are read only after the first part has reached S3.
    const file = await plannedFile('edited.bin', pattern(52 * MiB, 7));
    s3.onRequest = (request) => {
      if (request.operation === 'UploadPart' && sent('UploadPart').length === 1) {
        fsSync.writeFileSync(file.absolutePath, pattern(52 * MiB, 9));
      }
    };
    const outcome = await uploadFiles([file], target(), { concurrency: 4, log });

    expect(outcome.failed).toEqual([
      { key: 'edited.bin', message: "'edited.bin' changed while the deploy was running; run the deploy again." },
    ]);
    expect(sent('CompleteMultipartUpload')).toEqual([]);
    expect(sent('AbortMultipartUpload')).toHaveLength(1);
    expect(s3.openUploads()).toEqual([]);
    expect(s3.objects.has('site/edited.bin')).toBe(false);
    expect(logged).toEqual([]);
  });

  it.each([
    ['shrank', (absolutePath: string) => fsSync.truncateSync(absolutePath, 9 * MiB)],
    ['grew', (absolutePath: string) => fsSync.appendFileSync(absolutePath, 'more')],
  ])('aborts a large file that %s before its parts were read', async (_, change) => {
    const file = await plannedFile('resized.bin', pattern(17 * MiB, 11));
    s3.onRequest = (request) => {
      if (request.operation === 'CreateMultipartUpload') change(file.absolutePath);
    };
    const outcome = await uploadFiles([file], target(), { concurrency: 4, log });

    expect(outcome.failed.map((failure) => failure.message)).toEqual([
      "'resized.bin' changed while the deploy was running; run the deploy again.",
    ]);
    expect(sent('CompleteMultipartUpload')).toEqual([]);
    expect(s3.openUploads()).toEqual([]);
  });

  it('resends the same part bytes on a retry, and aborts when a part keeps failing', async () => {
    const file = await plannedFile('retried.bin', pattern(20 * MiB, 13));
    let failures = 0;
    s3.onRequest = (request, response) => {
      if (request.operation !== 'UploadPart' || request.query.get('partNumber') !== '2' || failures++ > 0) return;
      response.writeHead(500).end('<Error><Code>InternalError</Code></Error>');
      return true;
    };
    const retried = await uploadFiles([file], target(), { concurrency: 4, log });
    expect(retried.failed).toEqual([]);
    expect(failures).toBe(2);
    expect(s3.objects.get('site/retried.bin')?.body.equals(pattern(20 * MiB, 13))).toBe(true);

    s3.onRequest = (request, response) => {
      if (request.operation !== 'UploadPart' || request.query.get('partNumber') !== '3') return;
      response.writeHead(400).end('<Error><Code>InvalidRequest</Code><Message>no</Message></Error>');
      return true;
    };
    const failed = await uploadFiles([file], target(), { concurrency: 4, log });
    expect(failed.failed.map((failure) => failure.message)).toEqual([expect.stringMatching(/InvalidRequest/)]);
    expect(sent('CompleteMultipartUpload')).toHaveLength(1);
    expect(s3.openUploads()).toEqual([]);
  });

  it('says so when the unfinished upload cannot be aborted', async () => {
    const file = await plannedFile('stuck.bin', pattern(9 * MiB, 17));
    s3.onRequest = (request, response) => {
      if (request.operation !== 'UploadPart' && request.operation !== 'AbortMultipartUpload') return;
      response.writeHead(403).end('<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>');
      return true;
    };
    const outcome = await uploadFiles([file], target(), { concurrency: 4, log });
    expect(outcome.failed.map((failure) => failure.message)).toEqual([expect.stringMatching(/^Access denied/)]);
    expect(logged).toEqual([
      expect.stringMatching(
        /^Could not abort the unfinished multipart upload of 'site\/stuck.bin' \(Access Denied\).*AbortIncompleteMultipartUpload/,
      ),
    ]);
  });

  it('aborts the unfinished uploads of a key it completes (a killed run, a lost answer), and no other key', async () => {
    await openUpload(); // a run killed between parts
    await openUpload(); // a CreateMultipartUpload whose answer was lost, then retried
    const otherKey = await openUpload('site/video.mp4.part'); // the same prefix, another key: not this deploy's
    const file = await plannedFile('video.mp4', pattern(9 * MiB, 21));
    const outcome = await uploadFiles([file], target(), { concurrency: 4, log });
    expect(outcome.failed).toEqual([]);
    expect(s3.objects.get('site/video.mp4')?.body.equals(pattern(9 * MiB, 21))).toBe(true);
    expect(s3.openUploads()).toEqual([otherKey]);
    expect(sent('ListMultipartUploads').map((request) => request.query.get('prefix'))).toEqual(['site/video.mp4']);
    expect(logged).toEqual([]);
  });

  it('completes the upload where the store will not list unfinished uploads (no s3:ListBucketMultipartUploads)', async () => {
    await openUpload();
    s3.onRequest = (request, response) => {
      if (request.operation !== 'ListMultipartUploads') return;
      response.writeHead(403).end('<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>');
      return true;
    };
    const file = await plannedFile('video.mp4', pattern(9 * MiB, 22));
    const outcome = await uploadFiles([file], target(), { concurrency: 4, log });
    expect(outcome.failed).toEqual([]);
    expect(s3.objects.get('site/video.mp4')?.body.equals(pattern(9 * MiB, 22))).toBe(true);
    expect(s3.openUploads()).toHaveLength(1); // left to the lifecycle rule
    expect(logged).toEqual([]);
  });

  it.each([
    ['repeat', 'site/video.mp4', 2],
    ['go back', 'site/a', 1],
  ])('stops listing unfinished uploads where the store’s markers %s', async (_, keyMarker, lists) => {
    // A store that is not quite S3: every page says it is truncated (at most 6 here, where it would not end).
    s3.onRequest = (request, response) => {
      if (request.operation !== 'ListMultipartUploads') return;
      const more = sent('ListMultipartUploads').length < 6;
      const markers = `<NextKeyMarker>${keyMarker}</NextKeyMarker><NextUploadIdMarker>u1</NextUploadIdMarker>`;
      response
        .writeHead(200, { 'Content-Type': 'application/xml' })
        .end(`<ListMultipartUploadsResult><IsTruncated>${more}</IsTruncated>${markers}</ListMultipartUploadsResult>`);
      return true;
    };
    const file = await plannedFile('video.mp4', pattern(9 * MiB, 23));
    const outcome = await uploadFiles([file], target(), { concurrency: 4, log });
    expect(outcome.failed).toEqual([]);
    expect(sent('ListMultipartUploads')).toHaveLength(lists);
  });

  it('lists the key’s unfinished uploads page by page from its markers', async () => {
    const first = await openUpload();
    await openUpload();
    s3.onRequest = (request, response) => {
      if (request.operation !== 'ListMultipartUploads' || request.query.has('upload-id-marker')) return;
      const page = `<IsTruncated>true</IsTruncated><Upload><Key>site/video.mp4</Key><UploadId>${first}</UploadId></Upload><NextKeyMarker>site/video.mp4</NextKeyMarker><NextUploadIdMarker>${first}</NextUploadIdMarker>`;
      response
        .writeHead(200, { 'Content-Type': 'application/xml' })
        .end(`<ListMultipartUploadsResult>${page}</ListMultipartUploadsResult>`);
      return true;
    };
    const file = await plannedFile('video.mp4', pattern(9 * MiB, 24));
    const outcome = await uploadFiles([file], target(), { concurrency: 4, log });
    expect(outcome.failed).toEqual([]);
    expect(sent('ListMultipartUploads').map((request) => request.query.get('upload-id-marker'))).toEqual([null, first]);
    expect(s3.openUploads()).toEqual([]);
  });

  it('leaves alone an upload of the key that began after its own (a run that took the lock over)', async () => {
    let later: Promise<string> | undefined;
    s3.onRequest = (request) => {
      if (request.operation === 'UploadPart' && !later) later = openUpload();
    };
    const file = await plannedFile('video.mp4', pattern(9 * MiB, 25));
    const outcome = await uploadFiles([file], target(), { concurrency: 4, log });
    expect(outcome.failed).toEqual([]);
    expect(s3.openUploads()).toEqual([await later]);
    expect(sent('ListMultipartUploads')).toHaveLength(1);
  });

  it('asks a store that failed to list once no more this run (each failure costs the retry budget)', async () => {
    s3.onRequest = (request, response) => {
      if (request.operation !== 'ListMultipartUploads') return;
      response.writeHead(503).end('<Error><Code>SlowDown</Code><Message>Slow down</Message></Error>');
      return true;
    };
    const run = target();
    const first = await uploadFiles([await plannedFile('one.mp4', pattern(9 * MiB, 26))], run, { concurrency: 4, log });
    const lists = sent('ListMultipartUploads').length;
    expect(lists).toBeGreaterThan(1); // retried as any 503
    const second = await uploadFiles([await plannedFile('two.mp4', pattern(9 * MiB, 27))], run, {
      concurrency: 4,
      log,
    });
    expect([...first.failed, ...second.failed]).toEqual([]);
    expect(sent('ListMultipartUploads')).toHaveLength(lists);
    expect(sent('CompleteMultipartUpload')).toHaveLength(2);
  });

  it('keeps at most 4 parts of a file and 2 files in flight, however many large files there are', async () => {
    const files = await Promise.all([1, 2, 3].map((seed) => plannedFile(`big${seed}.bin`, pattern(33 * MiB, seed))));
    const outcome = await uploadFiles(files, target(), { concurrency: 8, log });
    expect(outcome.failed).toEqual([]);
    expect(s3.peakParts().perUpload).toBeLessThanOrEqual(4);
    expect(s3.peakParts().overall).toBeLessThanOrEqual(8);
    for (const file of files) expect(s3.objects.get(`site/${file.key}`)?.etag).toBe(file.multipartEtag);
  });

  it('reports what a store whose ETags are not MD5s answered, without calling it a changed file', async () => {
    s3.kms = true;
    const small = await plannedFile('small.txt', Buffer.from('hello'));
    const large = await plannedFile('large.bin', pattern(9 * MiB, 19));
    const outcome = await uploadFiles([small, large], target(), { concurrency: 4, log });

    expect(outcome.failed).toEqual([]);
    expect(logged).toEqual([]);
    const written = new Map(outcome.done.map((object) => [object.key, object]));
    expect(written.get('small.txt')).toEqual({
      key: 'small.txt',
      etag: s3.objects.get('site/small.txt')?.etag,
      md5: small.md5,
      serverSideEncryption: 'aws:kms',
    });
    expect(written.get('large.bin')).toEqual({
      key: 'large.bin',
      etag: s3.objects.get('site/large.bin')?.etag,
      md5: large.md5,
      multipartEtag: large.multipartEtag,
      serverSideEncryption: 'aws:kms',
    });
    for (const object of outcome.done) expect(etagIsContentHash(object)).toBe(false);
  });

  it('asks for the encryption on every write that creates an object, and reports what a copy wrote', async () => {
    const encryption = { serverSideEncryption: 'aws:kms', kmsKeyId: 'alias/site' } as const;
    const small = await plannedFile('page.html', Buffer.from('<p>hi</p>'));
    const large = await plannedFile('video.bin', pattern(8 * MiB, 23));
    await uploadFiles([small, large], target({ encryption }), { concurrency: 4, log });
    s3.kms = true;
    const copied = await updateHeaders(
      [{ ...small, headers: { contentType: 'text/html', cacheControl: 'no-cache' } }],
      target({ encryption }),
      { concurrency: 4, log },
    );

    for (const operation of ['PutObject', 'CreateMultipartUpload', 'CopyObject']) {
      expect(sent(operation).map((request) => request.headers['x-amz-server-side-encryption'])).toEqual(['aws:kms']);
      expect(sent(operation).map((request) => request.headers['x-amz-server-side-encryption-aws-kms-key-id'])).toEqual([
        'alias/site',
      ]);
    }
    // UploadPart takes no encryption headers (S3 refuses them there, except SSE-C's).
    expect(sent('UploadPart')[0]?.headers['x-amz-server-side-encryption']).toBeUndefined();
    expect(copied.done).toEqual([
      {
        key: 'page.html',
        etag: s3.objects.get('site/page.html')?.etag,
        md5: small.md5,
        serverSideEncryption: 'aws:kms',
      },
    ]);
    expect(s3.objects.get('site/page.html')?.headers['cache-control']).toBe('no-cache');
  });

  it('sends DeleteObjects with the Content-MD5 of its body and no CRC32 in its place', async () => {
    const keys = ['a.html', 'assets/ü b+c.js'];
    const outcome = await deleteObjects(keys, target());
    expect(outcome).toEqual({ deleted: keys, failed: [] });
    const [request] = sent('DeleteObjects');
    expect(request?.headers['content-md5']).toBe(md5(request?.body ?? Buffer.alloc(0)).digest('base64'));
    expect(Object.keys(request?.headers ?? {}).filter((name) => name.includes('checksum'))).toEqual([]);
  });
});
