// The S3 operations of the local S3, each as S3 answers it: (context) -> { status, headers, body }.
// `context.server` holds the store, the options and the conflicts to inject; `context.headers` are the
// request's headers plus any aws-chunked trailers; `context.body.segments` the object's bytes.
import { randomBytes, randomUUID } from 'node:crypto';
import { storedContentEncoding } from './s3-auth.mjs';
import { checkWriteConditions, etagListMatches } from './s3-store.mjs';
import {
  CHECKSUM_ALGORITHMS,
  S3Error,
  checksumOf,
  md5Of,
  parseXmlBody,
  verifyDigests,
  xmlDocument,
} from './s3-wire.mjs';

const MiB = 1024 * 1024;
const MIN_PART_SIZE = 5 * MiB;
const MAX_PARTS = 10_000;
const MAX_KEY_BYTES = 1024;
const MAX_METADATA_BYTES = 2048;
const MAX_DELETE_KEYS = 1000;
const KMS_KEY = 'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-0000-0000-000000000000';
const OWNER = { ID: '0'.repeat(64), DisplayName: 'local-s3' };

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

// ---------------------------------------------------------------------------------------------- helpers

function checkKey(key) {
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new S3Error('KeyTooLongError', undefined, { Key: key });
}

/** What S3 keeps of a write's headers: content headers, user metadata, and the encryption in force. */
function storedHeaders(headers, options) {
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

const encryptionHeaders = (object) =>
  Object.fromEntries(
    Object.entries(object.headers).filter(([name]) => name.startsWith('x-amz-server-side-encryption')),
  );

/**
 * An ETag as the store makes them: S3's MD5 forms, 32 random-looking hex digits under SSE-KMS (so two
 * uploads of the same bytes differ), or a store's opaque token.
 */
function newEtag(options, kms, md5, partMd5s) {
  if (options.etags === 'opaque') return `"${randomUUID()}"`;
  const suffix = partMd5s ? `-${partMd5s.length}` : '';
  if (kms) return `"${randomBytes(16).toString('hex')}${suffix}"`;
  if (partMd5s) return `"${md5Of(partMd5s).toString('hex')}${suffix}"`;
  return `"${md5.toString('hex')}"`;
}

/** The one x-amz-checksum-* a write carries (as a header or trailer), after S3's checks on the set. */
function sentChecksum(headers, strict) {
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
async function objectChecksum(object) {
  object.checksum.value ??= await checksumOf(object.checksum.algorithm, object.segments);
  return object.checksum;
}

function checksumHeaders({ algorithm, type, value }) {
  return { [`x-amz-checksum-${algorithm}`]: value, 'x-amz-checksum-type': type };
}

function checksumElements({ algorithm, type, value }) {
  const name = { crc32: 'CRC32', crc32c: 'CRC32C', crc64nvme: 'CRC64NVME', sha1: 'SHA1', sha256: 'SHA256' }[algorithm];
  return { [`Checksum${name}`]: value, ChecksumType: type };
}

function isLocked({ server, bucketName }, key) {
  const lock = server.options.objectLock;
  return typeof lock === 'function' ? Boolean(lock(bucketName, key)) : lock === true;
}
const LOCKED_MESSAGE = 'Access Denied because object protected by object lock.';

/**
 * Stores `object` at `key` if the request's If-None-Match / If-Match hold, checked and set in one
 * synchronous step, so of two concurrent conditional creates exactly one wins.
 */
function commit(context, bucket, key, object) {
  const { headers, server } = context;
  const ifMatch = headers['if-match'];
  const ifNoneMatch = headers['if-none-match'];
  if ((ifMatch !== undefined || ifNoneMatch !== undefined) && server.options.conditionalWrites) {
    takeConflict(server, bucket.name, key);
    checkWriteConditions(bucket.objects.get(key), { ifMatch, ifNoneMatch });
  }
  bucket.set(key, object);
}

function takeConflict(server, bucketName, key) {
  const id = `${bucketName}/${key}`;
  const left = server.conflicts.get(id);
  if (!left) return;
  if (left > 1) server.conflicts.set(id, left - 1);
  else server.conflicts.delete(id);
  throw new S3Error('ConditionalRequestConflict', undefined, { Key: key });
}

/** A new object from a write's body and headers; `md5` and the checksum are computed by the caller. */
function newObject({ segments, size, etag, headers, metadata, kms, checksum, partsCount }) {
  const lastModified = new Date(Math.floor(Date.now() / 1000) * 1000); // S3 keeps whole seconds
  return { segments, size, etag, lastModified, headers, metadata, kms, checksum, partsCount };
}

/** Content-MD5 and x-amz-checksum-* verified (strict mode), and the MD5 every write needs for its ETag. */
async function verifiedMd5(context) {
  const md5 = md5Of(context.body.segments);
  if (context.server.strict) await verifyDigests(context.headers, context.body.segments, md5);
  return md5;
}

// ---------------------------------------------------------------------------------------------- objects

async function putObject(context) {
  const { server, key, body, headers } = context;
  const bucket = server.store.bucket(context.bucketName);
  checkKey(key);
  const md5 = await verifiedMd5(context);
  const sent = sentChecksum(headers, server.strict);
  const stored = storedHeaders(headers, server.options);
  const object = newObject({
    segments: body.segments,
    size: body.size,
    etag: newEtag(server.options, stored.kms, md5),
    ...stored,
    checksum: { algorithm: sent?.algorithm ?? 'crc64nvme', type: 'FULL_OBJECT', value: sent?.value },
  });
  // S3 answers with the object's checksum; the fast mode computes it only when asked for.
  if (server.strict) await objectChecksum(object);
  commit(context, bucket, key, object);
  const answer = { ETag: object.etag, ...encryptionHeaders(object) };
  if (object.checksum.value) Object.assign(answer, checksumHeaders(object.checksum));
  return { headers: answer };
}

/** S3's answer to a GET or HEAD that carries If-Match / If-None-Match / If-(Un)Modified-Since. */
function checkReadConditions(headers, object) {
  const since = (name) => (headers[name] ? Date.parse(headers[name]) : Number.NaN);
  const ifMatch = headers['if-match'];
  const ifNoneMatch = headers['if-none-match'];
  if (ifMatch !== undefined && !etagListMatches(ifMatch, object.etag)) {
    throw new S3Error('PreconditionFailed', undefined, { Condition: 'If-Match' });
  }
  if (ifMatch === undefined && object.lastModified.getTime() > since('if-unmodified-since')) {
    throw new S3Error('PreconditionFailed', undefined, { Condition: 'If-Unmodified-Since' });
  }
  const notModified =
    ifNoneMatch !== undefined
      ? etagListMatches(ifNoneMatch, object.etag)
      : object.lastModified.getTime() <= since('if-modified-since');
  return notModified;
}

/** The byte range a Range header asks for, or undefined for the whole object; 416 when unsatisfiable. */
function requestedRange(header, size) {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header ?? '');
  if (!match || (match[1] === '' && match[2] === '')) return undefined; // S3 ignores ranges it cannot read
  const [start, end] =
    match[1] === ''
      ? [Math.max(0, size - Number(match[2])), size - 1]
      : [Number(match[1]), match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1)];
  if (start >= size || start > end) {
    throw new S3Error('InvalidRange', undefined, { RangeRequested: header, ActualObjectSize: size });
  }
  return { start, end };
}

