/**
 * Just enough of S3 on loopback to see what each write carries, strict where S3 is: a Content-MD5 that
 * does not match the body is refused (400 BadDigest), DeleteObjects without Content-MD5 is refused (as
 * MinIO does), multipart ETags are md5(part MD5s)-N. With `kms`, ETags are not MD5s and every write says
 * `x-amz-server-side-encryption: aws:kms`, as under SSE-KMS.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import { s3Operation } from '../../local/s3-proxy.mjs';
import { xmlDocument } from '../../local/s3-wire.mjs';

export interface RecordedRequest {
  operation: string;
  key: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface StoredObject {
  body: Buffer;
  etag: string;
  headers: Record<string, string>;
  /** Returned by HeadObject with checksum mode on. */
  crc64nvme?: string;
}

export interface RecordingS3 {
  url: string;
  client(options?: { maxAttempts?: number }): S3Client;
  requests: RecordedRequest[];
  objects: Map<string, StoredObject>;
  /** Uploads created and neither completed nor aborted. */
  openUploads(): string[];
  /** Called as each request arrives, before its body is read; may answer it (return true) instead of S3. */
  onRequest?: (request: RecordedRequest, response: http.ServerResponse) => boolean | void;
  kms: boolean;
  /** The most UploadPart requests open at once, overall and within one upload. */
  peakParts(): { overall: number; perUpload: number };
  close(): Promise<void>;
}

const md5 = (bytes: Buffer) => createHash('md5').update(bytes);
const STORED_HEADERS = [
  'content-type',
  'cache-control',
  'content-encoding',
  'x-amz-server-side-encryption',
  'x-amz-server-side-encryption-aws-kms-key-id',
];

