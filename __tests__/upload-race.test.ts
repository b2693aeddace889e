/**
 * A file the build rewrites after the plan hashed it. The upload does not hash an unchanged file, or an
 * unchanged part of a large one, again (its inode and ctime tell it unchanged); these are the cases where
 * that stamp cannot see the write (a rewrite in the same clock tick as the plan's read), on stores that
 * check Content-MD5 and on stores that do not. Whatever the store, the deploy says the file changed; where
 * the store checks Content-MD5 (S3, SSE-KMS buckets) the visitor keeps the page they had, and a large file's
 * upload is never completed on any store.
 */
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { type LocalS3Server, startS3Server } from '../local/s3-server.mjs';
import type { LocalFile } from '../src/local.js';
import { startFront } from './support/front.js';
import {
  CONTENT_MD5_STORES,
  changedMessage,
  overwriteUnseen,
  planFile,
  stampedAsNow,
  uploadTo,
} from './support/planned.js';
import { clientFor, putInput, REGION } from './support/put-input.js';

const BUCKET = 'fast-bucket';
const CHANGED = changedMessage('page.html');
const MiB = 1024 * 1024;
/** Three parts (8 MiB, 8 MiB, 4 KiB), sent with the plan's part MD5s while the stamp says unchanged. */
const LARGE = 16 * MiB + 4096;

let root: string;
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'upload-race-'));
});
afterAll(() => fs.rm(root, { recursive: true, force: true }));

async function planned(name: string, text: string | Buffer): Promise<LocalFile> {
  const absolutePath = path.join(root, name);
  await fs.writeFile(absolutePath, text);
  return planFile(name, absolutePath);
}

/** Rewritten with bytes of the same length, and stamped as the plan would have seen it had the ctime not moved. */
function rewrittenUnseen(file: LocalFile, text: string): LocalFile {
  fsSync.writeFileSync(file.absolutePath, text);
  return stampedAsNow(file);
}

describe.each(CONTENT_MD5_STORES)('on %s', (_, options, checksContentMd5) => {
  let s3: LocalS3Server;
  beforeAll(async () => {
    s3 = await startS3Server({ buckets: [BUCKET], region: REGION, ...options });
  });
  afterAll(() => s3.close());

  const upload = (files: LocalFile[]) => uploadTo(s3.url, BUCKET, files);

  it('a page rewritten unseen by its stamp fails as changed, never as deployed', async () => {
    // What visitors have now.
    const client = clientFor(s3.url);
    await client.send(new PutObjectCommand(putInput('page.html', '<h1>live</h1>', { Bucket: BUCKET })));
    client.destroy();
    const file = rewrittenUnseen(await planned('page.html', '<h1>v2 done</h1>'), '<h1>v2 half</h1>');

    const outcome = await upload([file]);

    expect(outcome.done).toEqual([]);
    expect(outcome.failed).toEqual([{ key: 'page.html', message: CHANGED }]);
    const stored = s3.object(BUCKET, 'page.html')?.body.toString();
    // Where Content-MD5 is checked the half-written page never replaces the live one; elsewhere it is
    // stored, and the failure makes the next deploy write and invalidate it again.
    expect(stored).toBe(checksContentMd5 ? '<h1>live</h1>' : '<h1>v2 half</h1>');
  });

  it('a large file rewritten unseen by its stamp between two of its parts fails as changed, never as deployed', async () => {
    const client = clientFor(s3.url);
    await client.send(new PutObjectCommand(putInput('video.bin', 'live', { Bucket: BUCKET })));
    client.destroy();
    const file = await planned('video.bin', Buffer.alloc(LARGE, 'o'));
    let rewritten = false;
    // One part at a time (concurrency 1): when part 1 reaches the store, parts 2 and 3 are not read yet.
    const front = await startFront(s3.url, (request) => {
      if (!rewritten && request.method === 'PUT' && request.url?.includes('partNumber=')) {
        rewritten = true;
        overwriteUnseen(file, 'half', 12 * MiB);
      }
      return undefined;
    });
    try {
      const outcome = await uploadTo(front.url, BUCKET, [file], 1);
      expect(rewritten).toBe(true);
      expect(outcome.done).toEqual([]);
      expect(outcome.failed).toEqual([{ key: 'video.bin', message: changedMessage('video.bin') }]);
      // Whatever the store, visitors keep what they had, and no part is left stored.
      expect(s3.object(BUCKET, 'video.bin')?.body.toString()).toBe('live');
      expect(s3.multipartUploads(BUCKET)).toEqual([]);
    } finally {
      await front.close();
    }
  });

  it('an unchanged file is deployed, its ETag whatever the store says, with no false alarm', async () => {
    const file = await planned('calm.html', '<h1>calm</h1>');
    const outcome = await upload([file]);
    expect(outcome.failed).toEqual([]);
    expect(outcome.done).toEqual([expect.objectContaining({ key: 'calm.html', md5: file.md5 })]);
    expect(s3.object(BUCKET, 'calm.html')?.body.toString()).toBe('<h1>calm</h1>');
  });
});

it('a file whose stamp moved is hashed again and never sent', async () => {
  const s3 = await startS3Server({ buckets: [BUCKET], region: REGION });
  try {
    const file = await planned('page.html', '<h1>v2 done</h1>');
    // A later write: the ctime moves (waited for, in case this file system's clock is coarse).
    const { ctimeMs } = fsSync.statSync(file.absolutePath);
    while (fsSync.statSync(file.absolutePath).ctimeMs === ctimeMs)
      fsSync.writeFileSync(file.absolutePath, '<h1>v2 half</h1>');
    const outcome = await uploadTo(s3.url, BUCKET, [file], 1);
    expect(outcome.failed).toEqual([{ key: 'page.html', message: CHANGED }]);
    expect(s3.requests.filter((request) => request.operation === 'PutObject')).toEqual([]);
  } finally {
    await s3.close();
  }
});

it('a large file whose stamp moved is hashed again, none of its parts sent, its upload aborted', async () => {
  const s3 = await startS3Server({ buckets: [BUCKET], region: REGION });
  try {
    const file = await planned('video.bin', Buffer.alloc(LARGE, 'o'));
    const { ctimeMs } = fsSync.statSync(file.absolutePath);
    while (fsSync.statSync(file.absolutePath).ctimeMs === ctimeMs)
      fsSync.writeFileSync(file.absolutePath, Buffer.alloc(LARGE, 'n'));
    const outcome = await uploadTo(s3.url, BUCKET, [file], 1);
    expect(outcome.failed).toEqual([{ key: 'video.bin', message: changedMessage('video.bin') }]);
    expect(s3.requests.filter((request) => request.operation === 'UploadPart')).toEqual([]);
    expect(s3.requests.map((request) => request.operation)).toContain('AbortMultipartUpload');
    expect(s3.multipartUploads(BUCKET)).toEqual([]);
  } finally {
    await s3.close();
  }
});