function sliceSegments(segments, start, end) {
  const slices = [];
  let offset = 0;
  for (const segment of segments) {
    const from = Math.max(start - offset, 0);
    const to = Math.min(end + 1 - offset, segment.length);
    if (from < to) slices.push(segment.subarray(from, to));
    offset += segment.length;
  }
  return slices;
}

const RESPONSE_OVERRIDES = [
  'content-type',
  'content-language',
  'expires',
  'cache-control',
  'content-disposition',
  'content-encoding',
];

async function getObject(context) {
  const { server, key, headers, query, method } = context;
  const object = server.store.bucket(context.bucketName).objects.get(key);
  if (!object) throw new S3Error('NoSuchKey', undefined, { Key: key });
  const answer = {
    ETag: object.etag,
    'Last-Modified': object.lastModified.toUTCString(),
    'Accept-Ranges': 'bytes',
    ...object.headers,
  };
  for (const [name, value] of Object.entries(object.metadata)) answer[`x-amz-meta-${name}`] = value;
  if (object.partsCount) answer['x-amz-mp-parts-count'] = String(object.partsCount);
  if (checkReadConditions(headers, object)) return { status: 304, headers: { ETag: object.etag } };
  const range = requestedRange(headers.range, object.size);
  if (!range && headers['x-amz-checksum-mode'] === 'ENABLED') {
    Object.assign(answer, checksumHeaders(await objectChecksum(object)));
  }
  for (const name of RESPONSE_OVERRIDES) {
    const value = query.get(`response-${name}`);
    if (value !== null) answer[name] = value;
  }
  if (!range)
    return {
      headers: { ...answer, 'Content-Length': String(object.size) },
      body: method === 'HEAD' ? undefined : object.segments,
    };
  answer['Content-Range'] = `bytes ${range.start}-${range.end}/${object.size}`;
  answer['Content-Length'] = String(range.end - range.start + 1);
  const body = method === 'HEAD' ? undefined : sliceSegments(object.segments, range.start, range.end);
  return { status: 206, headers: answer, body };
}

