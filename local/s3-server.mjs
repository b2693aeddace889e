// A local S3 for tests, the demo and the benchmark: an in-process HTTP server on loopback that answers
// the S3 REST API (path-style) as strictly as S3 and the strictest S3-compatible stores do. Hand-written
// because no well-kept npm package verifies what S3 verifies: s3rver, the previous choice, accepts a wrong
// Content-MD5, a DeleteObjects without one and unsigned requests, gives multipart uploads a plain MD5 ETag,
// has no conditional writes, and needs --openssl-legacy-provider. Bugs it let through reached users.
//
// Modules: s3-server.mjs (HTTP, options, test helpers); the operations in s3-objects.mjs, s3-multipart.mjs
// and s3-buckets.mjs, with what writes share in s3-writes.mjs; s3-store.mjs (buckets, listing order, write
// preconditions); s3-auth.mjs (SigV4, aws-chunked); s3-wire.mjs (errors, XML, checksums); tls.mjs (the
// loopback certificate of its HTTPS mode). Run alone: node local/s3-server.mjs [--port N] [--fast] [--tls]
import http from 'node:http';
import https from 'node:https';
import { fileURLToPath } from 'node:url';
import { decodeAwsChunked, isAwsChunked, verifySignature } from './s3-auth.mjs';
import {
  createBucket,
  deleteBucket,
  getBucketLocation,
  headBucket,
  listBuckets,
  listObjects,
  listObjectsV2,
} from './s3-buckets.mjs';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  createMultipartUpload,
  listMultipartUploads,
  listParts,
  uploadPart,
} from './s3-multipart.mjs';
import { copyObject, deleteObject, deleteObjects, getObject, putObject } from './s3-objects.mjs';

import { s3Operation } from './s3-proxy.mjs';
import { Store } from './s3-store.mjs';
import { loopbackCertificate } from './tls.mjs';
import { S3Error, decodePathPart, errorXml, newRequestId, sha256HexOf } from './s3-wire.mjs';

/** The only access key pair the server accepts. */
export const S3_CREDENTIALS = {
  accessKeyId: 'LOCALS3ACCESSKEY0001',
  secretAccessKey: 'local-s3/secret+key=not-a-real-one',
};

