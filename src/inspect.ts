/**
 * Looking at objects one by one, where the listing does not tell enough: their headers (ListObjectsV2 has
 * no Content-Type or Cache-Control) and the full-object CRC64NVME that S3 keeps for new uploads, which
 * compares bytes where the ETag cannot (SSE-KMS, SSE-C). One HEAD per object, so only for the objects that
 * need it.
 */
import fs from 'node:fs/promises';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { Crc64Nvme } from '@aws-sdk/crc64-nvme';
import { type FailedFile, type S3Target, eachObject } from './upload.js';

export interface ObjectInfo {
  contentType?: string;
  cacheControl?: string;
  contentEncoding?: string;
  /** Unquoted. */
  etag: string;
  size: number;
  /** Base64, as S3 returns it; only where S3 keeps one (uploads since it computes it by default). */
  crc64nvme?: string;
  serverSideEncryption?: string;
}

export interface InspectOutcome {
  /** By key, without the prefix. */
  objects: Map<string, ObjectInfo>;
  /** Keys with no object. */
  missing: string[];
  failed: FailedFile[];
}

/** HEADs each key (relative to the prefix) with checksum mode on; a missing object is an answer, not an error. */
export async function headObjects(
  keys: readonly string[],
  target: S3Target,
  options: { concurrency: number },
): Promise<InspectOutcome> {
  const objects = new Map<string, ObjectInfo>();
  const missing: string[] = [];
  const failed = await eachObject(
    keys,
    (key) => key,
    { concurrency: options.concurrency, bucket: target.bucket },
    async (key) => {
      try {
        const head = await target.client.send(
          new HeadObjectCommand({ Bucket: target.bucket, Key: target.prefix + key, ChecksumMode: 'ENABLED' }),
        );
        objects.set(key, {
          etag: (head.ETag ?? '').replace(/"/g, ''),
          size: head.ContentLength ?? 0,
          ...(head.ContentType ? { contentType: head.ContentType } : {}),
          ...(head.CacheControl ? { cacheControl: head.CacheControl } : {}),
          ...(head.ContentEncoding ? { contentEncoding: head.ContentEncoding } : {}),
          ...(head.ChecksumCRC64NVME ? { crc64nvme: head.ChecksumCRC64NVME } : {}),
          ...(head.ServerSideEncryption ? { serverSideEncryption: head.ServerSideEncryption } : {}),
        });
      } catch (error) {
        if (!isMissing(error)) throw withCode(error);
        missing.push(key);
      }
    },
  );
  return { objects, missing, failed };
}

type HeadError = { name?: string; $metadata?: { httpStatusCode?: number } };

/** A HEAD answer has no body, so a missing object is told by its status alone. */
function isMissing(error: unknown): boolean {
  const { name, $metadata } = error as HeadError;
  return name === 'NotFound' || name === 'NoSuchKey' || $metadata?.httpStatusCode === 404;
}

/** Nor has a refusal a code (the SDK calls it 'Unknown'): a 403 is S3's AccessDenied. */
function withCode(error: unknown): unknown {
  const { name, $metadata } = error as HeadError;
  if (name !== 'Unknown' || $metadata?.httpStatusCode !== 403) return error;
  return Object.assign(new Error('Forbidden (HTTP 403 to HeadObject)'), { name: 'AccessDenied', $metadata });
}

const READ_CHUNK = 1024 * 1024;

/** A file's CRC64NVME in the form S3 returns it (base64 of the 8 bytes, big-endian), by the SDK's own code. */
export async function crc64nvme(absolutePath: string): Promise<string> {
  const handle = await fs.open(absolutePath, 'r');
  try {
    const checksum = new Crc64Nvme();
    const buffer = Buffer.allocUnsafe(READ_CHUNK);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, READ_CHUNK, null);
      if (bytesRead === 0) break;
      checksum.update(buffer.subarray(0, bytesRead));
    }
    return Buffer.from(await checksum.digest()).toString('base64');
  } finally {
    await handle.close();
  }
}