/** x-amz-copy-source: '/bucket/key' or 'bucket/key', URL-encoded, maybe with '?versionId='. */
function copySource(header) {
  const [path] = header.replace(/^\//, '').split('?');
  const slash = path.indexOf('/');
  if (slash <= 0)
    throw new S3Error('InvalidArgument', 'Invalid copy source object key', {
      ArgumentName: 'x-amz-copy-source',
      ArgumentValue: header,
    });
  return { bucketName: path.slice(0, slash), key: decodePathPart(path.slice(slash + 1)) };
}

/** A path's %-escapes decoded; S3 reads a raw '+' in the path as a space, so this does too. */
export function decodePathPart(raw) {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    throw new S3Error('InvalidURI');
  }
}

async function copyObject(context) {
  const { server, key, headers } = context;
  const source = copySource(headers['x-amz-copy-source']);
  const original = server.store.bucket(source.bucketName).objects.get(source.key);
  if (!original) throw new S3Error('NoSuchKey', undefined, { Key: source.key });
  const bucket = server.store.bucket(context.bucketName);
  checkKey(key);
  const directive = headers['x-amz-metadata-directive'] ?? 'COPY';
  if (directive !== 'COPY' && directive !== 'REPLACE') {
    throw new S3Error('InvalidArgument', 'Unknown metadata directive.', {
      ArgumentName: 'x-amz-metadata-directive',
      ArgumentValue: directive,
    });
  }
  const changesSomething = [
    'x-amz-storage-class',
    'x-amz-server-side-encryption',
    'x-amz-website-redirect-location',
  ].some((name) => headers[name] !== undefined);
  if (source.bucketName === bucket.name && source.key === key && directive !== 'REPLACE' && !changesSomething) {
    throw new S3Error(
      'InvalidRequest',
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  if (
    headers['x-amz-copy-source-if-match'] !== undefined &&
    !etagListMatches(headers['x-amz-copy-source-if-match'], original.etag)
  ) {
    throw new S3Error('PreconditionFailed', undefined, { Condition: 'x-amz-copy-source-If-Match' });
  }
  if (
    headers['x-amz-copy-source-if-none-match'] !== undefined &&
    etagListMatches(headers['x-amz-copy-source-if-none-match'], original.etag)
  ) {
    throw new S3Error('PreconditionFailed', undefined, { Condition: 'x-amz-copy-source-If-None-Match' });
  }
  // COPY keeps the source's headers and metadata; the encryption is the request's or the bucket's.
  const copied = { ...withoutEncryption(original.headers), ...prefixed(original.metadata), ...onlyEncryption(headers) };
  const replaced = storedHeaders(directive === 'REPLACE' ? headers : copied, server.options);
  // The copy is a new single-part object: S3 gives it the MD5 of its bytes and a new CRC64NVME.
  const sameChecksum = original.checksum.algorithm === 'crc64nvme' && original.checksum.type === 'FULL_OBJECT';
  const object = newObject({
    segments: original.segments,
    size: original.size,
    etag: newEtag(server.options, replaced.kms, replaced.kms ? undefined : md5Of(original.segments)),
    ...replaced,
    checksum: {
      algorithm: 'crc64nvme',
      type: 'FULL_OBJECT',
      value: sameChecksum ? original.checksum.value : undefined,
    },
  });
  if (server.strict) await objectChecksum(object);
  commit(context, bucket, key, object);
  const result = {
    ETag: object.etag,
    LastModified: object.lastModified,
    ...(object.checksum.value ? checksumElements(object.checksum) : {}),
  };
  return { headers: encryptionHeaders(object), body: xmlDocument('CopyObjectResult', result) };
}

const prefixed = (metadata) =>
  Object.fromEntries(Object.entries(metadata).map(([name, value]) => [`x-amz-meta-${name}`, value]));
const isEncryptionHeader = (name) => name.startsWith('x-amz-server-side-encryption');
const withoutEncryption = (headers) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !isEncryptionHeader(name)));
const onlyEncryption = (headers) =>
  Object.fromEntries(
    Object.entries(headers).filter(
      ([name]) => name === 'x-amz-server-side-encryption' || name === 'x-amz-server-side-encryption-aws-kms-key-id',
    ),
  );

