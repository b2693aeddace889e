// A loopback HTTP proxy in front of the local S3 that names and counts every request by S3 operation,
// can add a fixed latency to each, as a network to a real region would, and can inject faults: S3's
// 503 SlowDown and 500 InternalError answers, dropped connections, and keys that always fail. With `tls`
// it serves HTTPS (local/tls.mjs's loopback certificate) and forwards plain HTTP, as a TLS front would.
// Given a `handler` (the local S3's own, local/s3-server.mjs `handle`) instead of a `target`, it hands each
// request to that server in this process rather than over a second HTTP connection: the benchmark's rig,
// where a hop that parses and writes every request twice would cost the machine the tools run on.
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { loopbackCertificate } from './tls.mjs';

/** The S3 operation a path-style request is, from its method, path, query and headers. */
export function s3Operation(method, url, headers) {
  const [path = '/', query = ''] = url.split(/\?(.*)/s);
  const searchParams = new URLSearchParams(query);
  const has = (name) => searchParams.has(name);
  if (path === '/' || path === '') return method === 'GET' ? 'ListBuckets' : method;
  const slash = path.indexOf('/', 1);
  const isBucket = slash === -1 || slash === path.length - 1;
  switch (method) {
    case 'GET':
      if (isBucket) {
        if (has('uploads')) return 'ListMultipartUploads';
        if (has('location')) return 'GetBucketLocation';
        return has('list-type') ? 'ListObjectsV2' : 'ListObjects';
      }
      return has('uploadId') ? 'ListParts' : 'GetObject';
    case 'HEAD':
      return isBucket ? 'HeadBucket' : 'HeadObject';
    case 'PUT':
      if (isBucket) return 'CreateBucket';
      if (has('partNumber')) return headers['x-amz-copy-source'] ? 'UploadPartCopy' : 'UploadPart';
      return headers['x-amz-copy-source'] ? 'CopyObject' : 'PutObject';
    case 'POST':
      if (has('delete')) return 'DeleteObjects';
      if (has('uploads')) return 'CreateMultipartUpload';
      if (has('uploadId')) return 'CompleteMultipartUpload';
      return 'Post';
    case 'DELETE':
      if (isBucket) return 'DeleteBucket';
      return has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
    default:
      return method;
  }
}

