/**
 * Pure ETag arithmetic. S3's ETag is the hex MD5 of the bytes for a single PUT, and
 * md5(concat(binary md5 of each part)) + '-' + partCount for a multipart upload, so a local file can be
 * compared with its object without downloading it, as long as both sides use the same part size.
 */
import { createHash } from 'node:crypto';

const MiB = 1024 * 1024;
/** Files at or above this size go up in parts; 8 MiB is also the AWS CLI's default, so its uploads compare. */
export const MULTIPART_THRESHOLD = 8 * MiB;
const MAX_PARTS = 10_000;

/** The part size the action uses for a file: 8 MiB, or larger (whole MiB) where 10,000 parts would not fit. */
export function partSizeFor(size: number): number {
  return Math.max(MULTIPART_THRESHOLD, Math.ceil(size / MAX_PARTS / MiB) * MiB);
}

export function usesMultipart(size: number): boolean {
  return size >= MULTIPART_THRESHOLD;
}

/** The multipart ETag from the binary MD5 digests of the parts, in order. */
export function multipartEtag(partDigests: readonly Buffer[]): string {
  const hash = createHash('md5');
  for (const digest of partDigests) hash.update(digest);
  return `${hash.digest('hex')}-${partDigests.length}`;
}

/** How an object's ETag compares with a local file's hashes. */
export type EtagComparison = 'same' | 'different' | 'incomparable';

/**
 * 'incomparable' means the ETag is not an MD5 we can reproduce (SSE-KMS/SSE-C, or a multipart upload by a
 * tool with another part size); the caller uploads once, after which the object carries our own ETag.
 */
export function compareEtag(
  remoteEtag: string,
  local: { md5: string; multipartEtag?: string | undefined },
): EtagComparison {
  const etag = remoteEtag.replace(/"/g, '').toLowerCase();
  const multipart = /^([0-9a-f]{32})-(\d+)$/.exec(etag);
  if (multipart) {
    if (local.multipartEtag === etag) return 'same';
    // s3rver and some S3-compatible stores return the whole-object MD5 for multipart uploads.
    const ownPartCount = local.multipartEtag?.split('-')[1];
    return ownPartCount === multipart[2] ? 'different' : 'incomparable';
  }
  if (/^[0-9a-f]{32}$/.test(etag)) return etag === local.md5 ? 'same' : 'different';
  return 'incomparable';
}

/**
 * Whether the ETag a write was answered with is a hash of the bytes written (their MD5, S3's multipart form
 * of it, or the whole MD5 some stores give multipart uploads). The store accepted the Content-MD5 sent with
 * those bytes, so when it is not, the bytes are right and the store's ETags are just not MD5s (SSE-KMS,
 * SSE-C or another scheme): only a record of what was written can recognise that object later.
 */
export function etagIsContentHash(written: { etag: string; md5: string; multipartEtag?: string | undefined }): boolean {
  return compareEtag(written.etag, written) === 'same';
}