async function deleteObject(context) {
  const { server, key, headers } = context;
  const bucket = server.store.bucket(context.bucketName);
  const current = bucket.objects.get(key);
  if (headers['if-match'] !== undefined && server.options.conditionalWrites) {
    takeConflict(server, bucket.name, key);
    if (!current) throw new S3Error('NoSuchKey', undefined, { Key: key });
    if (!etagListMatches(headers['if-match'], current.etag)) {
      throw new S3Error('PreconditionFailed', undefined, { Condition: 'If-Match' });
    }
  }
  if (current && isLocked(context, key)) throw new S3Error('AccessDenied', LOCKED_MESSAGE, { Key: key });
  bucket.delete(key);
  return { status: 204 };
}

async function deleteObjects(context) {
  const { server, headers } = context;
  const bucket = server.store.bucket(context.bucketName);
  // S3 takes Content-MD5 or an x-amz-checksum-*; MinIO, Ceph and others take only Content-MD5, and answer
  // this without it (aws-sdk-js-v3 issues 6819, 6920). The strict store is the strictest of them.
  if (server.strict && headers['content-md5'] === undefined) throw new S3Error('MissingContentMD5');
  await verifiedMd5(context);
  const request = parseXmlBody(Buffer.concat(context.body.segments), 'Delete');
  const objects = request.Object ?? [];
  if (objects.length === 0 || objects.length > MAX_DELETE_KEYS) throw new S3Error('MalformedXML');
  const quiet = String(request.Quiet ?? '').trim() === 'true';
  const deleted = [];
  const errors = [];
  for (const entry of objects) {
    const key = typeof entry.Key === 'string' ? entry.Key : '';
    const current = bucket.objects.get(key);
    const etag = typeof entry.ETag === 'string' ? entry.ETag : undefined;
    if (etag !== undefined && server.options.conditionalWrites && (!current || !etagListMatches(etag, current.etag))) {
      errors.push(
        current
          ? {
              Key: key,
              Code: 'PreconditionFailed',
              Message: 'At least one of the pre-conditions you specified did not hold',
            }
          : { Key: key, Code: 'NoSuchKey', Message: 'The specified key does not exist.' },
      );
    } else if (current && isLocked(context, key)) {
      errors.push({ Key: key, Code: 'AccessDenied', Message: LOCKED_MESSAGE });
    } else {
      bucket.delete(key);
      if (!quiet) deleted.push({ Key: key });
    }
  }
  return { body: xmlDocument('DeleteResult', { Deleted: deleted, Error: errors }) };
}

// -------------------------------------------------------------------------------------------- multipart

function upload(context) {
  const { server, key, query } = context;
  const found = server.store.bucket(context.bucketName).uploads.get(query.get('uploadId') ?? '');
  if (!found || found.key !== key) throw new S3Error('NoSuchUpload', undefined, { UploadId: query.get('uploadId') });
  return found;
}

