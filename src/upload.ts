/**
 * Carries out a plan against S3: uploads and in-place header updates with bounded concurrency, and
 * deletes in batches of 1,000. The order between them is main's; each call here is one wave.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { CopyObjectCommand, DeleteObjectsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ActionError, describeAwsError } from './errors.js';
import { partSizeFor, usesMultipart } from './etag.js';
import { formatBytes } from './format.js';
import type { ObjectHeaders } from './headers.js';
import { type LocalFile, readFileInto } from './local.js';
import type { Logger } from './logger.js';
import { createBufferPool, createLimiter, mapWithLimit } from './pool.js';
import { type S3Target, encryptionParams } from './s3.js';

export type { S3Target };

/** What a write left in the bucket, for the deploy state's catalog. */
export interface WrittenFile {
  key: string;
  /** As S3 returned it. */
  etag: string;
  md5: string;
  multipartEtag?: string;
}

export interface FailedFile {
  key: string;
  message: string;
}

export interface TransferOutcome {
  done: LocalFile[];
  written: WrittenFile[];
  failed: FailedFile[];
  bytes: number;
}

export interface TransferOptions {
  concurrency: number;
  log: Logger;
}

const PROGRESS_INTERVAL_MS = 5000;
/** Parts of one multipart upload in flight; each is buffered in memory, so this bounds memory per file. */
const PARTS_IN_FLIGHT = 4;
/** Multipart uploads at once: memory is part size x parts in flight x this (8 MiB x 4 x 2 = 64 MiB). */
const MULTIPART_UPLOADS_AT_ONCE = 2;
const multipartSlot = createLimiter(MULTIPART_UPLOADS_AT_ONCE);
/**
 * Files below the multipart threshold are read whole (so the SDK can retry them) into reused buffers; these
 * never total more than this, whatever the concurrency (64 files of 8 MiB would otherwise be 512 MiB).
 */
const WHOLE_FILE_BYTES_AT_ONCE = 64 * 1024 * 1024;
const wholeFileBuffers = createBufferPool(WHOLE_FILE_BYTES_AT_ONCE);
/** Requests one deploy can have open beyond `concurrency`: the parts of concurrent multipart uploads. */
export const EXTRA_REQUESTS_IN_FLIGHT = PARTS_IN_FLIGHT * MULTIPART_UPLOADS_AT_ONCE;
/** CopyObject's limit; a larger object gets its new headers by being uploaded again. */
const MAX_COPY_SIZE = 5 * 1024 ** 3;
/** Errors that no other file will escape either: stop starting transfers and report at once. */
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

/** Uploads the files' bytes with their headers. */
export function uploadFiles(
  files: readonly LocalFile[],
  target: S3Target,
  options: TransferOptions,
): Promise<TransferOutcome> {
  return transfer(files, target, options, 'uploaded', (file) => uploadFile(file, target));
}

/** Rewrites the headers of objects whose bytes are already right, without sending the bytes again. */
export function updateHeaders(
  files: readonly LocalFile[],
  target: S3Target,
  options: TransferOptions,
): Promise<TransferOutcome> {
  return transfer(files, target, options, 'updated headers of', async (file) => {
    if (file.size > MAX_COPY_SIZE) return uploadFile(file, target);
    const Key = target.prefix + file.key;
    const response = await target.client.send(
      new CopyObjectCommand({
        Bucket: target.bucket,
        Key,
        CopySource: `${target.bucket}/${Key.split('/').map(encodeURIComponent).join('/')}`,
        MetadataDirective: 'REPLACE',
        ...headerParams(file.headers),
        ...encryptionParams(target),
      }),
    );
    return response.CopyObjectResult?.ETag;
  });
}

/**
 * Runs one S3 call per file with bounded concurrency, a progress line every few seconds, and every
 * failure collected with its file, so the caller can name exactly what did not make it.
 */
