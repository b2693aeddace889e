// The rig every measurement runs on: the local S3 (local/s3-server.mjs in its fast mode: no
// verification, so the server is not what is measured) behind the loopback front of local/s3-proxy.mjs (a
// fixed latency per request, requests counted by S3 operation, HTTPS with the loopback certificate when
// asked), the bucket helpers that set up and check each run, and runTool, which runs one tool to completion
// under GNU time.
//
// Why it is built this way:
// - The front hands each request to the local S3's handler in this process (startS3Proxy's `handler`),
//   not over a second HTTP connection to a server in a child process. That hop parsed and wrote every
//   request and answer twice: on this 2-core machine it cost about as much CPU as the server itself (1.6
//   CPU-s of each per 2,000 uploads), CPU taken from the tool being measured. The server's own port (no
//   latency, not counted) is what the bucket helpers use.
// - Everything the rig does runs in this process, so its CPU is this process's: cpuMeter reads it.
// - Peak memory and CPU come from GNU time's %M, %U and %S (/usr/bin/time is installed here); without it,
//   /proc/PID/status VmHWM of the spawned process is polled instead, and CPU is not known.
// - Every wait is bounded: tool runs are killed after --timeout seconds.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CreateBucketCommand, DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { parseOutputFile } from '../local/run-action.mjs';
import { startS3Proxy } from '../local/s3-proxy.mjs';
import { S3_CREDENTIALS, startS3Server } from '../local/s3-server.mjs';
import { REGION, TOOLS } from './peers.mjs';
import { GNU_TIME, MiB, seconds } from './report.mjs';
import { md5 } from './sites.mjs';

/**
 * The local S3 (fast mode) and the front that the tools are pointed at. `endpoint` is the front (latency,
 * counts, and TLS when `tls`); `s3.url` is the server itself, for setting buckets up and checking them
 * without latency or counting.
 */
export async function startRig({ latency, tls }) {
  // acceptAcls: rclone 1.60 sends x-amz-acl on every write, which a bucket without ACLs refuses.
  const server = await startS3Server({ buckets: [], mode: 'fast', acceptAcls: true });
  const proxy = await startS3Proxy({ handler: server.handle, latencyMs: latency, tls });
  const client = new S3Client({
    endpoint: server.url,
    region: REGION,
    forcePathStyle: true,
    credentials: S3_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    s3: { url: server.url, client },
    proxy,
    /** The PEM file tools must trust with `tls`. */
    certFile: proxy.certFile,
    async stop() {
      await proxy.close();
      client.destroy();
      await server.close();
    },
  };
}

export async function createBucket(s3, bucket) {
  await s3.client.send(new CreateBucketCommand({ Bucket: bucket })).catch((error) => {
    if (error.name !== 'BucketAlreadyOwnedByYou' && error.name !== 'BucketAlreadyExists') throw error;
  });
  await emptyBucket(s3, bucket);
}

/** Every object: key -> { etag, size }, straight from the local S3. */
export async function listBucket(s3, bucket) {
  const objects = new Map();
  let token;
  for (let page = 0; page < 100_000; page++) {
    const answer = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const object of answer.Contents ?? []) {
      objects.set(object.Key, { etag: (object.ETag ?? '').replace(/"/g, ''), size: object.Size });
    }
    if (!answer.IsTruncated) break;
    token = answer.NextContinuationToken;
  }
  return objects;
}

async function md5OfObject(s3, bucket, key) {
  const answer = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return md5(Buffer.from(await answer.Body.transformToByteArray()));
}

export async function emptyBucket(s3, bucket) {
  const keys = [...(await listBucket(s3, bucket)).keys()];
  for (let index = 0; index < keys.length; index += 1000) {
    const Objects = keys.slice(index, index + 1000).map((Key) => ({ Key }));
    await s3.client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects, Quiet: true } }));
  }
}

/**
 * Whether the bucket holds exactly the expected keys with the expected bytes. A single-part object's ETag
 * is its MD5; a multipart one's depends on the tool's part size, so those few objects are read back.
 */
export async function verifyBucket(s3, bucket, expected) {
  const objects = await listBucket(s3, bucket);
  const problems = [];
  for (const [key, digest] of expected) {
    const object = objects.get(key);
    if (!object) problems.push(`missing ${key}`);
    else if ((object.etag.includes('-') ? await md5OfObject(s3, bucket, key) : object.etag) !== digest) problems.push(`stale ${key}`);
  }
  for (const key of objects.keys()) if (!expected.has(key) && !key.startsWith('.s3-cloudfront-deploy')) problems.push(`extra ${key}`);
  return problems;
}

/**
 * Requests by operation for the last run. The proxy calls a PUT on the bucket itself a PutObject; here it
 * is named CreateBucket (rclone makes one before its first upload).
 */
