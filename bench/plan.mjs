// Planning at scale (npm run bench -- --plan-only): 100,000 small files by default. Walk, hash, list and
// plan, without uploads, and MD5 throughput on this machine.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { seededRandom } from '../local/s3-proxy.mjs';
import { MiB, log, machine, markdownTable, median, medianSample, seconds, writeResults } from './report.mjs';
import { collect, createBucket, listBucket, mustRun, requestCounts, runTool, startRig } from './rig.mjs';
import { planSeconds, toolSpec } from './scenarios.mjs';
import { generateSite, md5 } from './sites.mjs';

/**
 * Planning at scale: 100,000 small files. The bucket is filled once (straight to the local S3, untimed for the
 * figures), then a no-change deploy through the proxy reports 'Plan took' (walk + hash + list + plan), and
 * a dry run against an empty bucket isolates walk + hash + plan (one list request). MD5 throughput on a
 * large file with node's crypto, next to md5sum, shows what hashing alone can do on this machine.
 */
export async function planMode(options) {
  const site = await generateSite('small', options);
  const rig = await startRig({ latency: options.latency, tls: false });
  const { s3, proxy } = rig;
  const rows = [];
  const record = (label, samples) => {
    const mid = medianSample(samples);
    rows.push({
      label,
      wallSeconds: median(samples.map((s) => s.seconds)),
      planSeconds: median(samples.map((s) => s.plan)),
      allPlanSeconds: samples.map((s) => s.plan),
      requests: mid.counts,
      peakMib: Math.max(...samples.map((s) => s.peakMib)),
      ok: samples.every((s) => s.exitCode === 0),
    });
    const last = rows.at(-1);
    log(`  ${label}: wall ${last.wallSeconds.toFixed(1)} s, plan ${last.planSeconds} s, peak ${last.peakMib.toFixed(0)} MiB`);
  };
  const timed = async (spec, runs) => {
    const samples = [];
    for (let run = 0; run < runs; run++) {
      proxy.reset();
      const result = await runTool('action', toolSpec({ rig, options }, { endpoint: proxy.url, ...spec }));
      if (result.exitCode !== 0) log(`  action exited ${result.exitCode}: ${result.stdout.slice(-600)}`);
      samples.push({ ...result, ...requestCounts(proxy), plan: planSeconds(result.stdout) });
    }
    return samples;
  };
  let md5Figures;
  try {
    await createBucket(s3, 'bench-plan');
    await createBucket(s3, 'bench-plan-empty');
    log('Filling the bucket (first deploy straight to the local S3, concurrency 64)...');
    const fill = await mustRun('action', toolSpec({ rig, options }, { source: site.root, bucket: 'bench-plan', endpoint: s3.url, concurrency: 64 }));
    rows.push({ label: 'first deploy, straight to the local S3, concurrency 64 (fills the bucket)', wallSeconds: fill.seconds, planSeconds: planSeconds(fill.stdout), requests: {}, peakMib: fill.peakMib, ok: true });
    log(`  filled in ${fill.seconds.toFixed(1)} s`);
    record(`no change, through the proxy (${options.latency} ms)`, await timed({ source: site.root, bucket: 'bench-plan' }, options.runs));
    record('dry run against an empty bucket (walk + hash + plan, 1 list)', await timed({ source: site.root, bucket: 'bench-plan-empty', dryRun: true }, options.runs));
    const listing = [];
    for (let run = 0; run < options.runs; run++) {
      const started = performance.now();
      await listBucket(s3, 'bench-plan');
      listing.push(seconds(started));
    }
    rows.push({ label: 'listing alone: harness SDK straight to the local S3, no latency', wallSeconds: median(listing), planSeconds: NaN, requests: { ListObjectsV2: Math.ceil(site.entries.length / 1000) }, peakMib: NaN, ok: true });
    md5Figures = await measureMd5(options);
  } finally {
    await rig.stop();
    await fs.rm(site.root, { recursive: true, force: true });
  }
  const table = markdownTable(
    ['run', 'median wall s', "'Plan took' s", 'requests', 'peak MiB'],
    rows.map((r) => [r.label + (r.ok ? '' : ' (FAILED)'), r.wallSeconds.toFixed(2), Number.isNaN(r.planSeconds) ? '' : String(r.planSeconds), Object.entries(r.requests).map(([op, n]) => `${op} ${n}`).join(', '), Number.isNaN(r.peakMib) ? '' : r.peakMib.toFixed(0)]),
  );
  const md5Table = markdownTable(
    ['MD5 of a 1 GiB file (in page cache)', 'median s', 'MiB/s'],
    md5Figures.map((f) => [f.label, f.seconds.toFixed(2), f.mibPerSecond.toFixed(0)]),
  );
  const heading = `${site.entries.length} files of 256 B to 4 KiB (${(site.bytes / MiB).toFixed(0)} MiB), median of ${options.runs} run(s)`;
  await writeResults(`plan-${site.entries.length}f`, [heading, '', table, '', md5Table].join('\n'), { options, machine: machine(options.node || undefined), rows, md5: md5Figures });
}

