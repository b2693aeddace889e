// Client CPU per PutObject, by way of sending it: the SDK's S3Client.send (as s3.ts configures it, and with
// the SDK's cacheMiddleware), the action's PutObject (src/put-object.ts, compiled with tsc into
// bench-results/ts/), and plain node:http with no signing (the floor a PUT costs in Node). N PUTs of a
// small body at a fixed concurrency to the local S3 (fast mode) in a child process; the CPU measured is
// this process's alone, after a warm-up.
//   node bench/request-cost.mjs [--puts 4000] [--size 4096] [--concurrency 64] [--tls]
//        [--paths sdk,sdk-cached,action,http-floor] [--rounds 3]
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3_CREDENTIALS, startS3Server } from '../local/s3-server.mjs';

const argument = (name, fallback) => {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : process.argv[index + 1];
};
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BUCKET = 'cost-bucket';

if (process.argv.includes('--serve')) {
  const s3 = await startS3Server({ buckets: [BUCKET], mode: 'fast', tls: process.argv.includes('--tls') });
  console.log(JSON.stringify({ url: s3.url, certFile: s3.certFile }));
  createInterface({ input: process.stdin }).on('close', () => s3.close().then(() => process.exit(0)));
} else {
  const puts = Number(argument('puts', '4000'));
  const size = Number(argument('size', '4096'));
  const concurrency = Number(argument('concurrency', '64'));
  const rounds = Number(argument('rounds', '3'));
  const tls = process.argv.includes('--tls');
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve', ...(tls ? ['--tls'] : [])], { stdio: ['pipe', 'pipe', 'inherit'] });
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
  for (const name of argument('paths', 'sdk,sdk-cached,action,http-floor').split(',')) {
    const put = await PATHS[name]();
    for (let index = 0; index < concurrency * 2; index++) await put(-1 - (index % concurrency), body(index)); // warm-up
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
  console.log(`${puts} PUTs of ${size} B per round at concurrency ${concurrency}, ${tls ? 'HTTPS' : 'HTTP'}, Node ${process.version}`);
  child.stdin.end();
  await new Promise((resolve) => child.once('exit', resolve));
}