export function requestCounts(proxy) {
  const counts = {};
  let bytesIn = 0;
  for (const { operation, method, path: requestPath, bytesIn: bytes } of proxy.requests) {
    const onBucket = requestPath.split('/').filter(Boolean).length <= 1;
    const name = method === 'PUT' && onBucket ? 'CreateBucket' : operation;
    counts[name] = (counts[name] ?? 0) + 1;
    bytesIn += bytes;
  }
  const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
  return { counts, total, mibSent: bytesIn / MiB, peakInFlight: proxy.peakInFlight() };
}

/**
 * CPU used during a timed run by the rig (the front and the local S3, this process): on a small machine it
 * competes with the tool, and this shows when the rig is the limit.
 */
export function cpuMeter() {
  const before = process.cpuUsage();
  return {
    read() {
      const used = process.cpuUsage(before);
      return { rigCpuSeconds: (used.user + used.system) / 1e6 };
    },
  };
}

/** When the last tool run ended: edits must come a second later (see scenarios.mjs, settleClock). */
export const lastToolExit = { at: 0 };

/**
 * Runs a tool to completion: wall time, exit code, peak RSS and CPU time (GNU time), its output. The tool
 * gets its own process group so a timeout can end it and anything it started. `spec` is what TOOLS takes
 * (source, bucket, endpoint, ...) plus `timeout` in seconds.
 */
export async function runTool(tool, spec) {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'benchrun-home-'));
  const { command, args, env } = TOOLS[tool]({ ...spec, home });
  // A runner creates these before the step; @actions/core refuses to write outputs to a missing file.
  if (tool === 'action') for (const file of [env.GITHUB_OUTPUT, env.GITHUB_STEP_SUMMARY]) await fs.writeFile(file, '');
  const useTime = existsSync(GNU_TIME);
  const argv = useTime ? [GNU_TIME, '-f', 'BENCH-TIME %M %U %S', command, ...args] : [command, ...args];
  const started = performance.now();
  const child = spawn(argv[0], argv.slice(1), { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout = collect(child.stdout);
  const stderr = collect(child.stderr);
  const vmHwm = useTime ? undefined : pollPeakMemory(child.pid);
  const timer = setTimeout(() => process.kill(-child.pid, 'SIGKILL'), spec.timeout * 1000);
  const exitCode = await new Promise((resolve) => child.once('close', (code) => resolve(code ?? -1)));
  clearTimeout(timer);
  lastToolExit.at = performance.now();
  const wall = seconds(started);
  const errText = stderr();
  const timeLine = /BENCH-TIME (\d+) ([\d.]+) ([\d.]+)\s*$/.exec(errText);
  const outputs = tool === 'action' ? parseOutputFile(await fs.readFile(env.GITHUB_OUTPUT, 'utf8').catch(() => '')) : {};
  await fs.rm(home, { recursive: true, force: true });
  return {
    exitCode,
    seconds: wall,
    peakMib: timeLine ? Number(timeLine[1]) / 1024 : (vmHwm?.stop() ?? NaN),
    cpuSeconds: timeLine ? Number(timeLine[2]) + Number(timeLine[3]) : NaN,
    stdout: stdout(),
    stderr: errText.replace(/BENCH-TIME.*\s*$/, ''),
    outputs,
  };
}

/** A run that must work (setting a bucket's starting state): its failure stops the benchmark. */
export async function mustRun(tool, spec) {
  const result = await runTool(tool, spec);
  if (result.exitCode !== 0) {
    throw new Error(`${tool} failed while preparing a bucket (exit ${result.exitCode}):\n${result.stdout.slice(-2000)}\n${result.stderr.slice(-2000)}`);
  }
  return result;
}

/**
 * Keeps the last 1 MiB of a stream (enough for errors; bounded memory), plus every phase line ('Plan took
 * 3.8 s.'), which a 100,000-file deploy's debug lines would otherwise push out of that tail. Chunks are
 * kept as they come and joined once: re-slicing a 1 MiB string per chunk would cost this process (where
 * the proxy runs) CPU while the tool is being measured.
 */
export function collect(stream) {
  const chunks = [];
  let kept = 0;
  let partial = '';
  const phases = [];
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    chunks.push(chunk);
    kept += chunk.length;
    while (kept - (chunks[0]?.length ?? 0) > MiB) kept -= chunks.shift().length;
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (/ took [\d.]+ s\./.test(line)) phases.push(line);
  });
  return () => `${phases.join('\n')}\n${chunks.join('').slice(-MiB)}`;
}

/** Fallback without GNU time: the spawned process's VmHWM, read every 20 ms while it runs. */
function pollPeakMemory(pid) {
  let peakKib = 0;
  const timer = setInterval(async () => {
    const status = await fs.readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    peakKib = Math.max(peakKib, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
  }, 20);
  return { stop: () => (clearInterval(timer), peakKib / 1024) };
}