/** MD5 of a 1 GiB file: the action's read loop, a read stream, a buffer already in memory, and md5sum. */
async function measureMd5(options) {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'benchrun-md5-'));
  const file = path.join(directory, 'large.bin');
  const size = 1024 * MiB;
  const random = seededRandom(options.seed);
  const block = Buffer.allocUnsafe(16 * MiB);
  for (let offset = 0; offset < block.length; offset += 4) block.writeUInt32LE((random() * 2 ** 32) >>> 0, offset);
  const handle = await fs.open(file, 'w');
  for (let written = 0; written < size; written += block.length) {
    block.writeUInt32LE(written, 0); // no two blocks alike
    await handle.write(block);
  }
  await handle.close();
  const methods = {
    'node crypto, 1 MiB reads into one reused buffer (how the action hashes files over 1 MiB)': async () => {
      const reader = await fs.open(file, 'r');
      const buffer = Buffer.allocUnsafe(MiB);
      const hash = createHash('md5');
      try {
        for (let chunk = 0; chunk <= size / MiB; chunk++) {
          const { bytesRead } = await reader.read(buffer, 0, MiB, null);
          if (bytesRead === 0) break;
          hash.update(buffer.subarray(0, bytesRead));
        }
      } finally {
        await reader.close();
      }
      return hash.digest('hex');
    },
    'node crypto, fs.createReadStream with 1 MiB chunks': async () => {
      const hash = createHash('md5');
      for await (const chunk of createReadStream(file, { highWaterMark: MiB })) hash.update(chunk);
      return hash.digest('hex');
    },
    'node crypto, buffer already in memory': async (buffer) => md5(buffer),
    md5sum: async () => {
      const result = await runProcess('md5sum', [file]);
      return result.split(' ')[0];
    },
  };
  const inMemory = await fs.readFile(file);
  const figures = [];
  try {
    for (const [label, method] of Object.entries(methods)) {
      const times = [];
      const digests = new Set();
      for (let run = 0; run < Math.max(3, options.runs); run++) {
        const started = performance.now();
        digests.add(await method(inMemory));
        times.push(seconds(started));
      }
      if (digests.size !== 1) throw new Error(`MD5 '${label}' gave different digests`);
      figures.push({ label, seconds: median(times), mibPerSecond: size / MiB / median(times), digest: [...digests][0] });
      log(`  MD5 ${label}: ${(size / MiB / median(times)).toFixed(0)} MiB/s`);
    }
  } finally {
    await fs.rm(directory, { recursive: true, force: true });
  }
  return figures;
}

function runProcess(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    const out = collect(child.stdout);
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out());
      else reject(new Error(`${command} exited ${code}`));
    });
  });
}
