// Client CPU per PutObject, by way of sending it: the SDK's S3Client.send (as s3.ts configures it, and with
// the SDK's cacheMiddleware), the action's PutObject (src/put-object.ts, compiled with tsc into
// bench-results/ts/), plain node:http with no signing (the floor a PUT costs in Node), and a PUT written
// straight on a keep-alive socket with no HTTP library (socket-floor: what Node's http costs). N PUTs of a
// small body at a fixed concurrency to the local S3 (fast mode) in a child process; the CPU measured is
// this process's alone, after a warm-up (with --cold, none: the first round then pays for opening every
// connection and for the code's first runs, as a deploy's first thousands of requests do).
//   node bench/request-cost.mjs [--puts 4000] [--size 4096] [--concurrency 64] [--tls] [--cold]
//        [--paths sdk,sdk-cached,action,http-floor,socket-floor,undici] [--rounds 3] [--latency MS]
// The undici path (its lowest API, Pool.dispatch) needs undici installed: npm i --no-save undici.
// --latency puts the benchmark's front (local/s3-proxy.mjs, as bench/rig.mjs does) before the server: each
// answer then comes on its own, as on a network, not in bursts as from a server on loopback.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tlsModule from 'node:tls';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startS3Proxy } from '../local/s3-proxy.mjs';
import { S3_CREDENTIALS, startS3Server } from '../local/s3-server.mjs';

const argument = (name, fallback) => {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : process.argv[index + 1];
};
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BUCKET = 'cost-bucket';

