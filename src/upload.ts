/**
 * Carries out a plan against S3: uploads and in-place header updates with bounded concurrency, and
 * deletes in batches of 1,000. The order between them is main's; each call here is one wave. Every write
 * carries the Content-MD5 of its body, and reports what it wrote.
 */
import { createHash } from 'node:crypto';
import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  type DeleteObjectsCommandInput,
  type DeleteObjectsCommandOutput,
} from '@aws-sdk/client-s3';
import type { BuildMiddleware } from '@smithy/types';
import { fileChanged, sendAsPlanned } from './as-planned.js';
import { describeAwsError } from './errors.js';
import { usesMultipart } from './etag.js';
import { formatBytes } from './format.js';
import type { ObjectHeaders } from './headers.js';
import { readFileInto } from './digest.js';
import type { LocalFile } from './local.js';
import type { Logger } from './logger.js';
import { MULTIPART_UPLOADS_AT_ONCE, PARTS_IN_FLIGHT, uploadInParts } from './multipart.js';
import { createBufferPool, mapWithLimit } from './pool.js';
import { putObjectFor } from './put-object.js';
import { type S3Target, encryptionParams } from './s3.js';

export type { S3Target };

export interface FailedFile {
  key: string;
  message: string;
  /** Never sent: the run was cancelled, or an earlier error would have failed it too. */
  notAttempted?: true;
}

/** What one write left in the bucket, for recognising the object later when its ETag is not an MD5. */
export interface WrittenObject {
  /** The file's key, without the prefix. */
  key: string;
  /** As S3 answered the write, unquoted ('' if it sent none). */
  etag: string;
  /** Hex MD5 of the object's bytes: those sent (checked against the plan), or those copied in place. */
  md5: string;
  /** S3's multipart ETag of the parts sent, for files uploaded in parts. */
  multipartEtag?: string;
  /** As S3 answered the write (AES256, aws:kms, ...), when it said. */
  serverSideEncryption?: string;
}

export interface TransferOutcome {
  done: WrittenObject[];
  /** Writes that were sent and failed. */
  failed: FailedFile[];
  /** Keys never sent (see FailedFile.notAttempted). */
  skipped: string[];
  bytes: number;
}

export interface TransferOptions {
  concurrency: number;
  log: Logger;
  /** Aborted when the run is cancelled: nothing new starts; what is in flight finishes. */
  signal?: AbortSignal;
}

const PROGRESS_INTERVAL_MS = 5000;
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
/** Errors that no other object will escape either: stop starting requests and report at once. */
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
  return transfer(files, target, options, 'uploaded', (file) => uploadFile(file, target, options));
}

/** Rewrites the headers of objects whose bytes are already right, without sending the bytes again. */
export function updateHeaders(
  files: readonly LocalFile[],
  target: S3Target,
  options: TransferOptions,
): Promise<TransferOutcome> {
  return transfer(files, target, options, 'updated headers of', async (file) => {
    if (file.size > MAX_COPY_SIZE) return uploadFile(file, target, options);
    const Key = target.prefix + file.key;
    const response = await target.client.send(
      new CopyObjectCommand({
        Bucket: target.bucket,
        Key,
        CopySource: `${target.bucket}/${Key.split('/').map(encodeURIComponent).join('/')}`,
        MetadataDirective: 'REPLACE',
        ...headerParams(file.headers),
        ...encryptionParams(target.encryption),
      }),
    );
    // The plan found these bytes already in place, so the copy holds the file's MD5.
    return written(file, response.CopyObjectResult?.ETag, response.ServerSideEncryption);
  });
}

/**
 * Runs one S3 call per item with bounded concurrency, every failure collected with its key in the user's
 * terms. After an error no other call would escape (no bucket, bad credentials) the rest are not attempted.
 */
export async function eachObject<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  options: { concurrency: number; bucket: string; signal?: AbortSignal | undefined },
  call: (item: T) => Promise<void>,
): Promise<FailedFile[]> {
  const failed: FailedFile[] = [];
  let fatal = false;
  await mapWithLimit(items, options.concurrency, async (item) => {
    if (fatal || options.signal?.aborted) {
      const why = fatal ? 'after an earlier fatal error' : 'because the run was cancelled';
      failed.push({ key: keyOf(item), message: `not attempted ${why}`, notAttempted: true });
      return;
    }
    try {
      await call(item);
    } catch (error) {
      if (FATAL_ERRORS.has((error as { name?: string }).name ?? '')) fatal = true;
      failed.push({ key: keyOf(item), message: describeAwsError(error, { service: 'S3', bucket: options.bucket }) });
    }
  });
  return failed;
}

/**
 * One write per file with a progress line every few seconds, so the caller can name exactly what did not
 * make it and record what did.
 */
