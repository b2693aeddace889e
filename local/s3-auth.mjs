// What the local S3 checks before it reads a request: its AWS Signature Version 4 (the Authorization
// header, as S3 computes it: the path as sent, not encoded again), and the aws-chunked body framing that
// SDKs use for trailing checksums, with its chunk and trailer signatures.
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4, getCanonicalHeaders } from '@smithy/signature-v4';
import { S3Error, sha256HexOf } from './s3-wire.mjs';

const ALGORITHM = 'AWS4-HMAC-SHA256';
const EMPTY_SHA256 = createHash('sha256').digest('hex');
/** How far x-amz-date may be from the server's clock, as S3 allows. */
const MAX_SKEW_MS = 15 * 60 * 1000;

export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
const STREAMING = new Set([
  'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
]);

/** The hash constructor the signer wants: SHA-256, or HMAC-SHA-256 when given a key. */
class Sha256 {
  constructor(secret) {
    this.hash = secret ? createHmac('sha256', secret) : createHash('sha256');
  }
  update(data) {
    this.hash.update(data);
  }
  async digest() {
    return new Uint8Array(this.hash.digest());
  }
}

const hmacHex = (key, text) => createHmac('sha256', key).update(text).digest('hex');

function parseAuthorization(header) {
  if (!header.startsWith(`${ALGORITHM} `)) {
    throw new S3Error(
      'InvalidRequest',
      'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.',
    );
  }
  const fields = {};
  for (const part of header.slice(ALGORITHM.length + 1).split(',')) {
    const equals = part.indexOf('=');
    if (equals > 0) fields[part.slice(0, equals).trim()] = part.slice(equals + 1).trim();
  }
  const scope = (fields.Credential ?? '').split('/');
  if (scope.length !== 5 || scope[4] !== 'aws4_request' || !fields.SignedHeaders || !fields.Signature) {
    throw new S3Error('AuthorizationHeaderMalformed');
  }
  const [accessKeyId, date, region, service] = scope;
  return { accessKeyId, date, region, service, signedHeaders: fields.SignedHeaders, signature: fields.Signature };
}

/** x-amz-date (20240101T000000Z) as a Date. */
function parseAmzDate(text) {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text ?? '');
  if (!match) throw new S3Error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  const [, year, month, day, hour, minute, second] = match.map(Number);
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second));
}

/** The query as the signer wants it: decoded names and values ('+' is not a space in SigV4). */
function parseQuery(rawQuery) {
  const query = {};
  for (const pair of rawQuery ? rawQuery.split('&') : []) {
    const equals = pair.indexOf('=');
    const name = decodeURIComponent(equals === -1 ? pair : pair.slice(0, equals));
    const value = equals === -1 ? '' : decodeURIComponent(pair.slice(equals + 1));
    const existing = query[name];
    query[name] = existing === undefined ? value : [existing, value].flat();
  }
  return query;
}

/**
 * Verifies a request's SigV4 Authorization header against `credentials` (access key id -> secret), as S3
 * does, and returns what verifying an aws-chunked body needs. Throws S3's error otherwise.
 * @param {{ method: string, url: string, headers: Record<string, string>, credentials: Map<string, string>, now?: number }} request
 */
