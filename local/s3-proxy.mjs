// A loopback HTTP proxy in front of the local S3 that names and counts every request by S3 operation,
// and can add a fixed latency to each, as a network to a real region would.
import http from 'node:http';

/** The S3 operation a path-style request is, from its method, query and headers. */
export function s3Operation(method, url, headers) {
  const { pathname, searchParams } = new URL(url, 'http://localhost');
  const isBucket = pathname.split('/').filter(Boolean).length <= 1;
  const has = (name) => searchParams.has(name);
  switch (method) {
    case 'GET':
      if (isBucket) return has('list-type') ? 'ListObjectsV2' : 'ListObjects';
      return 'GetObject';
    case 'HEAD':
      return isBucket ? 'HeadBucket' : 'HeadObject';
    case 'PUT':
      if (has('partNumber')) return 'UploadPart';
      return headers['x-amz-copy-source'] ? 'CopyObject' : 'PutObject';
    case 'POST':
      if (has('delete')) return 'DeleteObjects';
      if (has('uploads')) return 'CreateMultipartUpload';
      if (has('uploadId')) return 'CompleteMultipartUpload';
      return 'Post';
    case 'DELETE':
      return has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
    default:
      return method;
  }
}

/**
 * @param {{ target: string, latencyMs?: number }} options  target: the S3 server's URL
 */
export async function startS3Proxy({ target, latencyMs = 0 }) {
  const upstream = new URL(target);
  /** @type {Array<{ operation: string, method: string, path: string, bytesIn: number }>} */
  const requests = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

  const server = http.createServer((request, response) => {
    const operation = s3Operation(request.method ?? 'GET', request.url ?? '/', request.headers);
    const record = { operation, method: request.method ?? '', path: decodeURIComponent((request.url ?? '/').split('?')[0]), bytesIn: 0 };
    requests.push(record);
    request.on('data', (chunk) => {
      record.bytesIn += chunk.length;
    });
    const forward = () => {
      const proxied = http.request(
        { host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers: request.headers, agent },
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
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    requests,
    /** Requests by operation, e.g. { ListObjectsV2: 2, PutObject: 20 }. */
    counts() {
      const counts = {};
      for (const { operation } of requests) counts[operation] = (counts[operation] ?? 0) + 1;
      return counts;
    },
    reset() {
      requests.length = 0;
    },
    close() {
      server.closeAllConnections?.();
      agent.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
