// The object operations of the local S3, each as S3 answers it: (context) -> { status, headers, body }.
// `context.server` holds the store, the options and the conflicts to inject; `context.headers` are the
// request's headers plus any aws-chunked trailers; `context.body.segments` the object's bytes.
import { etagListMatches } from './s3-store.mjs';
import { S3Error, decodePathPart, md5Of, parseXmlBody, xmlDocument } from './s3-wire.mjs';
import {
  checkKey,
  checksumElements,
  checksumHeaders,
  commit,
  encryptionHeaders,
  newEtag,
  newObject,
  objectChecksum,
  sentChecksum,
  storedHeaders,
  takeConflict,
  verifiedMd5,
} from './s3-writes.mjs';

const MAX_DELETE_KEYS = 1000;

function isLocked({ server, bucketName }, key) {
  const lock = server.options.objectLock;
  return typeof lock === 'function' ? Boolean(lock(bucketName, key)) : lock === true;
}
const LOCKED_MESSAGE = 'Access Denied because object protected by object lock.';

export async function putObject(context) {
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

export async function getObject(context) {
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

export async function copyObject(context) {
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

export async function deleteObject(context) {
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

export async function deleteObjects(context) {
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
