/**
 * Review (hostile) of session 17: the SDK clients get agent instances (parts through the proxy), parts sent
 * with the plan's MD5s while the stamp says unchanged, and the benchmark front's handler mode.
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { startS3Proxy } from '../local/s3-proxy.mjs';
import { startS3Server } from '../local/s3-server.mjs';
import { type TlsFront, loopbackCertificate, startTlsFront } from './support/forward-proxy.js';
import { type LocalAws, startLocalAws } from './support/local-aws.js';
import { startFront } from './support/front.js';
import { changedMessage, overwriteUnseen, planFile, uploadTo } from './support/planned.js';
import { NODE24, withNode24 } from './support/node24.js';
import { clientFor } from './support/put-input.js';
import { getObject, largeFile, writeSite } from './support/site.js';

const DISTRIBUTION = 'EREVIEW17000001';
const MiB = 1024 * 1024;

/**
 * A proxy a corporate network really has: it cuts the first tunnel (or connection) that carries more than
 * `resetAfterBytes` upstream, in the middle of a body, and closes every tunnel idle for `idleMs` (0: never).
 */
async function startHostileProxy({ resetAfterBytes, idleMs }: { resetAfterBytes: number; idleMs: number }) {
  const sockets = new Set<net.Socket>();
  const state = { resets: 0, idleCloses: 0, tunnels: 0, requests: 0, targets: [] as string[] };
  let resetDone = false;
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };
  /** Pipes client <-> upstream, cutting a big body once and idle pairs always. */
  const splice = (client: net.Socket, upstream: net.Socket) => {
    let upBytes = 0;
    let idle: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(idle);
      if (idleMs > 0)
        idle = setTimeout(() => {
          state.idleCloses++;
          client.end();
          upstream.end();
        }, idleMs);
    };
    arm();
    client.on('data', (chunk: Buffer) => {
      arm();
      upBytes += chunk.length;
      if (!resetDone && upBytes > resetAfterBytes) {
        resetDone = true;
        state.resets++;
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      arm();
      client.write(chunk);
    });
    for (const socket of [client, upstream]) {
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      socket.on('close', () => {
        clearTimeout(idle);
        client.destroy();
        upstream.destroy();
      });
    }
  };
  const server = http.createServer();
  server.on('connection', track);
  server.on('connect', (request: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    state.tunnels++;
    state.targets.push(request.url ?? '');
    const [host = '', port = ''] = (request.url ?? '').split(':');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      splice(client, upstream);
    });
    track(upstream);
  });
  // Plain http through the proxy: one upstream connection per client connection, raw bytes (absolute-form
  // request lines are accepted by the local servers as they are).
  server.on('request', (request: http.IncomingMessage, response: http.ServerResponse) => {
    state.requests++;
    const target = new URL(request.url ?? '');
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method: request.method,
        headers: request.headers,
        agent: false,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    let upBytes = 0;
    request.on('data', (chunk: Buffer) => {
      upBytes += chunk.length;
      if (!resetDone && upBytes > resetAfterBytes) {
        resetDone = true;
        state.resets++;
        request.socket.resetAndDestroy();
        upstream.destroy();
      }
    });
    upstream.on('error', () => response.destroy());
    request.pipe(upstream);
  });
  if (idleMs > 0) server.keepAliveTimeout = idleMs;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('a runner behind a proxy that cuts a part mid-body and closes idle tunnels', () => {
  let local: LocalAws;
  beforeAll(async () => {
    local = await startLocalAws({ buckets: ['hostile'], distributions: [{ id: DISTRIBUTION }], completeAfterMs: 300 });
  });
  afterAll(() => local?.close());

  const deployThrough = async (scheme: 'https' | 'http', seed: number, idleMs = 300) => {
    const proxy = await startHostileProxy({ resetAfterBytes: 3 * MiB, idleMs });
    const certificate = await loopbackCertificate();
    const fronts: TlsFront[] =
      scheme === 'https'
        ? [await startTlsFront(local.proxy.url, certificate), await startTlsFront(local.cloudFront.url, certificate)]
        : [];
    try {
      const video = largeFile(17 * MiB + 5, seed);
      const poster = largeFile(3 * MiB, seed + 1); // over 2 MiB: Expect: 100-continue, a PutObject
      const source = await writeSite({ 'index.html': `home ${seed}`, 'media/launch.mp4': video, 'poster.png': poster });
      local.proxy.reset();
      const [s3Front, cloudFrontFront] = fronts;
      const endpoints =
        s3Front && cloudFrontFront
          ? {
              AWS_ENDPOINT_URL_S3: s3Front.url,
              AWS_ENDPOINT_URL_CLOUDFRONT: cloudFrontFront.url,
              NODE_EXTRA_CA_CERTS: certificate.certFile,
              HTTPS_PROXY: proxy.url,
            }
          : { HTTP_PROXY: proxy.url };
      const run = await local.deploy(
        { source, bucket: 'hostile', 'distribution-id': DISTRIBUTION, paths: '/*', wait: 'true', concurrency: '2' },
        endpoints,
        { node: NODE24 as string },
      );
      const cloudFrontHost = cloudFrontFront ? new URL(cloudFrontFront.url).host : '';
      const cloudFrontTunnels = proxy.state.targets.filter((target) => target === cloudFrontHost).length;
      return { run, proxy: proxy.state, video, poster, cloudFrontTunnels };
    } finally {
      for (const front of fronts) await front.close();
      await proxy.close();
    }
  };

  for (const scheme of ['https', 'http'] as const) {
    withNode24(`${scheme}: the cut part is sent again, every file arrives whole, the wait ends Completed`, async () => {
      const { run, proxy, video, poster } = await deployThrough(scheme, scheme === 'https' ? 3 : 5);
      expect(run.errors).toEqual([]);
      expect(run.exitCode).toBe(0);
      expect(run.outputs['invalidation-status']).toBe('Completed');
      // Parts go through the proxy (before agent instances, they went around it and were never cut).
      expect(proxy.resets).toBe(1);
      expect((await getObject(local.bucket, 'hostile', 'media/launch.mp4')).body.equals(video)).toBe(true);
      expect((await getObject(local.bucket, 'hostile', 'poster.png')).body.equals(poster)).toBe(true);
      expect(local.s3.multipartUploads('hostile')).toEqual([]);
    });
  }

  // Found in review: every CloudFront step (read the distribution, invalidate, wait) made a client with agents
  // of its own, so a deploy opened a TLS connection, and a proxy tunnel, per step to the same host.
  withNode24(
    'https: one tunnel to CloudFront for the whole deploy, its steps on one kept-alive connection',
    async () => {
      const { run, cloudFrontTunnels } = await deployThrough('https', 9, 0);
      expect(run.exitCode).toBe(0);
      expect(run.outputs['invalidation-status']).toBe('Completed');
      expect(cloudFrontTunnels).toBe(1);
    },
  );
});

