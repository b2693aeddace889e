/**
 * A hostile network in front of the local S3, for the review tests: numbers every mutating request a deploy
 * sends (retries of one SDK call share a number, recognised by `amz-sdk-invocation-id`), and lets a test
 * decide per request: answer it 500 on every attempt ('fail'), apply it and lose the answer ('drop'), hold it
 * for a while before forwarding ('hold'), kill the deploy before it reaches S3 ('kill'), or call the kill
 * hook (e.g. SIGTERM, a cancellation) and forward it as usual ('signal'). It records when
 * each write was applied, by key, so a test can check that invalidations came after the last write.
 */
import http from 'node:http';
import { s3Operation } from '../../local/s3-proxy.mjs';

export const MUTATING = new Set([
  'PutObject',
  'CopyObject',
  'DeleteObject',
  'DeleteObjects',
  'CreateMultipartUpload',
  'UploadPart',
  'CompleteMultipartUpload',
  'AbortMultipartUpload',
]);

export interface SeenRequest {
  /** 1-based among the mutating calls since the last reset (retries keep the number); 0 when not mutating. */
  index: number;
  attempt: number;
  operation: string;
  method: string;
  /** Decoded, without the bucket: the object key ('' for bucket operations). */
  key: string;
  bucket: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export type Verdict = undefined | 'fail' | 'drop' | 'kill' | 'signal' | { hold: number };

export interface AppliedWrite {
  operation: string;
  bucket: string;
  /** The keys the write changed (DeleteObjects: every key of its body). */
  keys: string[];
  status: number;
  /** Date.now() when the store's answer arrived: the write was applied no later than this. */
  at: number;
  index: number;
}

export interface FaultProxy {
  url: string;
  seen: SeenRequest[];
  applied: AppliedWrite[];
  /** Decides the fate of each request (called once per attempt). */
  rule(decide: ((request: SeenRequest) => Verdict) | undefined): void;
  /** Called by a 'kill' verdict, before the request is dropped. */
  onKill(kill: (() => void) | undefined): void;
  reset(): void;
  close(): Promise<void>;
}

const xmlKeys = (body: string) =>
  [...body.matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map((m) =>
    (m[1] ?? '')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
      .replace(/&#x([0-9a-fA-F]+);/g, (_, n: string) => String.fromCodePoint(Number.parseInt(n, 16)))
      .replace(/&amp;/g, '&'),
  );

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const seen: SeenRequest[] = [];
  const applied: AppliedWrite[] = [];
  let decide: ((request: SeenRequest) => Verdict) | undefined;
  let kill: (() => void) | undefined;
  const invocations = new Map<string, number>();
  let counter = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = request.url ?? '/';
      const operation = s3Operation(request.method ?? 'GET', url, request.headers);
      const rawPath = url.split('?')[0] ?? '/';
      const decoded = decodeURIComponent(rawPath).replace(/^\//, '');
      const slash = decoded.indexOf('/');
      const bucket = slash === -1 ? decoded : decoded.slice(0, slash);
      const key = slash === -1 ? '' : decoded.slice(slash + 1);
      const invocation = String(request.headers['amz-sdk-invocation-id'] ?? `${Math.random()}`);
      let index = 0;
      if (MUTATING.has(operation)) {
        index = invocations.get(invocation) ?? ++counter;
        invocations.set(invocation, index);
      }
      const attempt = Number(/attempt=(\d+)/.exec(String(request.headers['amz-sdk-request'] ?? ''))?.[1] ?? 1);
      const record: SeenRequest = {
        index,
        attempt,
        operation,
        method: request.method ?? '',
        key,
        bucket,
        headers: request.headers,
        body,
      };
      seen.push(record);
      const verdict = decide?.(record);
      if (verdict === 'kill') {
        kill?.();
        request.socket.destroy();
        return;
      }
      if (verdict === 'signal') kill?.();
      if (verdict === 'fail') {
        const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code><Message>injected</Message><RequestId>fault</RequestId></Error>`;
        response.writeHead(500, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(xml) });
        response.end(xml);
        return;
      }
      const forward = () => {
        const proxied = http.request(
          {
            host: upstream.hostname,
            port: upstream.port,
            method: request.method,
            path: url,
            headers: request.headers,
            agent,
          },
          (answer) => {
            const parts: Buffer[] = [];
            answer.on('data', (chunk: Buffer) => parts.push(chunk));
            answer.on('end', () => {
              const status = answer.statusCode ?? 502;
              if (MUTATING.has(operation) && status < 300) {
                const keys = operation === 'DeleteObjects' ? xmlKeys(body.toString('utf8')) : [key];
                applied.push({ operation, bucket, keys, status, at: Date.now(), index });
              }
              if (verdict === 'drop') {
                request.socket.destroy();
                return;
              }
              if (response.destroyed) return;
              response.writeHead(status, answer.headers);
              response.end(Buffer.concat(parts));
            });
          },
        );
        proxied.on('error', () => response.destroy());
        proxied.end(body);
      };
      if (verdict && typeof verdict === 'object') setTimeout(forward, verdict.hold);
      else forward();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    seen,
    applied,
    rule(next) {
      decide = next;
    },
    onKill(next) {
      kill = next;
    },
    reset() {
      seen.length = 0;
      applied.length = 0;
      invocations.clear();
      counter = 0;
    },
    close() {
      server.closeAllConnections?.();
      agent.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
