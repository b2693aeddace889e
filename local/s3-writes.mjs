// What every write to the local S3 shares: the headers and metadata S3 keeps, the encryption in force, the
// ETag the store makes, the checksum sent and the object's own, and the check-and-set of a conditional write.
import { randomBytes, randomUUID } from 'node:crypto';
import { storedContentEncoding } from './s3-auth.mjs';
import { checkWriteConditions } from './s3-store.mjs';
import { CHECKSUM_ALGORITHMS, S3Error, checksumOf, md5Of, verifyDigests } from './s3-wire.mjs';

const MAX_KEY_BYTES = 1024;
const MAX_METADATA_BYTES = 2048;
const KMS_KEY = 'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-0000-0000-000000000000';

/** Headers S3 stores with an object and returns on GetObject / HeadObject. */
const STORED_HEADERS = [
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
  'expires',
  'x-amz-website-redirect-location',
  'x-amz-storage-class',
  'x-amz-server-side-encryption-customer-algorithm',
  'x-amz-server-side-encryption-customer-key-md5',
  'x-amz-server-side-encryption-context',
  'x-amz-server-side-encryption-bucket-key-enabled',
];

export function checkKey(key) {
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new S3Error('KeyTooLongError', undefined, { Key: key });
}

/** What S3 keeps of a write's headers: content headers, user metadata, and the encryption in force. */
export function storedHeaders(headers, options) {
  const stored = { 'content-type': headers['content-type'] ?? 'binary/octet-stream' };
  for (const name of STORED_HEADERS) if (headers[name] !== undefined) stored[name] = headers[name];
  const encoding = storedContentEncoding(headers['content-encoding']);
  if (encoding) stored['content-encoding'] = encoding;
  else delete stored['content-encoding'];
  const metadata = {};
  let metadataBytes = 0;
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith('x-amz-meta-')) continue;
    metadata[name.slice('x-amz-meta-'.length)] = value;
    metadataBytes += Buffer.byteLength(name) - 'x-amz-meta-'.length + Buffer.byteLength(value);
  }
  if (metadataBytes > MAX_METADATA_BYTES) {
    throw new S3Error('MetadataTooLarge', undefined, { Size: metadataBytes, MaxSizeAllowed: MAX_METADATA_BYTES });
  }
  // A bucket with SSE-KMS by default, or a request asking for it; otherwise S3's default SSE-S3.
  const kms = options.etags === 'kms' || headers['x-amz-server-side-encryption'] === 'aws:kms';
  stored['x-amz-server-side-encryption'] = kms ? 'aws:kms' : (headers['x-amz-server-side-encryption'] ?? 'AES256');
  if (kms)
    stored['x-amz-server-side-encryption-aws-kms-key-id'] =
      headers['x-amz-server-side-encryption-aws-kms-key-id'] ?? KMS_KEY;
  return { headers: stored, metadata, kms };
}

export const encryptionHeaders = (object) =>
  Object.fromEntries(
    Object.entries(object.headers).filter(([name]) => name.startsWith('x-amz-server-side-encryption')),
  );

/**
 * An ETag as the store makes them: S3's MD5 forms, 32 random-looking hex digits under SSE-KMS (so two
 * uploads of the same bytes differ), or a store's opaque token.
 */
export function newEtag(options, kms, md5, partMd5s) {
  if (options.etags === 'opaque') return `"${randomUUID()}"`;
  const suffix = partMd5s ? `-${partMd5s.length}` : '';
  if (kms) return `"${randomBytes(16).toString('hex')}${suffix}"`;
  if (partMd5s) return `"${md5Of(partMd5s).toString('hex')}${suffix}"`;
  return `"${md5.toString('hex')}"`;
}

/** The one x-amz-checksum-* a write carries (as a header or trailer), after S3's checks on the set. */
export function sentChecksum(headers, strict) {
  const sent = CHECKSUM_ALGORITHMS.filter((algorithm) => headers[`x-amz-checksum-${algorithm}`] !== undefined);
  if (strict && sent.length > 1) {
    throw new S3Error(
      'InvalidRequest',
      'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.',
    );
  }
  const sdkAlgorithm = headers['x-amz-sdk-checksum-algorithm']?.toLowerCase();
  if (strict && sdkAlgorithm !== undefined && sent[0] !== sdkAlgorithm) {
    throw new S3Error(
      'InvalidRequest',
      sent.length === 0
        ? 'x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.'
        : 'Value for x-amz-sdk-checksum-algorithm header is invalid.',
    );
  }
  return sent[0] === undefined ? undefined : { algorithm: sent[0], value: headers[`x-amz-checksum-${sent[0]}`].trim() };
}

/** The object's checksum (the full-object CRC64NVME unless the writer chose another), computed on first use. */
export async function objectChecksum(object) {
  object.checksum.value ??= await checksumOf(object.checksum.algorithm, object.segments);
  return object.checksum;
}

export function checksumHeaders({ algorithm, type, value }) {
  return { [`x-amz-checksum-${algorithm}`]: value, 'x-amz-checksum-type': type };
}

export function checksumElements({ algorithm, type, value }) {
  const name = { crc32: 'CRC32', crc32c: 'CRC32C', crc64nvme: 'CRC64NVME', sha1: 'SHA1', sha256: 'SHA256' }[algorithm];
  return { [`Checksum${name}`]: value, ChecksumType: type };
}

/**
 * Stores `object` at `key` if the request's If-None-Match / If-Match hold, checked and set in one
 * synchronous step, so of two concurrent conditional creates exactly one wins.
 */
export function commit(context, bucket, key, object) {
  const { headers, server } = context;
  const ifMatch = headers['if-match'];
  const ifNoneMatch = headers['if-none-match'];
  if ((ifMatch !== undefined || ifNoneMatch !== undefined) && server.options.conditionalWrites) {
    takeConflict(server, bucket.name, key);
    checkWriteConditions(bucket.objects.get(key), { ifMatch, ifNoneMatch });
  }
  bucket.set(key, object);
}

export function takeConflict(server, bucketName, key) {
  const id = `${bucketName}/${key}`;
  const left = server.conflicts.get(id);
  if (!left) return;
  if (left > 1) server.conflicts.set(id, left - 1);
  else server.conflicts.delete(id);
  throw new S3Error('ConditionalRequestConflict', undefined, { Key: key });
}

/** A new object from a write's body and headers; `md5` and the checksum are computed by the caller. */
export function newObject({ segments, size, etag, headers, metadata, kms, checksum, partsCount }) {
  const lastModified = new Date(Math.floor(Date.now() / 1000) * 1000); // S3 keeps whole seconds
  return { segments, size, etag, lastModified, headers, metadata, kms, checksum, partsCount };
}

/** Content-MD5 and x-amz-checksum-* verified (strict mode), and the MD5 every write needs for its ETag. */
export async function verifiedMd5(context) {
  const md5 = md5Of(context.body.segments);
  if (context.server.strict) await verifyDigests(context.headers, context.body.segments, md5);
  return md5;
}