/** The operations answered, by the name s3Operation (s3-proxy.mjs) gives a request. */
const OPERATIONS = {
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

/** Operations whose request carries an object's bytes (Content-Length required, as S3 requires it). */
const BODY_WRITES = new Set(['PutObject', 'UploadPart']);

/** Bucket sub-resources this server does not implement: answered 501, never mistaken for a listing. */
const UNSUPPORTED_SUBRESOURCES = [
  'acl',
  'policy',
  'versioning',
  'versions',
  'lifecycle',
  'cors',
  'website',
  'tagging',
  'encryption',
  'object-lock',
  'retention',
  'legal-hold',
  'notification',
  'replication',
  'logging',
  'attributes',
  'restore',
  'select',
];

/**
 * The body a request sent: one Buffer sized by Content-Length (no copy beyond the socket's), or the
 * chunks joined when the length is not known in advance.
 */
function readBody(request) {
  return new Promise((resolve, reject) => {
    const length = Number(request.headers['content-length']);
    const known = request.headers['content-length'] !== undefined && Number.isSafeInteger(length) && length >= 0;
    const chunks = [];
    const buffer = known ? Buffer.allocUnsafe(length) : undefined;
    let offset = 0;
    request.on('data', (chunk) => {
      if (buffer) chunk.copy(buffer, offset);
      else chunks.push(chunk);
      offset += chunk.length;
    });
    request.on('end', () => {
      if (buffer && offset !== length) reject(new S3Error('IncompleteBody'));
      else resolve(buffer ?? Buffer.concat(chunks));
    });
    request.on('error', reject);
  });
}

/** 'bucket' and the decoded key from a path-style URL's raw path. */
function parseTarget(url) {
  const [path = '/'] = url.split('?');
  const slash = path.indexOf('/', 1);
  const bucketName = decodePathPart(slash === -1 ? path.slice(1) : path.slice(1, slash));
  const key = slash === -1 ? '' : decodePathPart(path.slice(slash + 1));
  return { bucketName, key };
}

/**
 * The object's bytes and the headers to check them against: the body as sent, or an aws-chunked body
 * decoded with its trailing checksum lifted into the headers. Strict mode verifies x-amz-content-sha256,
 * the chunk signatures and the trailing checksum.
 */
async function requestBody(raw, headers, signing, strict) {
  if (!isAwsChunked(headers)) {
    if (
      strict &&
      /^[0-9a-f]{64}$/.test(headers['x-amz-content-sha256'] ?? '') &&
      sha256HexOf([raw]) !== headers['x-amz-content-sha256']
    ) {
      throw new S3Error('XAmzContentSHA256Mismatch', undefined, {
        ClientComputedContentSHA256: headers['x-amz-content-sha256'],
        S3ComputedContentSHA256: sha256HexOf([raw]),
      });
    }
    return { body: { segments: raw.length > 0 ? [raw] : [], size: raw.length }, headers };
  }
  const { segments, trailers } = decodeAwsChunked(raw, strict ? signing : undefined);
  const size = segments.reduce((sum, segment) => sum + segment.length, 0);
  const decodedLength = headers['x-amz-decoded-content-length'];
  if (decodedLength !== undefined && Number(decodedLength) !== size) throw new S3Error('IncompleteBody');
  const declared = (headers['x-amz-trailer'] ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  if (declared.some((name) => trailers[name] === undefined)) throw new S3Error('MalformedTrailerError');
  // A trailing checksum is checked with the headers, as if it had been sent as one.
  return { body: { segments, size }, headers: { ...headers, ...trailers } };
}

/**
 * @param {import('./s3-server.d.mts').S3ServerOptions} [options]
 * @returns {Promise<import('./s3-server.d.mts').LocalS3Server>}
 */
export async function startS3Server({
  buckets = ['site-bucket'],
  port = 0,
  host = '127.0.0.1',
  region = 'us-east-1',
  ...rest
} = {}) {
  const options = {
    mode: 'strict',
    etags: 'md5',
    refuseAwsChunked: false,
    refuseUnsignedPayload: false,
    acceptAcls: false,
    conditionalWrites: true,
    objectLock: false,
    tls: false,
    clockOffset: 0,
    ...rest,
  };
  options.logRequests ??= options.mode === 'strict';
  const store = new Store();
  for (const name of buckets) store.createBucket(name);
  /** Every bucket lives in one region; a request signed for another is redirected, as S3's regional endpoints do. */
  const bucketRegion = region;
  const state = {
    store,
    options,
    get strict() {
      return options.mode !== 'fast';
    },
    url: '',
    /** 'bucket/key' -> how many of its next conditional writes answer 409 ConditionalRequestConflict. */
    conflicts: new Map(),
  };
  const credentials = new Map([[S3_CREDENTIALS.accessKeyId, S3_CREDENTIALS.secretAccessKey]]);
  for (const pair of options.credentials ?? []) credentials.set(pair.accessKeyId, pair.secretAccessKey);
  /** @type {import('./s3-server.d.mts').ReceivedRequest[]} */
  const requests = [];

  async function answer(request, response, record) {
    const headers = request.headers;
    const url = request.url ?? '/';
    const { bucketName, key } = parseTarget(url);
    record.bucket = bucketName;
    record.key = key;
    const raw = await readBody(request);
    const signing = state.strict
      ? await verifySignature({
          method: request.method,
          url,
          headers,
          credentials,
          now: Date.now() + options.clockOffset,
        })
      : undefined;
    const signedRegion = signing?.scope.split('/')[1];
    if (bucketName && signedRegion && signedRegion !== bucketRegion && store.buckets.has(bucketName)) {
      // What a regional endpoint answers for a bucket in another region; the SDK follows it
      // (followRegionRedirects) by the x-amz-bucket-region header.
      throw new S3Error(
        'PermanentRedirect',
        undefined,
        { Bucket: bucketName, Endpoint: `s3.${bucketRegion}.amazonaws.com` },
        { 'x-amz-bucket-region': bucketRegion },
      );
    }
    const sendsAcl = headers['x-amz-acl'] || Object.keys(headers).some((name) => name.startsWith('x-amz-grant-'));
    if (sendsAcl && !options.acceptAcls) {
      // Buckets created since April 2023 have ACLs disabled (Object Ownership: bucket owner enforced).
      throw new S3Error('AccessControlListNotSupported');
    }
    if (options.refuseUnsignedPayload && headers['x-amz-content-sha256'] === 'UNSIGNED-PAYLOAD') {
      // Stores that verify only signed payloads.
      throw new S3Error('InvalidRequest', 'UNSIGNED-PAYLOAD is not supported: sign the payload.');
    }
    if (options.refuseAwsChunked && isAwsChunked(headers)) {
      // What stores without aws-chunked support answer (Alibaba OSS's wording).
      throw new S3Error(
        'InvalidArgument',
        'aws-chunked encoding is not supported with the specified x-amz-content-sha256 value.',
        {
          ArgumentName: 'Content-Encoding',
          ArgumentValue: headers['content-encoding'] ?? headers['x-amz-content-sha256'],
        },
      );
    }
    const query = new URLSearchParams(url.split(/\?(.*)/s)[1] ?? '');
    const operation = record.operation;
    const handler = OPERATIONS[operation];
    if (!handler || UNSUPPORTED_SUBRESOURCES.some((name) => query.has(name))) {
      throw new S3Error(
        handler || operation === 'Post' || operation === 'UploadPartCopy' ? 'NotImplemented' : 'MethodNotAllowed',
      );
    }
    // S3 takes a body of unknown length only as aws-chunked that names its decoded length.
    const lengthKnown =
      headers['content-length'] !== undefined ||
      (isAwsChunked(headers) && headers['x-amz-decoded-content-length'] !== undefined);
    if (BODY_WRITES.has(operation) && !lengthKnown) throw new S3Error('MissingContentLength');
    const decoded = await requestBody(raw, headers, signing, state.strict);
    const result = await handler({
      server: state,
      operation,
      method: request.method,
      bucketName,
      key,
      query,
      headers: decoded.headers,
      body: decoded.body,
    });
    return result;
  }

  function send(response, record, requestId, { status = 200, headers = {}, body }) {
    const segments = body === undefined ? [] : typeof body === 'string' ? [Buffer.from(body)] : body;
    const base = {
      'x-amz-request-id': requestId,
      'x-amz-id-2': requestId,
      Server: 'AmazonS3',
      Date: new Date(Date.now() + options.clockOffset).toUTCString(),
    };
    if (typeof body === 'string') base['Content-Type'] = 'application/xml';
    if (headers['Content-Length'] === undefined && status !== 204 && status !== 304) {
      base['Content-Length'] = String(segments.reduce((sum, segment) => sum + segment.length, 0));
    }
    record.status = status;
    response.writeHead(status, { ...base, ...headers });
    for (const segment of segments) response.write(segment);
    response.end();
  }

  const handle = (request, response) => {
    const requestId = newRequestId();
    const method = request.method ?? 'GET';
    const record = {
      operation: s3Operation(method, request.url ?? '/', request.headers),
      method,
      url: request.url ?? '/',
      bucket: '',
      key: '',
      headers: request.headers,
      status: 0,
    };
    if (options.logRequests) requests.push(record);
    answer(request, response, record).then(
      (result) => send(response, record, requestId, result),
      (error) => {
        const s3Error = error instanceof S3Error ? error : new S3Error('InternalError', String(error?.stack ?? error));
        record.code = s3Error.code;
        if (s3Error.fields.Key === undefined && record.key && s3Error.status !== 403)
          s3Error.fields = { ...s3Error.fields, Key: record.key };
        const body = method === 'HEAD' ? undefined : errorXml(s3Error, requestId);
        if (!response.headersSent)
          send(response, record, requestId, { status: s3Error.status, body, headers: s3Error.headers ?? {} });
        else response.destroy();
      },
    );
  };
  const certificate = options.tls ? loopbackCertificate() : undefined;
  const server = certificate
    ? https.createServer({ key: certificate.key, cert: certificate.cert }, handle)
    : http.createServer(handle);
  server.keepAliveTimeout = 30_000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  state.url = `${certificate ? 'https' : 'http'}://${host}:${address.port}`;

  const bucketOf = (name) => store.buckets.get(name);
  return {
    url: state.url,
    port: address.port,
    certFile: certificate?.certFile,
    options,
    requests,
    handle,
    object(bucket, key) {
      const found = bucketOf(bucket)?.objects.get(key);
      if (!found) return undefined;
      return {
        body: found.segments.length === 1 ? found.segments[0] : Buffer.concat(found.segments),
        size: found.size,
        etag: found.etag,
        lastModified: found.lastModified,
        headers: { ...found.headers },
        metadata: { ...found.metadata },
        checksum: { ...found.checksum },
      };
    },
    keys: (bucket) => [...(bucketOf(bucket)?.sortedKeys() ?? [])],
    multipartUploads: (bucket) =>
      [...(bucketOf(bucket)?.uploads.values() ?? [])].map(({ id, key, initiated, parts }) => ({
        uploadId: id,
        key,
        initiated,
        parts: parts.size,
      })),
    /** Moves an object's Last-Modified (a lock left long ago, say). */
    setLastModified(bucket, key, date) {
      const found = bucketOf(bucket)?.objects.get(key);
      if (found) found.lastModified = date;
    },
    conflictNextConditionalWrite(bucket, key, times = 1) {
      state.conflicts.set(`${bucket}/${key}`, times);
    },
    addCredentials({ accessKeyId, secretAccessKey }) {
      credentials.set(accessKeyId, secretAccessKey);
    },
    configure(changes) {
      Object.assign(options, changes);
    },
    close() {
      server.closeAllConnections?.();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const portIndex = process.argv.indexOf('--port');
  const regionIndex = process.argv.indexOf('--region');
  const s3 = await startS3Server({
    port: portIndex === -1 ? 0 : Number(process.argv[portIndex + 1]),
    ...(regionIndex === -1 ? {} : { region: process.argv[regionIndex + 1] }),
    mode: process.argv.includes('--fast') ? 'fast' : 'strict',
    tls: process.argv.includes('--tls'),
  });
  console.log(
    `Local S3 (${s3.options.mode}) at ${s3.url}, bucket site-bucket; credentials ${JSON.stringify(S3_CREDENTIALS)}`,
  );
}