export async function startRecordingS3(): Promise<RecordingS3> {
  const objects = new Map<string, StoredObject>();
  const uploads = new Map<string, { key: string; parts: Map<number, Buffer>; headers: Record<string, string> }>();
  const openParts = new Map<string, number>();
  const peak = { overall: 0, perUpload: 0 };
  const state: RecordingS3 = {
    url: '',
    requests: [],
    objects,
    kms: false,
    openUploads: () => [...uploads.keys()],
    peakParts: () => ({ ...peak }),
    client: (options = {}) =>
      new S3Client({
        endpoint: state.url,
        forcePathStyle: true,
        region: 'us-east-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        ...options,
      }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };

  const etagOf = (bytes: Buffer, suffix = '') =>
    state.kms ? randomBytes(16).toString('hex') + suffix : md5(bytes).digest('hex') + suffix;
  const storedHeaders = (headers: http.IncomingHttpHeaders) =>
    Object.fromEntries(STORED_HEADERS.flatMap((name) => (headers[name] ? [[name, String(headers[name])]] : [])));
  const answerHeaders = (): Record<string, string> => (state.kms ? { 'x-amz-server-side-encryption': 'aws:kms' } : {});
  const fail = (response: http.ServerResponse, status: number, code: string) =>
    response
      .writeHead(status, { 'Content-Type': 'application/xml' })
      .end(`<?xml version="1.0"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`);

  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const operation = s3Operation(request.method ?? 'GET', request.url ?? '/', request.headers);
    const key = decodeURIComponent(url.pathname.split('/').slice(2).join('/'));
    const recorded: RecordedRequest = {
      operation,
      key,
      query: url.searchParams,
      headers: request.headers,
      body: Buffer.alloc(0),
    };
    state.requests.push(recorded);
    if (state.onRequest?.(recorded, response)) {
      request.resume();
      return;
    }
    const uploadId = url.searchParams.get('uploadId') ?? '';
    if (operation === 'UploadPart') {
      const open = (openParts.get(uploadId) ?? 0) + 1;
      openParts.set(uploadId, open);
      peak.perUpload = Math.max(peak.perUpload, open);
      peak.overall = Math.max(
        peak.overall,
        [...openParts.values()].reduce((sum, count) => sum + count, 0),
      );
      response.once('close', () => openParts.set(uploadId, (openParts.get(uploadId) ?? 1) - 1));
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      recorded.body = body;
      const contentMd5 = request.headers['content-md5'];
      if (contentMd5 !== undefined && contentMd5 !== md5(body).digest('base64'))
        return fail(response, 400, 'BadDigest');
      switch (operation) {
        case 'PutObject': {
          const etag = etagOf(body);
          objects.set(key, { body, etag, headers: storedHeaders(request.headers) });
          return response.writeHead(200, { ETag: `"${etag}"`, ...answerHeaders() }).end();
        }
        case 'CopyObject': {
          const source = objects.get(key);
          if (!source) return fail(response, 404, 'NoSuchKey');
          const etag = etagOf(source.body);
          objects.set(key, { body: source.body, etag, headers: storedHeaders(request.headers) });
          return response
            .writeHead(200, answerHeaders())
            .end(`<CopyObjectResult><ETag>"${etag}"</ETag></CopyObjectResult>`);
        }
        case 'CreateMultipartUpload': {
          const id = randomBytes(8).toString('hex');
          uploads.set(id, { key, parts: new Map(), headers: storedHeaders(request.headers) });
          return response
            .writeHead(200, answerHeaders())
            .end(`<InitiateMultipartUploadResult><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`);
        }
        case 'UploadPart': {
          const upload = uploads.get(uploadId);
          if (!upload) return fail(response, 404, 'NoSuchUpload');
          upload.parts.set(Number(url.searchParams.get('partNumber')), body);
          return response.writeHead(200, { ETag: `"${etagOf(body)}"`, ...answerHeaders() }).end();
        }
        case 'CompleteMultipartUpload': {
          const upload = uploads.get(uploadId);
          if (!upload) return fail(response, 404, 'NoSuchUpload');
          uploads.delete(uploadId);
          const parts = [...upload.parts.entries()].sort(([a], [b]) => a - b).map(([, part]) => part);
          const etag = state.kms
            ? etagOf(Buffer.alloc(0), `-${parts.length}`)
            : `${md5(Buffer.concat(parts.map((part) => md5(part).digest()))).digest('hex')}-${parts.length}`;
          objects.set(upload.key, { body: Buffer.concat(parts), etag, headers: upload.headers });
          return response
            .writeHead(200, answerHeaders())
            .end(`<CompleteMultipartUploadResult><ETag>"${etag}"</ETag></CompleteMultipartUploadResult>`);
        }
        case 'ListMultipartUploads': {
          const prefix = url.searchParams.get('prefix') ?? '';
          const listed = [...uploads.entries()]
            .filter(([, upload]) => upload.key.startsWith(prefix))
            .map(([id, upload]) => ({ Key: upload.key, UploadId: id }));
          return response
            .writeHead(200, { 'Content-Type': 'application/xml' })
            .end(xmlDocument('ListMultipartUploadsResult', { IsTruncated: false, Upload: listed }));
        }
        case 'AbortMultipartUpload':
          uploads.delete(uploadId);
          return response.writeHead(204).end();
        case 'DeleteObjects': {
          if (contentMd5 === undefined) return fail(response, 400, 'MissingContentMD5');
          for (const [, deleted] of body.toString().matchAll(/<Key>([^<]*)<\/Key>/g)) objects.delete(deleted ?? '');
          return response.writeHead(200).end('<DeleteResult></DeleteResult>');
        }
        case 'HeadObject': {
          const object = objects.get(key);
          if (!object) return response.writeHead(404).end();
          const checksum =
            object.crc64nvme && request.headers['x-amz-checksum-mode'] === 'ENABLED'
              ? { 'x-amz-checksum-crc64nvme': object.crc64nvme, 'x-amz-checksum-type': 'FULL_OBJECT' }
              : {};
          return response
            .writeHead(200, {
              ETag: `"${object.etag}"`,
              'Content-Length': object.body.length,
              ...object.headers,
              ...checksum,
            })
            .end();
        }
        default:
          return fail(response, 501, 'NotImplemented');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}