async function transfer(
  files: readonly LocalFile[],
  target: S3Target,
  options: TransferOptions,
  verb: string,
  send: (file: LocalFile) => Promise<string | undefined>,
): Promise<TransferOutcome> {
  const done: LocalFile[] = [];
  const written: WrittenFile[] = [];
  const failed: FailedFile[] = [];
  let bytes = 0;
  let fatal = false;
  const started = Date.now();
  const totalBytes = files.reduce((sum, file) => sum + file.size, 0);
  const progress = setInterval(() => {
    const seconds = (Date.now() - started) / 1000;
    options.log.info(
      `… ${done.length}/${files.length} files, ${formatBytes(bytes)} of ${formatBytes(totalBytes)} (${formatBytes(bytes / seconds)}/s)`,
    );
  }, PROGRESS_INTERVAL_MS);

  try {
    await mapWithLimit(files, options.concurrency, async (file) => {
      if (fatal) {
        failed.push({ key: file.key, message: 'not attempted after an earlier fatal error' });
        return;
      }
      try {
        const etag = await send(file);
        done.push(file);
        written.push({
          key: file.key,
          etag: (etag ?? '').replace(/"/g, ''),
          md5: file.md5,
          ...(file.multipartEtag ? { multipartEtag: file.multipartEtag } : {}),
        });
        bytes += file.size;
        options.log.debug(`${verb} ${file.key} (${formatBytes(file.size)})`);
      } catch (error) {
        if (FATAL_ERRORS.has((error as { name?: string }).name ?? '')) fatal = true;
        failed.push({ key: file.key, message: describeAwsError(error, { service: 'S3', bucket: target.bucket }) });
      }
    });
  } finally {
    clearInterval(progress);
  }
  return { done, written, failed, bytes };
}

function headerParams(headers: ObjectHeaders): {
  ContentType: string;
  CacheControl?: string;
  ContentEncoding?: string;
} {
  return {
    ContentType: headers.contentType,
    ...(headers.cacheControl ? { CacheControl: headers.cacheControl } : {}),
    ...(headers.contentEncoding ? { ContentEncoding: headers.contentEncoding } : {}),
  };
}

async function uploadFile(file: LocalFile, target: S3Target): Promise<string | undefined> {
  const { client, bucket, prefix } = target;
  const Key = prefix + file.key;
  if (!usesMultipart(file.size)) {
    return wholeFileBuffers(file.size, async (buffer) => {
      // A buffer (not a stream) lets the SDK retry the request; Content-MD5 makes S3 reject corrupted bodies.
      // The plan read every file moments ago, so this read comes from the page cache.
      const body = buffer.subarray(0, readFileInto(file.absolutePath, buffer));
      const md5 = createHash('md5').update(body).digest();
      if (md5.toString('hex') !== file.md5)
        throw new ActionError(`'${file.key}' changed while the deploy was running; run the deploy again.`);
      const response = await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key,
          Body: body,
          ContentLength: body.length,
          ContentMD5: md5.toString('base64'),
          ...headerParams(file.headers),
          ...encryptionParams(target),
        }),
      );
      return response.ETag;
    });
  }
  // Streamed in parts of the same size the local multipart ETag was computed with.
  return multipartSlot(async () => {
    const upload = new Upload({
      client,
      params: {
        Bucket: bucket,
        Key,
        Body: createReadStream(file.absolutePath),
        ...headerParams(file.headers),
        ...encryptionParams(target),
      },
      partSize: partSizeFor(file.size),
      queueSize: PARTS_IN_FLIGHT,
    });
    const response = await upload.done();
    return response.ETag;
  });
}

/**
 * lib-storage sends each part without a checksum when checksums are only sent where required; this adds
 * Content-MD5 to every UploadPart, so S3 rejects a part corrupted on the way as it does a whole-file PUT.
 * (Added at the build step, after serialising and before signing.)
 */
export function sendPartContentMd5(client: S3Client): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = args.request as { headers?: Record<string, string>; body?: unknown };
      if (context.commandName === 'UploadPartCommand' && request.headers && request.body instanceof Uint8Array) {
        request.headers['content-md5'] = createHash('md5').update(request.body).digest('base64');
      }
      return next(args);
    },
    { step: 'build', name: 'uploadPartContentMd5' },
  );
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
