// The wire format of the local S3: its errors (S3's codes, statuses and messages), XML in and out, and the
// checksums S3 computes and verifies (Content-MD5, x-amz-checksum-*, CRC64NVME).
import { createHash, randomBytes } from 'node:crypto';
import { Crc32, Crc32c, Crc64Nvme } from '@aws-sdk/checksums/crc';
import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** code -> [HTTP status, S3's message]. Messages are S3's own, except MissingContentMD5, which is MinIO's. */
const ERRORS = {
  AccessControlListNotSupported: [400, 'The bucket does not allow ACLs'],
  AccessDenied: [403, 'Access Denied'],
  AuthorizationHeaderMalformed: [400, 'The authorization header is malformed.'],
  BadDigest: [400, 'The Content-MD5 you specified did not match what we received.'],
  BucketAlreadyOwnedByYou: [409, 'Your previous request to create the named bucket succeeded and you already own it.'],
  BucketNotEmpty: [409, 'The bucket you tried to delete is not empty'],
  ConditionalRequestConflict: [
    409,
    'A conflicting conditional operation is currently in progress against this resource. Please try again.',
  ],
  EntityTooSmall: [400, 'Your proposed upload is smaller than the minimum allowed object size.'],
  EntityTooLarge: [400, 'Your proposed upload exceeds the maximum allowed object size.'],
  InvalidURI: [400, "Couldn't parse the specified URI."],
  MalformedTrailerError: [
    400,
    'The request contained trailing data that was not well-formed or did not conform to our published schema.',
  ],
  IncompleteBody: [400, 'You did not provide the number of bytes specified by the Content-Length HTTP header.'],
  InternalError: [500, 'We encountered an internal error. Please try again.'],
  InvalidAccessKeyId: [403, 'The AWS Access Key Id you provided does not exist in our records.'],
  InvalidArgument: [400, 'Invalid Argument'],
  InvalidBucketName: [400, 'The specified bucket is not valid.'],
  InvalidDigest: [400, 'The Content-MD5 you specified is not valid.'],
  InvalidPart: [
    400,
    "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
  ],
  InvalidPartOrder: [400, 'The list of parts was not in ascending order. Parts must be ordered by part number.'],
  InvalidRange: [416, 'The requested range is not satisfiable'],
  InvalidRequest: [400, 'Invalid Request'],
  KeyTooLongError: [400, 'Your key is too long'],
  MalformedXML: [400, 'The XML you provided was not well-formed or did not validate against our published schema'],
  MetadataTooLarge: [400, 'Your metadata headers exceed the maximum allowed metadata size'],
  MethodNotAllowed: [405, 'The specified method is not allowed against this resource.'],
  MissingContentLength: [411, 'You must provide the Content-Length HTTP header.'],
  MissingContentMD5: [400, 'Missing required header for this request: Content-Md5.'],
  NoSuchBucket: [404, 'The specified bucket does not exist'],
  NoSuchKey: [404, 'The specified key does not exist.'],
  NoSuchUpload: [
    404,
    'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
  ],
  NotImplemented: [501, 'A header you provided implies functionality that is not implemented'],
  PermanentRedirect: [
    301,
    'The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.',
  ],
  PreconditionFailed: [412, 'At least one of the pre-conditions you specified did not hold'],
  RequestTimeTooSkewed: [403, 'The difference between the request time and the current time is too large.'],
  SignatureDoesNotMatch: [
    403,
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
  ],
  XAmzContentSHA256Mismatch: [400, "The provided 'x-amz-content-sha256' header does not match what was computed."],
};

/** An S3 error answer: `fields` become extra elements of <Error> (Key, BucketName, Condition, ...). */
export class S3Error extends Error {
  /** `headers`: extra response headers (x-amz-bucket-region on a redirect). */
  constructor(code, message, fields = {}, headers = {}) {
    const [status, standard] = ERRORS[code] ?? [500, code];
    super(message ?? standard);
    this.code = code;
    this.status = status;
    this.fields = fields;
    this.headers = headers;
  }
}

const ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#13;' };
export function escapeXml(text) {
  return String(text).replace(/[&<>"'\r]/g, (c) => ENTITIES[c]);
}

/** `<name>content</name>` for each defined value; objects are nested, arrays repeat the element. */
export function toXml(name, value) {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((item) => toXml(name, item)).join('');
  if (typeof value === 'object' && !(value instanceof Date)) {
    const inner = Object.entries(value)
      .map(([child, content]) => toXml(child, content))
      .join('');
    return `<${name}>${inner}</${name}>`;
  }
  const text = value instanceof Date ? value.toISOString() : String(value);
  return `<${name}>${escapeXml(text)}</${name}>`;
}

const NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';
/** The owner S3 names in listings; one account here. */
export const OWNER = { ID: '0'.repeat(64), DisplayName: 'local-s3' };
export function xmlDocument(root, content) {
  const body = toXml(root, content).replace(`<${root}>`, `<${root} xmlns="${NAMESPACE}">`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
}

export function errorXml(error, requestId) {
  const content = { Code: error.code, Message: error.message, ...error.fields, RequestId: requestId };
  return `<?xml version="1.0" encoding="UTF-8"?>\n${toXml('Error', content)}`;
}

/** A path's %-escapes decoded; S3 reads a raw '+' in the path as a space, so this does too. */
export function decodePathPart(raw) {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    throw new S3Error('InvalidURI');
  }
}

/** Request ids look like S3's, 16 upper-case hex digits: a random prefix and a counter (cheap per request). */
const REQUEST_ID_PREFIX = randomBytes(4).toString('hex').toUpperCase();
let requestCount = 0;
export const newRequestId = () => REQUEST_ID_PREFIX + (requestCount++).toString(16).toUpperCase().padStart(8, '0');

// Whitespace is kept: a key may begin or end with spaces.
const parser = new XMLParser({
  parseTagValue: false,
  trimValues: false,
  ignoreAttributes: true,
  ignoreDeclaration: true,
  htmlEntities: true,
  isArray: (name) => name === 'Object' || name === 'Part',
});

/** The root element of a request body, or MalformedXML as S3 answers a body it cannot read. */
export function parseXmlBody(buffer, root) {
  const text = buffer.toString('utf8');
  if (!text.trim() || XMLValidator.validate(text) !== true) throw new S3Error('MalformedXML');
  const parsed = parser.parse(text)[root];
  if (parsed === undefined || typeof parsed !== 'object') throw new S3Error('MalformedXML');
  return parsed;
}

// ---------------------------------------------------------------------------------------------- checksums

/** The x-amz-checksum-* algorithms S3 verifies, by the header's suffix. */
export const CHECKSUM_ALGORITHMS = ['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256'];

const CRC_CLASSES = { crc32: Crc32, crc32c: Crc32c, crc64nvme: Crc64Nvme };

/** Base64 digest of the body's segments, as x-amz-checksum-<algorithm> carries it. */
export async function checksumOf(algorithm, segments) {
  if (algorithm === 'sha1' || algorithm === 'sha256') {
    const hash = createHash(algorithm);
    for (const segment of segments) hash.update(segment);
    return hash.digest('base64');
  }
  const crc = new CRC_CLASSES[algorithm]();
  for (const segment of segments) crc.update(segment);
  return Buffer.from(await crc.digest()).toString('base64');
}

export function md5Of(segments) {
  const hash = createHash('md5');
  for (const segment of segments) hash.update(segment);
  return hash.digest();
}

export function sha256HexOf(segments) {
  const hash = createHash('sha256');
  for (const segment of segments) hash.update(segment);
  return hash.digest('hex');
}

/** The 16 bytes a Content-MD5 header names: InvalidDigest unless it is base64 of exactly 16 bytes. */
export function contentMd5Bytes(header) {
  const bytes = Buffer.from(header, 'base64');
  if (bytes.length !== 16 || bytes.toString('base64') !== header.trim()) throw new S3Error('InvalidDigest');
  return bytes;
}

/** Throws S3's answer when a sent Content-MD5 or x-amz-checksum-* header does not match the body. */
export async function verifyDigests(headers, segments, md5) {
  const sentMd5 = headers['content-md5'];
  if (sentMd5 !== undefined && !contentMd5Bytes(sentMd5).equals(md5 ?? md5Of(segments))) {
    throw new S3Error('BadDigest');
  }
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const sent = headers[`x-amz-checksum-${algorithm}`];
    if (sent !== undefined) await verifyChecksum(algorithm, sent, segments);
  }
}

const CHECKSUM_BYTES = { crc32: 4, crc32c: 4, crc64nvme: 8, sha1: 20, sha256: 32 };

/** S3 answers BadDigest naming the algorithm (checked against AWS: 'The CRC32 you specified ...'). */
export async function verifyChecksum(algorithm, sent, segments) {
  const value = sent.trim();
  if (Buffer.from(value, 'base64').length !== CHECKSUM_BYTES[algorithm]) {
    throw new S3Error('InvalidRequest', `Value for x-amz-checksum-${algorithm} header is invalid.`);
  }
  if ((await checksumOf(algorithm, segments)) !== value) {
    const name = algorithm.toUpperCase();
    throw new S3Error('BadDigest', `The ${name} you specified did not match the calculated checksum.`);
  }
}
