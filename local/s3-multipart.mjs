// The multipart operations of the local S3: parts kept as received, and CompleteMultipartUpload checked
// as S3 checks it (part order, part ETags and checksums, 5 MiB minimum), with S3's multipart ETag.
import { randomBytes } from 'node:crypto';
import { etagListMatches } from './s3-store.mjs';
import { CHECKSUM_ALGORITHMS, OWNER, S3Error, checksumOf, parseXmlBody, xmlDocument } from './s3-wire.mjs';
import {
  checkKey,
  checksumElements,
  commit,
  encryptionHeaders,
  newEtag,
  newObject,
  objectChecksum,
  sentChecksum,
  storedHeaders,
  verifiedMd5,
} from './s3-writes.mjs';

const MiB = 1024 * 1024;
const MIN_PART_SIZE = 5 * MiB;
const MAX_PARTS = 10_000;

function upload(context) {
  const { server, key, query } = context;
  const found = server.store.bucket(context.bucketName).uploads.get(query.get('uploadId') ?? '');
  if (!found || found.key !== key) throw new S3Error('NoSuchUpload', undefined, { UploadId: query.get('uploadId') });
  return found;
}

export async function createMultipartUpload(context) {
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

export async function uploadPart(context) {
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

export async function completeMultipartUpload(context) {
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

export async function abortMultipartUpload(context) {
  const target = upload(context);
  context.server.store.bucket(context.bucketName).uploads.delete(target.id);
  return { status: 204 };
}

export async function listMultipartUploads(context) {
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

export async function listParts(context) {
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