export async function verifySignature({ method, url, headers, credentials, now = Date.now() }) {
  const header = headers.authorization;
  if (header === undefined) throw new S3Error('AccessDenied');
  const auth = parseAuthorization(header);
  const secretAccessKey = credentials.get(auth.accessKeyId);
  if (secretAccessKey === undefined) {
    throw new S3Error('InvalidAccessKeyId', undefined, { AWSAccessKeyId: auth.accessKeyId });
  }
  const longDate = headers['x-amz-date'];
  const signingDate = parseAmzDate(longDate);
  if (auth.date !== longDate.slice(0, 8)) {
    throw new S3Error('AuthorizationHeaderMalformed', 'Invalid credential date. Date is not the same as X-Amz-Date.');
  }
  if (auth.service !== 's3') {
    throw new S3Error(
      'AuthorizationHeaderMalformed',
      `The authorization header is malformed; incorrect service "${auth.service}". This endpoint belongs to "s3".`,
    );
  }
  if (Math.abs(now - signingDate.getTime()) > MAX_SKEW_MS) {
    throw new S3Error('RequestTimeTooSkewed', undefined, {
      RequestTime: longDate,
      ServerTime: new Date(now).toISOString(),
      MaxAllowedSkewMilliseconds: MAX_SKEW_MS,
    });
  }
  const payloadHash = headers['x-amz-content-sha256'];
  if (payloadHash === undefined) {
    throw new S3Error('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  }
  if (payloadHash !== UNSIGNED_PAYLOAD && !STREAMING.has(payloadHash) && !/^[0-9a-f]{64}$/.test(payloadHash)) {
    throw new S3Error(
      'InvalidArgument',
      'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.',
      { ArgumentName: 'x-amz-content-sha256', ArgumentValue: payloadHash },
    );
  }
  const signedNames = auth.signedHeaders.split(';');
  const unsigned = Object.keys(headers).filter((name) => name.startsWith('x-amz-') && !signedNames.includes(name));
  if (!signedNames.includes('host') || unsigned.length > 0) {
    throw new S3Error('AccessDenied', 'There were headers present in the request which were not signed', {
      HeadersNotSigned: unsigned.join(', ') || 'host',
    });
  }

  const [path = '/', rawQuery = ''] = url.split(/\?(.*)/s);
  const signedHeaders = {};
  for (const name of signedNames) if (headers[name] !== undefined) signedHeaders[name] = headers[name];
  const toSign = { method, path, query: parseQuery(rawQuery), headers: signedHeaders };
  const signer = new SignatureV4({
    credentials: { accessKeyId: auth.accessKeyId, secretAccessKey },
    region: auth.region,
    service: 's3',
    sha256: Sha256,
    uriEscapePath: false,
    applyChecksum: false,
  });
  const canonicalHeaders = getCanonicalHeaders(toSign, undefined, new Set(signedNames));
  const canonicalRequest = signer.createCanonicalRequest(toSign, canonicalHeaders, payloadHash);
  const scope = `${auth.date}/${auth.region}/s3/aws4_request`;
  const stringToSign = await signer.createStringToSign(longDate, scope, canonicalRequest, ALGORITHM);
  const signingKey = Buffer.from(
    await signer.getSigningKey({ accessKeyId: auth.accessKeyId, secretAccessKey }, auth.region, auth.date, 's3'),
  );
  const signature = hmacHex(signingKey, stringToSign);
  if (signature !== auth.signature) {
    throw new S3Error('SignatureDoesNotMatch', undefined, {
      AWSAccessKeyId: auth.accessKeyId,
      StringToSign: stringToSign,
      SignatureProvided: auth.signature,
      CanonicalRequest: canonicalRequest,
    });
  }
  return { signingKey, longDate, scope, signature, payloadHash };
}

/** Whether a request's body is aws-chunked framing rather than the object's bytes. */
export function isAwsChunked(headers) {
  const encodings = (headers['content-encoding'] ?? '').split(',').map((coding) => coding.trim());
  return encodings.includes('aws-chunked') || (headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-');
}

/** Content-Encoding without the aws-chunked framing token, as S3 stores it (undefined when nothing is left). */
export function storedContentEncoding(header) {
  const kept = (header ?? '')
    .split(',')
    .map((coding) => coding.trim())
    .filter((coding) => coding && coding !== 'aws-chunked');
  return kept.length > 0 ? kept.join(',') : undefined;
}

const CRLF = Buffer.from('\r\n');

/**
 * Decodes an aws-chunked body (`<hex size>[;chunk-signature=<sig>]\r\n<bytes>\r\n ... 0...\r\n<trailers>\r\n`)
 * into views of `raw` (no copy) and its trailing headers. `signing` (from verifySignature) makes each chunk
 * signature, and the trailer signature, checked as S3 checks them.
 */
export function decodeAwsChunked(raw, signing) {
  const signed = signing?.payloadHash.startsWith('STREAMING-AWS4-HMAC-SHA256-PAYLOAD') ?? false;
  const segments = [];
  let previous = signing?.signature;
  let offset = 0;
  const line = () => {
    const end = raw.indexOf(CRLF, offset);
    if (end === -1) throw new S3Error('IncompleteBody');
    const text = raw.toString('latin1', offset, end);
    offset = end + 2;
    return text;
  };
  for (;;) {
    const [sizeText, ...extensions] = line().split(';');
    const size = Number.parseInt(sizeText ?? '', 16);
    if (!/^[0-9a-fA-F]+$/.test(sizeText ?? '') || offset + size > raw.length) throw new S3Error('IncompleteBody');
    const data = raw.subarray(offset, offset + size);
    if (signed) {
      const sent = extensions.find((extension) => extension.startsWith('chunk-signature='))?.slice(16);
      const stringToSign = [
        'AWS4-HMAC-SHA256-PAYLOAD',
        signing.longDate,
        signing.scope,
        previous,
        EMPTY_SHA256,
        sha256HexOf([data]),
      ].join('\n');
      const expected = hmacHex(signing.signingKey, stringToSign);
      if (sent !== expected) throw new S3Error('SignatureDoesNotMatch', undefined, { StringToSign: stringToSign });
      previous = expected;
    }
    if (size === 0) break;
    segments.push(data);
    offset += size;
    if (!raw.subarray(offset, offset + 2).equals(CRLF)) throw new S3Error('IncompleteBody');
    offset += 2;
  }
  const trailers = {};
  const trailerLines = [];
  for (let text = line(); text !== ''; text = offset < raw.length ? line() : '') {
    const colon = text.indexOf(':');
    if (colon <= 0) throw new S3Error('MalformedTrailerError');
    const name = text.slice(0, colon).trim().toLowerCase();
    const value = text.slice(colon + 1).trim();
    if (name === 'x-amz-trailer-signature') {
      const stringToSign = [
        'AWS4-HMAC-SHA256-TRAILER',
        signing?.longDate,
        signing?.scope,
        previous,
        sha256HexOf([Buffer.from(trailerLines.join(''))]),
      ].join('\n');
      if (signed && value !== hmacHex(signing.signingKey, stringToSign)) {
        throw new S3Error('SignatureDoesNotMatch', undefined, { StringToSign: stringToSign });
      }
    } else {
      trailers[name] = value;
      trailerLines.push(`${name}:${value}\n`);
    }
  }
  return { segments, trailers };
}