async function createMultipartUpload(context) {
  const { server, key, headers } = context;
  const bucket = server.store.bucket(context.bucketName);
  checkKey(key);
  const stored = storedHeaders(headers, server.options);
  const algorithm = headers['x-amz-checksum-algorithm']?.toLowerCase();
  if (algorithm !== undefined && !CHECKSUM_ALGORITHMS.includes(algorithm)) {
    throw new S3Error(
      'InvalidRequest',
      'Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]',
    );
  }
  const type =
    headers['x-amz-checksum-type'] ??
    (algorithm === undefined || algorithm === 'crc64nvme' ? 'FULL_OBJECT' : 'COMPOSITE');
  const id = randomBytes(24).toString('base64url');
  bucket.uploads.set(id, { id, key, initiated: new Date(), ...stored, algorithm, type, parts: new Map() });
  const answer = { ...encryptionHeaders(stored) };
  if (algorithm)
    Object.assign(answer, { 'x-amz-checksum-algorithm': algorithm.toUpperCase(), 'x-amz-checksum-type': type });
  return {
    headers: answer,
    body: xmlDocument('InitiateMultipartUploadResult', { Bucket: bucket.name, Key: key, UploadId: id }),
  };
}

async function uploadPart(context) {
  const { server, query, body, headers } = context;
  const target = upload(context);
  const partNumber = Number(query.get('partNumber'));
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PARTS) {
    throw new S3Error('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive', {
      ArgumentName: 'partNumber',
      ArgumentValue: query.get('partNumber'),
    });
  }
  const md5 = await verifiedMd5(context);
  const sent = sentChecksum(headers, server.strict);
  const etag = newEtag(server.options, target.kms, md5);
  const checksums = sent ? { [sent.algorithm]: sent.value } : {};
  target.parts.set(partNumber, {
    partNumber,
    segments: body.segments,
    size: body.size,
    md5,
    etag,
    checksums,
    lastModified: new Date(),
  });
  const answer = { ETag: etag, ...encryptionHeaders(target) };
  if (sent) answer[`x-amz-checksum-${sent.algorithm}`] = sent.value;
  return { headers: answer };
}

/** The parts a CompleteMultipartUpload lists, checked as S3 checks them, in the order S3 reports problems. */
async function listedParts(context, target) {
  const request = parseXmlBody(Buffer.concat(context.body.segments), 'CompleteMultipartUpload');
  const listed = request.Part ?? [];
  if (listed.length === 0) throw new S3Error('MalformedXML');
  const parts = [];
  let previous = 0;
  for (const entry of listed) {
    const partNumber = Number(entry.PartNumber);
    if (!(partNumber > previous)) throw new S3Error('InvalidPartOrder');
    previous = partNumber;
    const part = target.parts.get(partNumber);
    if (!part || typeof entry.ETag !== 'string' || !etagListMatches(entry.ETag, part.etag)) {
      throw new S3Error('InvalidPart', undefined, { UploadId: target.id, PartNumber: partNumber, ETag: entry.ETag });
    }
    if (target.algorithm && target.type === 'COMPOSITE') {
      const name = `Checksum${target.algorithm.toUpperCase()}`;
      part.checksums[target.algorithm] ??= await checksumOf(target.algorithm, part.segments);
      if (entry[name] === undefined) {
        throw new S3Error(
          'InvalidRequest',
          `The upload was created using a ${target.algorithm} checksum. The complete request must include the checksum for each part. It was missing for part ${partNumber} in the request.`,
        );
      }
      if (String(entry[name]).trim() !== part.checksums[target.algorithm]) {
        throw new S3Error('InvalidPart', undefined, { UploadId: target.id, PartNumber: partNumber, ETag: entry.ETag });
      }
    }
    parts.push(part);
  }
  parts.forEach((part, index) => {
    if (index < parts.length - 1 && part.size < MIN_PART_SIZE) {
      throw new S3Error('EntityTooSmall', undefined, {
        ProposedSize: part.size,
        MinSizeAllowed: MIN_PART_SIZE,
        PartNumber: part.partNumber,
        ETag: part.etag,
      });
    }
  });
  return parts;
}