/** A small seeded PRNG (mulberry32), so a faulty run or a benchmark's site can be replayed exactly. */
export function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const S3_ERRORS = [
  { status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' },
  { status: 500, code: 'InternalError', message: 'We encountered an internal error. Please try again.' },
];

/**
 * @typedef {{ errorRate?: number, dropRate?: number, seed?: number, failKeys?: string[] }} Faults
 *   errorRate: share of requests answered 503/500; dropRate: share whose connection is cut before any
 *   answer; failKeys: object keys ('bucket/key') whose writes always answer 500.
 * @param {{ target?: string, handler?: (request: http.IncomingMessage, response: http.ServerResponse) => void, latencyMs?: number, faults?: Faults, tls?: boolean }} options
 *   target: the S3 server's URL, or handler: its request handler in this process; tls: serve https://
 *   (clients trust `certFile`)
 */
export async function startS3Proxy({ target, handler, latencyMs: initialLatencyMs = 0, faults = {}, tls = false }) {
  if ((target === undefined) === (handler === undefined))
    throw new Error('startS3Proxy needs a target or a handler, not both');
  let latencyMs = initialLatencyMs;
  const upstream = new URL(target ?? 'http://127.0.0.1');
  let fault = { errorRate: 0, dropRate: 0, failKeys: [], ...faults };
  let random = seededRandom(fault.seed ?? 1);
  const injected = { errors: 0, drops: 0 };

  /** Answers the request with a fault, or returns false to let it through. */
  function injectFault(record, request, response) {
    const objectPath = record.path.replace(/^\//, '');
    if (request.method !== 'GET' && fault.failKeys.includes(objectPath)) {
      respondError(response, S3_ERRORS[1]);
      injected.errors++;
      return true;
    }
    const roll = random();
    if (roll < fault.dropRate) {
      injected.drops++;
      request.socket.destroy();
      return true;
    }
    if (roll < fault.dropRate + fault.errorRate) {
      injected.errors++;
      respondError(response, S3_ERRORS[Math.floor(random() * S3_ERRORS.length)]);
      return true;
    }
    return false;
  }

  function respondError(response, { status, code, message }) {
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>proxy</RequestId></Error>`;
    response.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
    response.end(body);
  }
  /** @type {Array<{ operation: string, method: string, path: string, query: string, headers: Record<string, string | string[] | undefined>, bytesIn: number, bodyMd5?: string, start: number, end?: number }>} */
  const requests = [];
  /** @type {((record: object) => void) | undefined} */
  let onRequest;
  // Off by default: hashing every body would cost the benchmark CPU that belongs to the client.
  let hashBodies = false;
  const secure = upstream.protocol === 'https:';
  const agent = handler
    ? undefined
    : new (secure ? https : http).Agent({
        keepAlive: true,
        maxSockets: 512,
        ...(secure ? { ca: loopbackCertificate().cert } : {}),
      });
  const certificate = tls ? loopbackCertificate() : undefined;

  const handle = (request, response) => {
    const operation = s3Operation(request.method ?? 'GET', request.url ?? '/', request.headers);
    const record = {
      operation,
      method: request.method ?? '',
      path: decodeURIComponent((request.url ?? '/').split('?')[0]),
      query: (request.url ?? '').split('?')[1] ?? '',
      headers: request.headers,
      bytesIn: 0,
      start: performance.now(),
    };
    requests.push(record);
    onRequest?.(record);
    response.once('close', () => (record.end = performance.now()));
    // The request stays paused until forwarded (TCP holds its body during the latency): a 'data' listener
    // attached earlier would start it flowing and the body would be gone before the pipe upstream.
    const forward = () => {
      const bodyHash = hashBodies ? createHash('md5') : undefined;
      request.on('data', (chunk) => {
        record.bytesIn += chunk.length;
        bodyHash?.update(chunk);
      });
      if (bodyHash) request.on('end', () => (record.bodyMd5 = bodyHash.digest('base64')));
      if (injectFault(record, request, response)) {
        request.resume();
        return;
      }
      // Both 'data' listeners are on before the body flows (that starts on the next tick), so each sees it all:
      // a handler that listens only later (after an await) would miss the body, and wait for it forever.
      if (handler) return handler(request, response);
      const proxied = (secure ? https : http).request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: request.method,
          path: request.url,
          headers: request.headers,
          agent,
        },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      proxied.on('error', () => response.destroy());
      request.pipe(proxied);
    };
    if (latencyMs > 0) setTimeout(forward, latencyMs);
    else forward();
  };
  const server = certificate
    ? https.createServer({ key: certificate.key, cert: certificate.cert }, handle)
    : http.createServer(handle);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `${certificate ? 'https' : 'http'}://127.0.0.1:${server.address().port}`;
  return {
    url,
    /** With tls: the certificate's PEM file, for NODE_EXTRA_CA_CERTS, AWS_CA_BUNDLE or rclone's --ca-cert. */
    certFile: certificate?.certFile,
    requests,
    /** Requests by operation, e.g. { ListObjectsV2: 2, PutObject: 20 }. */
    counts() {
      const counts = {};
      for (const { operation } of requests) counts[operation] = (counts[operation] ?? 0) + 1;
      return counts;
    },
    /** The most requests that were open at the same moment since the last reset. */
    peakInFlight() {
      const events = requests.flatMap(({ start, end }) => [
        [start, 1],
        [end ?? Number.POSITIVE_INFINITY, -1],
      ]);
      events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      let open = 0;
      let peak = 0;
      for (const [, change] of events) peak = Math.max(peak, (open += change));
      return peak;
    },
    reset() {
      requests.length = 0;
    },
    /** Changes the latency added to every request from now on. */
    setLatency(ms) {
      latencyMs = ms;
    },
    /** Replaces the faults (and restarts their random sequence); {} turns them off. */
    setFaults(faults) {
      fault = { errorRate: 0, dropRate: 0, failKeys: [], ...faults };
      random = seededRandom(fault.seed ?? 1);
    },
    /** Called with each request's record as it arrives, before it is forwarded (undefined: none). */
    onRequest(hook) {
      onRequest = hook;
    },
    /** Whether each request's body MD5 is recorded (bodyMd5) from now on. */
    hashBodies(on) {
      hashBodies = on;
    },
    /** How many faults were injected so far. */
    injected,
    close() {
      server.closeAllConnections?.();
      agent?.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
