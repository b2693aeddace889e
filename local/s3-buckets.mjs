// The bucket operations of the local S3: listings in S3's order and paging (V2 and V1), and the buckets.
import { OWNER, S3Error, xmlDocument } from './s3-wire.mjs';

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

export async function listObjectsV2(context) {
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

export async function listObjects(context) {
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

export async function listBuckets({ server }) {
  const buckets = [...server.store.buckets.values()].map((bucket) => ({
    Name: bucket.name,
    CreationDate: bucket.created,
  }));
  return { body: xmlDocument('ListAllMyBucketsResult', { Owner: OWNER, Buckets: { Bucket: buckets } }) };
}

export async function headBucket({ server, bucketName }) {
  server.store.bucket(bucketName);
  return { headers: { 'x-amz-bucket-region': 'us-east-1' } };
}

export async function getBucketLocation({ server, bucketName }) {
  server.store.bucket(bucketName);
  return { body: xmlDocument('LocationConstraint', {}) };
}

export async function createBucket({ server, bucketName }) {
  server.store.createBucket(bucketName);
  return { headers: { Location: `/${bucketName}` } };
}

export async function deleteBucket({ server, bucketName }) {
  server.store.deleteBucket(bucketName);
  return { status: 204 };
}