async function completeMultipartUpload(context) {
  const { server, key } = context;
  const bucket = server.store.bucket(context.bucketName);
  const target = upload(context);
  const parts = await listedParts(context, target);
  const algorithm = target.algorithm ?? 'crc64nvme';
  const checksum = { algorithm, type: target.type, value: undefined };
  if (target.type === 'COMPOSITE') {
    const partSums = parts.map((part) => Buffer.from(part.checksums[algorithm], 'base64'));
    checksum.value = `${await checksumOf(algorithm, partSums)}-${parts.length}`;
  }
  const object = newObject({
    segments: parts.flatMap((part) => part.segments),
    size: parts.reduce((sum, part) => sum + part.size, 0),
    etag: newEtag(
      server.options,
      target.kms,
      undefined,
      parts.map((part) => part.md5),
    ),
    headers: target.headers,
    metadata: target.metadata,
    kms: target.kms,
    checksum,
    partsCount: parts.length,
  });
  if (server.strict) await objectChecksum(object);
  commit(context, bucket, key, object);
  bucket.uploads.delete(target.id);
  const location = `${server.url}/${bucket.name}/${encodeURIComponent(key).replace(/%2F/g, '/')}`;
  const result = {
    Location: location,
    Bucket: bucket.name,
    Key: key,
    ETag: object.etag,
    ...(object.checksum.value ? checksumElements(object.checksum) : {}),
  };
  return { headers: encryptionHeaders(object), body: xmlDocument('CompleteMultipartUploadResult', result) };
}

async function abortMultipartUpload(context) {
  const target = upload(context);
  context.server.store.bucket(context.bucketName).uploads.delete(target.id);
  return { status: 204 };
}

async function listMultipartUploads(context) {
  const bucket = context.server.store.bucket(context.bucketName);
  const prefix = context.query.get('prefix') ?? '';
  const uploads = [...bucket.uploads.values()]
    .filter((item) => item.key.startsWith(prefix))
    .map((item) => ({
      Key: item.key,
      UploadId: item.id,
      Initiator: OWNER,
      Owner: OWNER,
      StorageClass: 'STANDARD',
      Initiated: item.initiated,
    }));
  const result = {
    Bucket: bucket.name,
    KeyMarker: '',
    UploadIdMarker: '',
    Prefix: prefix,
    MaxUploads: 1000,
    IsTruncated: false,
    Upload: uploads,
  };
  return { body: xmlDocument('ListMultipartUploadsResult', result) };
}

async function listParts(context) {
  const target = upload(context);
  const parts = [...target.parts.values()]
    .sort((a, b) => a.partNumber - b.partNumber)
    .map((part) => ({
      PartNumber: part.partNumber,
      LastModified: part.lastModified,
      ETag: part.etag,
      Size: part.size,
    }));
  const result = {
    Bucket: context.bucketName,
    Key: target.key,
    UploadId: target.id,
    MaxParts: 1000,
    IsTruncated: false,
    Part: parts,
  };
  return { body: xmlDocument('ListPartsResult', result) };
}

// ---------------------------------------------------------------------------------------------- buckets

/** encoding-type=url: S3 encodes as a form would (a space as '+') and leaves '/' as it is. */
const urlEncode = (text) => encodeURIComponent(text).replace(/%2F/g, '/').replace(/%20/g, '+');

function listingParameters(query) {
  const maxKeysText = query.get('max-keys') ?? '1000';
  const maxKeys = Number(maxKeysText);
  if (!/^\d+$/.test(maxKeysText) || !Number.isSafeInteger(maxKeys)) {
    throw new S3Error('InvalidArgument', 'Provided max-keys not an integer or within integer range', {
      ArgumentName: 'max-keys',
      ArgumentValue: maxKeysText,
    });
  }
  const encodingType = query.get('encoding-type');
  if (encodingType !== null && encodingType !== 'url') {
    throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', {
      ArgumentName: 'encoding-type',
      ArgumentValue: encodingType,
    });
  }
  const encode = encodingType === 'url' ? urlEncode : (text) => text;
  return {
    prefix: query.get('prefix') ?? '',
    delimiter: query.get('delimiter') ?? '',
    maxKeys: Math.min(maxKeys, 1000),
    encodingType,
    encode,
  };
}

function contentsOf(contents, encode) {
  return contents.map(({ key, object }) => ({
    Key: encode(key),
    LastModified: object.lastModified,
    ETag: object.etag,
    ChecksumAlgorithm: object.checksum.algorithm.toUpperCase(),
    ChecksumType: object.checksum.type,
    Size: object.size,
    StorageClass: object.headers['x-amz-storage-class'] ?? 'STANDARD',
  }));
}

