/**
 * HEAD requests for what the listing does not show: an object's headers (for objects this action has no
 * record of) and S3's full-object checksum (for objects whose ETag is not an MD5 and that no record covers).
 */
import fs from 'node:fs/promises';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { Crc64Nvme } from '@aws-sdk/checksums/crc';
import { type AwsContext, ActionError, describeAwsError } from './errors.js';
import type { ObjectHeaders } from './headers.js';
import type { InspectedObject } from './plan.js';
import { mapWithLimit } from './pool.js';
import type { S3Target } from './s3.js';

export async function headObjects(
  keys: readonly string[],
  target: S3Target,
  options: { concurrency: number },
): Promise<Map<string, InspectedObject>> {
  const context: AwsContext = { service: 'S3', bucket: target.bucket };
  const inspected = new Map<string, InspectedObject>();
  await mapWithLimit(keys, options.concurrency, async (key) => {
    try {
      const response = await target.client.send(
        new HeadObjectCommand({ Bucket: target.bucket, Key: target.prefix + key, ChecksumMode: 'ENABLED' }),
      );
      const headers: ObjectHeaders = { contentType: response.ContentType ?? '' };
      if (response.CacheControl) headers.cacheControl = response.CacheControl;
      if (response.ContentEncoding) headers.contentEncoding = response.ContentEncoding;
      inspected.set(key, {
        headers,
        ...(response.ChecksumCRC64NVME && response.ChecksumType !== 'COMPOSITE'
          ? { crc64nvme: response.ChecksumCRC64NVME }
          : {}),
      });
    } catch (error) {
      // Gone since the listing: the plan uploads it as new next time; nothing to learn now.
      if ((error as { name?: string }).name === 'NotFound') return;
      throw new ActionError(describeAwsError(error, context));
    }
  });
  return inspected;
}

/** The CRC64NVME of a file, base64, as S3 reports a full-object checksum. */
export async function crc64nvmeOfFile(absolutePath: string): Promise<string> {
  const checksum = new Crc64Nvme();
  const handle = await fs.open(absolutePath, 'r');
  try {
    for await (const chunk of handle.createReadStream()) checksum.update(chunk as Buffer);
  } finally {
    await handle.close();
  }
  return Buffer.from(await checksum.digest()).toString('base64');
}
