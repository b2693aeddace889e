// CPU the local S3 (local/s3-server.mjs) spends per PutObject, in its fast and strict modes: N PUTs of a
// small body from the JS SDK (with Content-MD5, as the action sends them) at a fixed concurrency. The server
// runs in a child process, so the CPU measured (process.cpuUsage there) is the server's alone.
//   node bench/s3-server-cpu.mjs [--puts 2000] [--size 4096] [--concurrency 64] [--modes fast,strict]
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3_CREDENTIALS, startS3Server } from '../local/s3-server.mjs';

const argument = (name, fallback) => {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : process.argv[index + 1];
};

if (process.argv.includes('--serve')) {
  // The child: serve, and answer each line on stdin with this process's CPU time so far (µs).
  const s3 = await startS3Server({ buckets: ['cpu-bucket'], mode: argument('serve', 'strict') });
  console.log(s3.url);
  const lines = createInterface({ input: process.stdin });
  lines.on('line', () => {
    const { user, system } = process.cpuUsage();
    console.log(user + system);
  });
  lines.on('close', () => s3.close().then(() => process.exit(0)));
} else {
  const puts = Number(argument('puts', '2000'));
  const size = Number(argument('size', '4096'));
  const concurrency = Number(argument('concurrency', '64'));
  for (const mode of argument('modes', 'fast,strict').split(',')) {
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--serve', mode], { stdio: ['pipe', 'pipe', 'inherit'] });
    const output = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const nextLine = async () => (await output.next()).value;
    const url = await nextLine();
    const cpu = async () => {
      child.stdin.write('\n');
      return Number(await nextLine());
    };
    const client = new S3Client({
      endpoint: url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: S3_CREDENTIALS,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      requestHandler: { httpAgent: { keepAlive: true, maxSockets: concurrency } },
    });
    const put = (index) => {
      const body = Buffer.alloc(size, index % 251);
      body.write(`object ${index}`);
      const ContentMD5 = createHash('md5').update(body).digest('base64');
      return client.send(new PutObjectCommand({ Bucket: 'cpu-bucket', Key: `f/${index}.html`, Body: body, ContentMD5 }));
    };
    await put(-1); // warm-up: connections, JIT
    const before = await cpu();
    const started = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < puts) await put(next++);
    }));
    const seconds = (performance.now() - started) / 1000;
    const serverMs = ((await cpu()) - before) / 1000;
    console.log(`${mode}: ${puts} PUTs of ${size} B at concurrency ${concurrency}: ${seconds.toFixed(2)} s wall, server CPU ${(serverMs / 1000).toFixed(2)} s = ${(serverMs / puts).toFixed(3)} ms per PUT`);
    client.destroy();
    child.stdin.end();
    await new Promise((resolve) => child.once('exit', resolve));
  }
}
