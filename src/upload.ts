/**
 * Carries out a plan against S3: uploads with bounded concurrency, then (only if every upload succeeded)
 * deletes in batches of 1,000.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import { DeleteObjectsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { describeAwsError } from './errors.js';
import { partSizeFor, usesMultipart } from './etag.js';
import { formatBytes } from './format.js';
import type { LocalFile } from './local.js';
import type { Logger } from './logger.js';
import type { PlannedUpload } from './plan.js';
import { mapWithLimit } from './pool.js';

export interface S3Target {
  client: S3Client;
  bucket: string;
  prefix: string;
}

export interface FailedFile {
  key: string;
  message: string;
}

export interface UploadOutcome {
  uploaded: PlannedUpload[];
  failed: FailedFile[];
  bytes: number;
}

const PROGRESS_INTERVAL_MS = 5000;
/** Parts of one multipart upload in flight; each is buffered in memory, so this bounds memory per file. */
const PARTS_IN_FLIGHT = 4;
/** Errors that no other file will escape either: stop starting uploads and report at once. */
const FATAL_ERRORS = new Set([
  'NoSuchBucket',
  'AccessDenied',
  'AllAccessDisabled',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'CredentialsProviderError',
  'PermanentRedirect',
]);

export async function uploadFiles(
  uploads: readonly PlannedUpload[],
  target: S3Target,
  options: { concurrency: number; log: Logger },
): Promise<UploadOutcome> {
  const uploaded: PlannedUpload[] = [];
  const failed: FailedFile[] = [];
  const notMd5Etags: string[] = [];
  let bytes = 0;
  let fatal = false;
  const started = Date.now();
  const totalBytes = uploads.reduce((sum, upload) => sum + upload.file.size, 0);
  const progress = setInterval(() => {
    const seconds = (Date.now() - started) / 1000;
    options.log.info(
      `… ${uploaded.length}/${uploads.length} files, ${formatBytes(bytes)} of ${formatBytes(totalBytes)} (${formatBytes(bytes / seconds)}/s)`,
    );
  }, PROGRESS_INTERVAL_MS);

  try {
    await mapWithLimit(uploads, options.concurrency, async (upload) => {
      if (fatal) {
        failed.push({ key: upload.file.key, message: 'not attempted after an earlier fatal error' });
        return;
      }
      try {
        const etag = await uploadFile(upload.file, target);
        uploaded.push(upload);
        bytes += upload.file.size;
        if (!etagMatchesUpload(etag, upload.file)) notMd5Etags.push(upload.file.key);
        options.log.debug(`uploaded ${upload.file.key} (${upload.reason}, ${formatBytes(upload.file.size)})`);
      } catch (error) {
        if (FATAL_ERRORS.has((error as { name?: string }).name ?? '')) fatal = true;
        failed.push({ key: upload.file.key, message: describeAwsError(error, { service: 'S3', bucket: target.bucket }) });
      }
    });
  } finally {
    clearInterval(progress);
  }
  if (notMd5Etags.length > 0) {
    options.log.warning(
      `S3 returned ETags that are not the MD5 of the bytes for ${notMd5Etags.length} file(s) (e.g. '${notMd5Etags[0]}'); ` +
        `the bucket probably uses SSE-KMS or SSE-C, so these files cannot be compared by content and will be uploaded on every deploy.`,
    );
  }
  return { uploaded, failed, bytes };
}

async function uploadFile(file: LocalFile, { client, bucket, prefix }: S3Target): Promise<string | undefined> {
  const Key = prefix + file.key;
  if (!usesMultipart(file.size)) {
    // A buffer (not a stream) lets the SDK retry the request; Content-MD5 makes S3 reject corrupted bodies.
    const body = await fs.readFile(file.absolutePath);
    const md5 = createHash('md5').update(body).digest();
    if (md5.toString('hex') !== file.md5) throw new Error(`'${file.key}' changed while the deploy was running`);
    const response = await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key,
        Body: body,
        ContentLength: body.length,
        ContentMD5: md5.toString('base64'),
        ContentType: file.contentType,
      }),
    );
    return response.ETag;
  }
  // Streamed in parts of the same size the local multipart ETag was computed with.
  const upload = new Upload({
    client,
    params: { Bucket: bucket, Key, Body: createReadStream(file.absolutePath), ContentType: file.contentType },
    partSize: partSizeFor(file.size),
    queueSize: PARTS_IN_FLIGHT,
  });
  const response = await upload.done();
  return response.ETag;
}

/** S3 answers a multipart upload with the multipart ETag; s3rver and some stores with the whole MD5. */
function etagMatchesUpload(etag: string | undefined, file: LocalFile): boolean {
  const bare = (etag ?? '').replace(/"/g, '').toLowerCase();
  return bare === file.md5 || (file.multipartEtag !== undefined && bare === file.multipartEtag);
}

/** DeleteObjects' limit per request. */
const DELETE_BATCH = 1000;

export interface DeleteOutcome {
  deleted: string[];
  failed: FailedFile[];
}

export async function deleteObjects(keys: readonly string[], target: S3Target): Promise<DeleteOutcome> {
  const deleted: string[] = [];
  const failed: FailedFile[] = [];
  for (let start = 0; start < keys.length; start += DELETE_BATCH) {
    const batch = keys.slice(start, start + DELETE_BATCH);
    const response = await target.client.send(
      new DeleteObjectsCommand({
        Bucket: target.bucket,
        Delete: { Objects: batch.map((key) => ({ Key: target.prefix + key })), Quiet: true },
      }),
    );
    // Quiet mode lists only failures; DeleteObjects answers 200 even when some keys failed.
    const failedKeys = new Set<string>();
    for (const error of response.Errors ?? []) {
      const key = (error.Key ?? '').slice(target.prefix.length);
      failedKeys.add(key);
      failed.push({ key, message: `${error.Code ?? 'Error'}: ${error.Message ?? 'delete failed'}` });
    }
    deleted.push(...batch.filter((key) => !failedKeys.has(key)));
  }
  return { deleted, failed };
}