describe("the benchmark's front in handler mode (the local S3's handler in the same process)", () => {
  /** A PUT whose body comes in `pieces`, one per turn of the event loop, chunked, with no Content-Length. */
  function chunkedPut(url: string, path: string, headers: Record<string, string>, pieces: Buffer[]) {
    const { hostname, port } = new URL(url);
    return new Promise<{ status: number; text: string }>((resolve, reject) => {
      const request = http.request({ host: hostname, port, method: 'PUT', path, headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      });
      request.on('error', reject);
      const next = (index: number) => {
        if (index === pieces.length) request.end();
        else request.write(pieces[index], () => setImmediate(() => next(index + 1)));
      };
      next(0);
    });
  }
  /** An aws-chunked body (unsigned, no trailer) of `data`, cut into pieces of `size` bytes on the wire. */
  const awsChunked = (data: Buffer, size: number) => {
    const framed = Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n0\r\n\r\n')]);
    const pieces: Buffer[] = [];
    for (let at = 0; at < framed.length; at += size) pieces.push(framed.subarray(at, at + size));
    return pieces;
  };
  const chunkedHeaders = (length: number) => ({
    'content-encoding': 'aws-chunked',
    'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD',
    'x-amz-decoded-content-length': String(length),
    'transfer-encoding': 'chunked',
  });

  it.each(['handler', 'target'] as const)(
    'stores a chunked body without Content-Length that arrives over many turns, counted whole (%s mode)',
    async (mode) => {
      const s3 = await startS3Server({ buckets: ['bench'], mode: 'fast' });
      const front = await startS3Proxy(
        mode === 'handler' ? { handler: s3.handle, latencyMs: 5 } : { target: s3.url, latencyMs: 5 },
      );
      try {
        const data = largeFile(3 * MiB + 17, 13);
        const answer = await chunkedPut(
          front.url,
          '/bench/chunked.bin',
          chunkedHeaders(data.length),
          awsChunked(data, 256 * 1024),
        );
        expect(answer.status).toBe(200);
        expect(s3.object('bench', 'chunked.bin')?.body.equals(data)).toBe(true);
        expect(front.requests.map((request) => request.operation)).toEqual(['PutObject']);
        expect(front.requests[0]?.bytesIn).toBeGreaterThan(data.length);
        // Without a length S3 can know, it is refused alike.
        const unknown = await chunkedPut(front.url, '/bench/unknown.bin', { 'transfer-encoding': 'chunked' }, [data]);
        expect(unknown).toMatchObject({ status: 411 });
        expect(unknown.text).toContain('MissingContentLength');
      } finally {
        await front.close();
        await s3.close();
      }
    },
  );

  it('injects errors and dropped connections in handler mode, and a client that retries still stores every byte', async () => {
    const s3 = await startS3Server({ buckets: ['bench'], mode: 'fast' });
    const front = await startS3Proxy({
      handler: s3.handle,
      faults: { errorRate: 0.25, dropRate: 0.1, seed: 7, failKeys: ['bench/never.html'] },
    });
    const client = clientFor(front.url);
    try {
      const bodies = Array.from({ length: 20 }, (_, index) => largeFile(50_000 + index * 997, index + 1));
      await Promise.all(
        bodies.map((body, index) =>
          client.send(new PutObjectCommand({ Bucket: 'bench', Key: `page-${index}.html`, Body: body })),
        ),
      );
      const refused = await client
        .send(new PutObjectCommand({ Bucket: 'bench', Key: 'never.html', Body: 'x' }))
        .catch((error: { name: string }) => error.name);
      expect(refused).toBe('InternalError');
      for (const [index, body] of bodies.entries())
        expect(s3.object('bench', `page-${index}.html`)?.body.equals(body)).toBe(true);
      expect(s3.object('bench', 'never.html')).toBeUndefined();
      expect(front.injected.errors).toBeGreaterThan(6);
      expect(front.injected.drops).toBeGreaterThan(0);
    } finally {
      client.destroy();
      await front.close();
      await s3.close();
    }
  });
});