/** Continuation tokens are opaque to clients; S3 refuses one it did not make. */
const TOKEN_MARK = 'local-s3:';
const makeToken = (after) => Buffer.from(TOKEN_MARK + after).toString('base64');
function readToken(token) {
  const text = Buffer.from(token, 'base64').toString();
  if (!text.startsWith(TOKEN_MARK))
    throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', {
      ArgumentName: 'continuation-token',
    });
  return text.slice(TOKEN_MARK.length);
}

async function listObjectsV2(context) {
  const { query } = context;
  const bucket = context.server.store.bucket(context.bucketName);
  const { prefix, delimiter, maxKeys, encodingType, encode } = listingParameters(query);
  const token = query.get('continuation-token');
  const startAfter = query.get('start-after') ?? '';
  const after = token !== null ? readToken(token) : startAfter;
  const page = bucket.list({ prefix, delimiter, after, maxKeys });
  const result = {
    Name: bucket.name,
    Prefix: encode(prefix),
    Delimiter: delimiter ? encode(delimiter) : undefined,
    MaxKeys: maxKeys,
    EncodingType: encodingType ?? undefined,
    KeyCount: page.contents.length + page.commonPrefixes.length,
    IsTruncated: page.truncated,
    ContinuationToken: token ?? undefined,
    NextContinuationToken: page.truncated ? makeToken(page.last) : undefined,
    StartAfter: startAfter ? encode(startAfter) : undefined,
    Contents: contentsOf(page.contents, encode),
    CommonPrefixes: page.commonPrefixes.map((common) => ({ Prefix: encode(common) })),
  };
  return { body: xmlDocument('ListBucketResult', result) };
}

async function listObjects(context) {
  const { query } = context;
  const bucket = context.server.store.bucket(context.bucketName);
  const { prefix, delimiter, maxKeys, encodingType, encode } = listingParameters(query);
  const marker = query.get('marker') ?? '';
  const page = bucket.list({ prefix, delimiter, after: marker, maxKeys });
  const result = {
    Name: bucket.name,
    Prefix: encode(prefix),
    Marker: encode(marker),
    NextMarker: page.truncated && delimiter ? encode(page.last) : undefined,
    MaxKeys: maxKeys,
    Delimiter: delimiter ? encode(delimiter) : undefined,
    EncodingType: encodingType ?? undefined,
    IsTruncated: page.truncated,
    Contents: contentsOf(page.contents, encode).map((entry) => ({ ...entry, Owner: OWNER })),
    CommonPrefixes: page.commonPrefixes.map((common) => ({ Prefix: encode(common) })),
  };
  return { body: xmlDocument('ListBucketResult', result) };
}

async function listBuckets({ server }) {
  const buckets = [...server.store.buckets.values()].map((bucket) => ({
    Name: bucket.name,
    CreationDate: bucket.created,
  }));
  return { body: xmlDocument('ListAllMyBucketsResult', { Owner: OWNER, Buckets: { Bucket: buckets } }) };
}

async function headBucket({ server, bucketName }) {
  server.store.bucket(bucketName);
  return { headers: { 'x-amz-bucket-region': 'us-east-1' } };
}

async function getBucketLocation({ server, bucketName }) {
  server.store.bucket(bucketName);
  return { body: xmlDocument('LocationConstraint', {}) };
}

async function createBucket({ server, bucketName }) {
  server.store.createBucket(bucketName);
  return { headers: { Location: `/${bucketName}` } };
}

async function deleteBucket({ server, bucketName }) {
  server.store.deleteBucket(bucketName);
  return { status: 204 };
}

export const OPERATIONS = {
  AbortMultipartUpload: abortMultipartUpload,
  CompleteMultipartUpload: completeMultipartUpload,
  CopyObject: copyObject,
  CreateBucket: createBucket,
  CreateMultipartUpload: createMultipartUpload,
  DeleteBucket: deleteBucket,
  DeleteObject: deleteObject,
  DeleteObjects: deleteObjects,
  GetBucketLocation: getBucketLocation,
  GetObject: getObject,
  HeadBucket: headBucket,
  HeadObject: getObject,
  ListBuckets: listBuckets,
  ListMultipartUploads: listMultipartUploads,
  ListObjects: listObjects,
  ListObjectsV2: listObjectsV2,
  ListParts: listParts,
  PutObject: putObject,
  UploadPart: uploadPart,
};