async function transfer(
  files: readonly LocalFile[],
  target: S3Target,
  options: TransferOptions,
  verb: string,
  send: (file: LocalFile) => Promise<WrittenObject>,
): Promise<TransferOutcome> {
  const done: WrittenObject[] = [];
  let bytes = 0;
  const perFileLines = options.log.isDebug?.() ?? true;
  const started = Date.now();
  const totalBytes = files.reduce((sum, file) => sum + file.size, 0);
  const progress = setInterval(() => {
    const seconds = (Date.now() - started) / 1000;
    options.log.info(
      `… ${done.length}/${files.length} files, ${formatBytes(bytes)} of ${formatBytes(totalBytes)} (${formatBytes(bytes / seconds)}/s)`,
    );
  }, PROGRESS_INTERVAL_MS);

  try {
    const outcomes = await eachObject(
      files,
      (file) => file.key,
      { concurrency: options.concurrency, bucket: target.bucket, signal: options.signal },
      async (file) => {
        done.push(await send(file));
        bytes += file.size;
        if (perFileLines) options.log.debug(`${verb} ${file.key} (${formatBytes(file.size)})`);
      },
    );
    const failed = outcomes.filter((failure) => !failure.notAttempted);
    const skipped = outcomes.filter((failure) => failure.notAttempted).map((failure) => failure.key);
    return { done, failed, skipped, bytes };
  } finally {
    clearInterval(progress);
  }
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

/**
 * The record of one write, kept until the deploy state is written. An ETag that is the MD5 is the plan's own
 * string, and the encryption one shared string per value: at 20,000 files, the copies held for every answer
 * were 3.5 MB.
 */
function written(
  file: LocalFile,
  etag: string | undefined,
  serverSideEncryption: string | undefined,
  multipartEtag?: string,
): WrittenObject {
  const unquoted = (etag ?? '').replace(/"/g, '');
  const record: WrittenObject = { key: file.key, etag: unquoted === file.md5 ? file.md5 : unquoted, md5: file.md5 };
  if (multipartEtag) record.multipartEtag = multipartEtag;
  if (serverSideEncryption) record.serverSideEncryption = shared(serverSideEncryption);
  return record;
}

const sharedStrings = new Map<string, string>();

/** The first string seen with this value, for a header that takes a few values (a store's odd ones aside). */
function shared(value: string): string {
  const kept = sharedStrings.get(value);
  if (kept !== undefined) return kept;
  if (sharedStrings.size < 16) sharedStrings.set(value, value);
  return value;
}

async function uploadFile(
  file: LocalFile,
  target: S3Target,
  { log, concurrency }: TransferOptions,
): Promise<WrittenObject> {
  const { client, bucket, prefix } = target;
  const Key = prefix + file.key;
  const params = { ...headerParams(file.headers), ...encryptionParams(target.encryption) };
  if (usesMultipart(file.size)) {
    // In parts of the same size the local multipart ETag was computed with.
    const result = await uploadInParts({ client, bucket, objectKey: Key, file, params, log, concurrency });
    return written(file, result.etag, result.serverSideEncryption, result.multipartEtag);
  }
  const put = putObjectFor(client, bucket);
  return wholeFileBuffers(file.size, async (buffer) => {
    // A buffer (not a stream) lets the SDK retry the request; Content-MD5 makes S3 reject corrupted bodies.
    // The plan read every file moments ago, so this read comes from the page cache.
    const { length, stamp } = readFileInto(file.absolutePath, buffer, 'after');
    const body = buffer.subarray(0, length);
    if (length !== file.size) throw fileChanged(file);
    // Unchanged since the plan hashed it, its MD5 is the plan's: hashing every file a second time was a
    // sixth of the CPU of a first deploy (see as-planned.ts for what catches a write the stamp misses).
    const planned = Buffer.from(file.md5, 'hex');
    const { answer: response } = await sendAsPlanned({ file, body, planned, stamp }, (ContentMD5) =>
      put({ Bucket: bucket, Key, Body: body, ContentLength: body.length, ContentMD5, ...params }),
    );
    return written(file, response.ETag, response.ServerSideEncryption);
  });
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
      deleteObjectsCommand({
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

/**
 * A DeleteObjects request that carries Content-MD5 and no flexible checksum. The SDK sends only
 * x-amz-checksum-crc32 when checksums are calculated where required, which MinIO, Ceph and other stores
 * refuse ("Missing required header for this request: Content-MD5", aws-sdk-js-v3 issues 6819 and 6920);
 * Content-MD5 alone is what S3 has always accepted, and what those stores require.
 */
export function deleteObjectsCommand(input: DeleteObjectsCommandInput): DeleteObjectsCommand {
  const command = new DeleteObjectsCommand(input);
  const contentMd5Only: BuildMiddleware<DeleteObjectsCommandInput, DeleteObjectsCommandOutput> =
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string>; body?: unknown };
      if (request.headers && (typeof request.body === 'string' || request.body instanceof Uint8Array)) {
        for (const name of Object.keys(request.headers)) {
          if (/^x-amz-(sdk-)?checksum-/i.test(name)) delete request.headers[name];
        }
        request.headers['content-md5'] = createHash('md5').update(request.body).digest('base64');
      }
      return next(args);
    };
  command.middlewareStack.addRelativeTo(contentMd5Only, {
    relation: 'after',
    toMiddleware: 'flexibleChecksumsMiddleware',
    name: 'deleteObjectsContentMd5',
  });
  return command;
}