if (process.argv.includes('--serve')) {
  const latencyMs = Number(argument('latency', '0'));
  const tls = process.argv.includes('--tls');
  const s3 = await startS3Server({ buckets: [BUCKET], mode: 'fast', tls: tls && latencyMs === 0 });
  // With a latency, the benchmark's front (as bench/rig.mjs uses it) adds it and serves TLS.
  const front = latencyMs > 0 ? await startS3Proxy({ handler: s3.handle, latencyMs, tls }) : undefined;
  console.log(JSON.stringify({ url: front?.url ?? s3.url, certFile: front?.certFile ?? s3.certFile }));
  createInterface({ input: process.stdin }).on('close', async () => {
    await front?.close();
    await s3.close();
    process.exit(0);
  });
} else {
  const puts = Number(argument('puts', '4000'));
  const size = Number(argument('size', '4096'));
  const concurrency = Number(argument('concurrency', '64'));
  const rounds = Number(argument('rounds', '3'));
  const tls = process.argv.includes('--tls');
  const latency = argument('latency', '0');
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve', '--latency', latency, ...(tls ? ['--tls'] : [])], { stdio: ['pipe', 'pipe', 'inherit'] });
  const { url, certFile } = JSON.parse((await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next()).value);
  const ca = certFile ? fs.readFileSync(certFile, 'utf8') : undefined;
  const agentOptions = { keepAlive: true, maxSockets: concurrency + 8, ...(ca ? { ca } : {}) };
  const client = (extra = {}) =>
    new S3Client({
      endpoint: url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: S3_CREDENTIALS,
      followRegionRedirects: true,
      retryMode: 'standard',
      maxAttempts: 6,
      requestHandler: { httpAgent: agentOptions, httpsAgent: agentOptions },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...extra,
    });
  const input = (index, body) => ({
    Bucket: BUCKET,
    Key: `pages/${index}.html`,
    Body: body,
    ContentLength: body.length,
    ContentMD5: createHash('md5').update(body).digest('base64'),
    ContentType: 'text/html',
  });

  const PATHS = {
    sdk: () => {
      const sdk = client();
      return (index, body) => sdk.send(new PutObjectCommand(input(index, body)));
    },
    'sdk-cached': () => {
      const sdk = client({ cacheMiddleware: true });
      return (index, body) => sdk.send(new PutObjectCommand(input(index, body)));
    },
    action: async () => {
      const out = `${ROOT}bench-results/ts`;
      await promisify(execFile)(`${ROOT}node_modules/.bin/tsc`, ['-p', `${ROOT}tsconfig.json`, '--noEmit', 'false', '--outDir', out]);
      const { createPutObject } = await import(`${out}/src/put-object.js`);
      const put = createPutObject(client(), BUCKET);
      return (index, body) => put(input(index, body));
    },
    // What a PUT costs with no HTTP library at all: one request head and body per write on a pool of
    // keep-alive TLS (or TCP) sockets, the answer's status line and Content-Length read by hand. Not a
    // client anyone should ship (no proxy, no chunked answers, no errors); the floor under Node's http.
    'socket-floor': async () => {
      const target = new URL(url);
      const free = [];
      const connect = () =>
        new Promise((resolve, reject) => {
          const socket = tls
            ? tlsModule.connect({ host: target.hostname, port: Number(target.port), ca, servername: 'localhost' }, () => resolve(socket))
            : net.connect({ host: target.hostname, port: Number(target.port) }, () => resolve(socket));
          socket.once('error', reject);
        });
      return async (index, body) => {
        const socket = free.pop() ?? (await connect());
        const { Key, ContentMD5 } = input(index, body);
        const head = `PUT /${BUCKET}/${Key} HTTP/1.1\r\nHost: ${target.host}\r\nContent-Type: text/html\r\nContent-Length: ${body.length}\r\nContent-MD5: ${ContentMD5}\r\n\r\n`;
        await new Promise((resolve, reject) => {
          let text = '';
          const onData = (chunk) => {
            text += chunk.toString('latin1');
            const end = text.indexOf('\r\n\r\n');
            if (end === -1) return;
            const length = Number(/\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end))?.[1] ?? 0);
            if (text.length < end + 4 + length) return;
            socket.off('data', onData);
            if (!text.startsWith('HTTP/1.1 200')) reject(new Error(text.slice(0, 200)));
            else resolve();
          };
          socket.on('data', onData);
          socket.cork();
          socket.write(head, 'latin1');
          socket.write(body);
          socket.uncork();
        });
        free.push(socket);
      };
    },
    // undici, the HTTP/1.1 client behind Node's fetch, by its lowest API (no streams, no promises of its own).
    undici: async () => {
      const { Pool } = await import('undici');
      const pool = new Pool(url, { connections: concurrency + 8, connect: ca ? { ca, servername: 'localhost' } : {} });
      return (index, body) =>
        new Promise((resolve, reject) => {
          const { Key, ContentMD5 } = input(index, body);
          let status = 0;
          const headers = ['content-type', 'text/html', 'content-length', String(body.length), 'content-md5', ContentMD5];
          pool.dispatch(
            { path: `/${BUCKET}/${Key}`, method: 'PUT', headers, body },
            {
              onConnect() {},
              onHeaders: (code) => ((status = code), true),
              onData: () => true,
              onComplete: () => (status === 200 ? resolve() : reject(new Error(`HTTP ${status}`))),
              onError: reject,
            },
          );
        });
    },
    'http-floor': () => {
      const target = new URL(url);
      const agent = new (tls ? https : http).Agent(agentOptions);
      return (index, body) =>
        new Promise((resolve, reject) => {
          const { Key, ContentMD5 } = input(index, body);
          const request = (tls ? https : http).request(
            { host: target.hostname, port: target.port, method: 'PUT', path: `/${BUCKET}/${Key}`, agent, headers: { 'content-type': 'text/html', 'content-length': body.length, 'content-md5': ContentMD5 } },
            (response) => response.resume().on('end', resolve),
          );
          request.on('error', reject);
          request.end(body);
        });
    },
  };

  const body = (index) => {
    const bytes = Buffer.alloc(size, index % 251);
    bytes.write(`object ${index}\n`);
    return bytes;
  };
  const results = {};
  for (const name of argument('paths', 'sdk,sdk-cached,action,http-floor,socket-floor').split(',')) {
    const put = await PATHS[name]();
    // Warm-up: two waves of `concurrency` PUTs at once, so every socket is open (a TLS connection costs
    // the client ~2 ms of CPU, seven requests' worth) and the rounds measure requests alone.
    for (let wave = 0; wave < (process.argv.includes('--cold') ? 0 : 2); wave++) {
      await Promise.all(Array.from({ length: concurrency }, (_, index) => put(-1 - index, body(index))));
    }
    results[name] = [];
    for (let round = 0; round < rounds; round++) {
      const before = process.cpuUsage();
      let next = 0;
      await Promise.all(Array.from({ length: concurrency }, async () => {
        while (next < puts) {
          const index = next++;
          await put(index, body(index));
        }
      }));
      const { user, system } = process.cpuUsage(before);
      results[name].push((user + system) / 1000 / puts);
    }
    const sorted = [...results[name]].sort((a, b) => a - b);
    console.log(`${name.padEnd(11)} ${sorted[Math.floor(sorted.length / 2)].toFixed(3)} ms of client CPU per PutObject (rounds: ${results[name].map((ms) => ms.toFixed(3)).join(' ')})`);
  }
  console.log(`${puts} PUTs of ${size} B per round at concurrency ${concurrency}, ${tls ? 'HTTPS' : 'HTTP'}, ${latency} ms per request, Node ${process.version}`);
  child.stdin.end();
  await new Promise((resolve) => child.once('exit', resolve));
}