describe('two uploads of large files with odd names at once, in one process (shared part buffers)', () => {
  it('each stores its own bytes; the one whose file changed unseen between parts fails alone', async () => {
    const s3 = await startS3Server({ buckets: ['fast-bucket'], mode: 'strict', region: 'eu-west-1' });
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'review-s17-'));
    const names = ['média/a b+c%25?#.mp4', 'media/日本語 😀 (1).mov'];
    const bodies = [largeFile(17 * MiB + 1, 21), largeFile(17 * MiB + 2, 23)];
    let rewritten = false;
    try {
      const files = await Promise.all(
        names.map(async (name, index) => {
          const p = path.join(root, `file-${index}`);
          await fs.writeFile(p, bodies[index] as Buffer);
          return planFile(name, p);
        }),
      );
      const [changing, calm] = files as [Awaited<ReturnType<typeof planFile>>, Awaited<ReturnType<typeof planFile>>];
      // Once the changing file's first part reaches the store, its third is rewritten; the stamp cannot tell.
      const front = await startFront(s3.url, (request) => {
        if (!rewritten && request.url?.includes('partNumber=1') && request.url.includes(encodeURIComponent('média'))) {
          rewritten = true;
          overwriteUnseen(changing, 'late', 16 * MiB);
        }
        return undefined;
      });
      try {
        const [first, second] = await Promise.all([
          uploadTo(front.url, 'fast-bucket', [changing], 1),
          uploadTo(front.url, 'fast-bucket', [calm], 4),
        ]);
        expect(rewritten).toBe(true);
        expect(first.failed).toEqual([{ key: names[0], message: changedMessage(names[0] as string) }]);
        expect(second.failed).toEqual([]);
        expect(s3.object('fast-bucket', names[0] as string)).toBeUndefined();
        expect(s3.object('fast-bucket', names[1] as string)?.body.equals(bodies[1] as Buffer)).toBe(true);
        expect(s3.multipartUploads('fast-bucket')).toEqual([]);
      } finally {
        await front.close();
      }
    } finally {
      await s3.close();
      await fs.rm(root, { recursive: true, force: true });
    }
  });
});
