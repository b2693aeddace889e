/**
 * Raw HTTP requests to the local S3, signed with SigV4 as an SDK signs them (or not at all), for the
 * refusals an SDK would never send: a wrong Content-MD5, a tampered signature, a bad trailer.
 */
import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { S3_CREDENTIALS } from '../../local/s3-server.mjs';

const bytes = (data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array =>
  typeof data === 'string'
    ? data
    : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);

/** The hash constructor SignatureV4 takes: SHA-256, or HMAC-SHA-256 with a key. */
class Sha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret ? createHmac('sha256', bytes(secret)) : createHash('sha256');
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
  reset(): void {}
}

/** A key as S3 paths carry it: every byte but unreserved characters and '/' %-encoded. */
export function encodeKey(key: string): string {
  return key
    .split('/')
    .map((part) =>
      encodeURIComponent(part).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    )
    .join('/');
}

export interface RawRequest {
  method?: string;
  /** Already encoded, e.g. `/site-bucket/${encodeKey(key)}`. */
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** false: no Authorization header at all. */
  sign?: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** x-amz-content-sha256 to sign instead of the body's hash (e.g. UNSIGNED-PAYLOAD). */
  contentSha256?: string;
  /** Changes the request after it was signed (a tampered request); a Buffer returned replaces the body. */
  afterSigning?: (request: { path: string; headers: Record<string, string> }) => Buffer | void;
}

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The <Code> of an error answer. */
  code: string | undefined;
}

const queryString = (query: Record<string, string>) =>
  Object.entries(query)
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
    .join('&');

export async function s3Request(endpoint: string, request: RawRequest): Promise<RawAnswer> {
  const { hostname, port } = new URL(endpoint);
  let body: Buffer = request.body === undefined ? Buffer.alloc(0) : Buffer.from(request.body);
  const query = request.query ?? {};
  let headers: Record<string, string> = {
    host: `${hostname}:${port}`,
    'content-length': String(body.length),
    ...request.headers,
  };
  if (request.sign !== false) {
    const signer = new SignatureV4({
      credentials: request.credentials ?? S3_CREDENTIALS,
      region: 'us-east-1',
      service: 's3',
      sha256: Sha256,
      uriEscapePath: false,
    });
    headers['x-amz-content-sha256'] = request.contentSha256 ?? createHash('sha256').update(body).digest('hex');
    const signed = await signer.sign({
      method: request.method ?? 'GET',
      protocol: 'http:',
      hostname,
      port: Number(port),
      path: request.path,
      query,
      headers,
    });
    headers = signed.headers;
  }
  const target = { path: request.path, headers };
  body = request.afterSigning?.(target) ?? body;
  const search = queryString(query);
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      {
        host: hostname,
        port: Number(port),
        method: request.method ?? 'GET',
        path: search ? `${target.path}?${search}` : target.path,
        headers: target.headers,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text,
            code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1],
          });
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

export const md5Base64 = (body: Buffer | string) => createHash('md5').update(body).digest('base64');
