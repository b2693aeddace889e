// Benchmark: this action (dist/index.js, run as a GitHub runner runs it) against `aws s3 sync` (Debian's
// AWS CLI v2) and rclone (defaults, and --checksum --fast-list), on the same generated site, against the local S3
// (local/s3-server.mjs in its fast mode: no verification, so the server is not what is measured)
// behind a loopback proxy that adds a fixed latency per request and counts requests by S3 operation.
//
//   node bench/run.mjs [--files 2000] [--latency 20] [--runs 3] [--seed 1]
//        [--tools action,awscli,rclone,rclone-checksum] [--workloads first,nochange,fresh,changed,deleted]
//        [--concurrency N]                     the action's `concurrency` input (default: the action's own)
//        [--cold-start-runs 9]                 0 skips the cold-start measurement
//   node bench/run.mjs --plan-only [--files 100000] [--latency 20] [--runs 3]
//   node bench/run.mjs --concurrency-sweep [--files 2000] [--runs 3]
//        [--latencies 0,20,80] [--levels 4,8,16,32,64]
//
// Results: a table on stdout, and the same as Markdown and JSON in bench-results/.
//
// Why it is built this way:
// - The local S3 runs in a child process (this file with --serve-s3): it is single-threaded JavaScript that
//   hashes every body, and sharing one event loop with the proxy would make the proxy's latency timers and
//   the server's CPU work queue behind each other. The proxy stays in this process so its counts can be read.
// - Each tool's starting state is made by the tool itself (rclone keeps mtimes in object metadata, the AWS
//   CLI relies on LastModified), straight against the local S3: no latency, not counted.
// - The proxy is local/s3-proxy.mjs (the one the tests use for faults), with its latency option.
// - Peak memory comes from GNU time's %M (max RSS of the tool's process, /usr/bin/time is installed here);
//   without it, /proc/PID/status VmHWM of the spawned process is polled instead.
// - After every timed run the bucket is listed straight from the local S3 and compared with the MD5 of every
//   local file: a fast tool that leaves the bucket wrong is marked, not praised.
// - Every wait is bounded: tool runs are killed after --timeout seconds, loops run over finite lists.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ACTION_ENTRY, inputVariables, parseOutputFile } from '../local/run-action.mjs';
import { S3_CREDENTIALS, startS3Server } from '../local/s3-server.mjs';
import { seededRandom, startS3Proxy } from '../local/s3-proxy.mjs';

const THIS_FILE = fileURLToPath(import.meta.url);
const RESULTS = fileURLToPath(new URL('../bench-results/', import.meta.url));
const KiB = 1024;
const MiB = 1024 * KiB;
/** Every generated file gets this mtime, so a copy (a fresh checkout) is newer and a restore can go back. */
const ORIGINAL_MTIME = new Date('2024-01-01T00:00:00Z');
const GNU_TIME = '/usr/bin/time';
const AWS_CLI = '/usr/bin/aws';
const RCLONE = '/usr/bin/rclone';
const REGION = 'us-east-1';

// ---------------------------------------------------------------------------------------------- options

const FLAGS = {
  files: null, latency: '20', runs: '3', seed: '1', concurrency: '', timeout: '600',
  tools: 'action,awscli,rclone,rclone-checksum', workloads: 'first,nochange,fresh,changed,deleted',
  'cold-start-runs': '9', latencies: '0,20,80', levels: '4,8,16,32,64',
};
const SWITCHES = new Set(['plan-only', 'concurrency-sweep', 'serve-s3', 'logs']);

function parseOptions(argv) {
  const options = { ...FLAGS };
  for (let index = 0; index < argv.length; index++) {
    const name = argv[index].replace(/^--/, '');
    if (SWITCHES.has(name)) options[name] = true;
    else if (name in FLAGS && argv[index + 1] !== undefined) options[name] = argv[++index];
    else throw new Error(`Unknown or incomplete option '${argv[index]}'. See the usage at the top of bench/run.mjs.`);
  }
  options.files = Number(options.files ?? (options['plan-only'] ? 100_000 : 2000));
  for (const name of ['latency', 'runs', 'seed', 'timeout', 'cold-start-runs']) options[name] = Number(options[name]);
  const list = (text) => text.split(',').filter(Boolean);
  options.tools = list(options.tools);
  options.workloads = list(options.workloads);
  options.latencies = list(options.latencies).map(Number);
  options.levels = list(options.levels).map(Number);
  for (const tool of options.tools) if (!TOOLS[tool]) throw new Error(`Unknown tool '${tool}': ${Object.keys(TOOLS)}`);
  for (const w of options.workloads) if (!WORKLOADS[w]) throw new Error(`Unknown workload '${w}': ${Object.keys(WORKLOADS)}`);
  return options;
}

// ------------------------------------------------------------------------------------- generated site

/**
 * A static site's mix by share of files, with each kind's size range in KiB (sizes are log-uniform).
 * Every folder that holds folders also holds a file (blog/index.html, docs/index.html, images/*.png):
 * s3rver, the local S3 of the first figures, missed in a delimiter listing a common prefix whose objects all
 * sat two or more folders down, so rclone without --fast-list (which lists folder by folder) did not see
 * those objects. The local S3 lists them; the site keeps its shape so figures stay comparable.
 */
const KINDS = [
  { share: 0.18, min: 2, max: 60, key: (i) => (i % 3 ? `docs/s${i % 40}/page-${i}.html` : `blog/post-${i}/index.html`) },
  { share: 0.05, min: 2, max: 120, key: (i) => `css/style-${hex(i)}.css` },
  { share: 0.15, min: 1, max: 200, key: (i) => `js/chunk-${hex(i)}.js` },
  { share: 0.22, min: 4, max: 200, key: (i) => `images/img-${i}.png` },
  { share: 0.14, min: 8, max: 200, key: (i) => `images/photos/photo-${i}.jpg` },
  { share: 0.05, min: 1, max: 20, key: (i) => `images/icons/icon-${i}.svg` },
  { share: 0.05, min: 12, max: 120, key: (i) => `fonts/font-${i}.woff2` },
  { share: 0.16, min: 1, max: 80, key: (i) => `data/item-${i}.json` },
];
/** Over the 8 MiB multipart threshold of the action and the CLI: 2, 2 and 3 parts of 8 MiB. */
const LARGE_FILES = [
  { key: 'media/intro.mp4', size: 9 * MiB + 12_345 },
  { key: 'media/talk.mp4', size: 12 * MiB + 777 },
  { key: 'downloads/source.zip', size: 17 * MiB + 4_321 },
];
const hex = (i) => ((i * 2654435761) >>> 0).toString(16).padStart(8, '0');

/**
 * The file list: 'realistic' is the mix above (1 KiB to 200 KiB) plus the large files; 'small' (for the
 * 100,000-file planning test) is 256 B to 4 KiB, so the test is about file count, not bytes.
 */
function siteManifest(count, seed, profile) {
  const random = seededRandom(seed);
  const logUniform = (min, max) => Math.round(min * Math.exp(random() * Math.log(max / min)));
  const large = profile === 'realistic' ? LARGE_FILES.slice(0, Math.max(0, Math.min(3, count - 5))) : [];
  const entries = [
    { key: 'index.html', size: 24 * KiB },
    { key: 'robots.txt', size: 1 * KiB },
    { key: 'sitemap.xml', size: 40 * KiB },
    { key: 'blog/index.html', size: 18 * KiB },
    { key: 'docs/index.html', size: 12 * KiB },
  ].slice(0, count);
  for (let i = entries.length; i < count - large.length; i++) {
    let roll = random();
    const kind = KINDS.find(({ share }) => (roll -= share) < 0) ?? KINDS[0];
    const size = profile === 'small' ? logUniform(256, 4 * KiB) : logUniform(kind.min * KiB, kind.max * KiB);
    entries.push({ key: kind.key(i), size });
  }
  return [...entries, ...large];
}

/** Writes the files (bytes from a seeded noise pool, each starting with its own key so none are alike). */
async function writeSite(root, entries, seed) {
  const random = seededRandom(seed ^ 0x5eed);
  const pool = Buffer.allocUnsafe(32 * MiB);
  for (let offset = 0; offset < pool.length; offset += 4) pool.writeUInt32LE((random() * 2 ** 32) >>> 0, offset);
  const directories = new Set(entries.map(({ key }) => path.dirname(path.join(root, key))));
  for (const directory of directories) await fs.mkdir(directory, { recursive: true });
  await inBatches(entries, 64, async (entry) => {
    const start = Math.floor(random() * (pool.length - entry.size));
    const body = Buffer.from(pool.subarray(start, start + entry.size));
    body.write(`${entry.key}\n`, 0);
    entry.md5 = md5(body);
    const file = path.join(root, entry.key);
    await fs.writeFile(file, body);
    await fs.utimes(file, ORIGINAL_MTIME, ORIGINAL_MTIME);
  });
}

/** Runs `work` over items, `size` at a time: enough parallelism for the disk, bounded open files. */
async function inBatches(items, size, work) {
  for (let index = 0; index < items.length; index += size) await Promise.all(items.slice(index, index + size).map(work));
}

const md5 = (buffer) => createHash('md5').update(buffer).digest('hex');

/** Picks `count` distinct entries, the same ones for every tool and run (the same work is measured). */
function pick(entries, count, seed) {
  const random = seededRandom(seed);
  const order = entries.map((entry) => ({ entry, rank: random() }));
  return order.sort((a, b) => a.rank - b.rank).slice(0, count).map(({ entry }) => entry);
}

async function generateSite(options, profile) {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'benchrun-site-'));
  const entries = siteManifest(options.files, options.seed, profile);
  const started = performance.now();
  await writeSite(root, entries, options.seed);
  const bytes = entries.reduce((sum, { size }) => sum + size, 0);
  log(`Generated ${entries.length} files, ${(bytes / MiB).toFixed(1)} MiB, in ${seconds(started).toFixed(1)} s: ${root}`);
  return { root, entries, bytes };
}

// ---------------------------------------------------------------------- local S3 (fast mode) + proxy

/** In a child process, so its CPU work does not share an event loop with the proxy (see top). */
async function serveS3() {
  const s3 = await startS3Server({ buckets: [], mode: 'fast' });
  process.stdout.write(`${JSON.stringify({ url: s3.url })}\n`);
  const stop = () => s3.close().finally(() => process.exit(0));
  // The parent closes our stdin when it is done, or when it dies: either way the server goes with it.
  process.stdin.on('end', stop).resume();
  process.on('SIGTERM', stop);
}

async function startLocalS3() {
  const child = spawn(process.execPath, [THIS_FILE, '--serve-s3'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const firstLine = createInterface({ input: child.stdout });
  const line = await Promise.race([
    new Promise((resolve) => firstLine.once('line', resolve)),
    sleep(30_000, undefined, { ref: false }).then(() => {
      throw new Error('the local S3 did not start within 30 s');
    }),
  ]);
  firstLine.close();
  const { url } = JSON.parse(line);
  const client = new S3Client({
    endpoint: url,
    region: REGION,
    forcePathStyle: true,
    credentials: S3_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    url,
    client,
    /** CPU seconds the local S3 has used so far (utime + stime from /proc, in clock ticks of 1/100 s). */
    async cpuSeconds() {
      const fields = (await fs.readFile(`/proc/${child.pid}/stat`, 'utf8')).split(') ')[1].split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100;
    },
    async stop() {
      client.destroy();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin.end();
      if ((await Promise.race([exited, sleep(120_000, 'timeout', { ref: false })])) === 'timeout') child.kill('SIGKILL');
    },
  };
}

async function createBucket(s3, bucket) {
  await s3.client.send(new CreateBucketCommand({ Bucket: bucket })).catch((error) => {
    if (error.name !== 'BucketAlreadyOwnedByYou' && error.name !== 'BucketAlreadyExists') throw error;
  });
  await emptyBucket(s3, bucket);
}

/** Every object: key -> { etag, size }, straight from the local S3. */
async function listBucket(s3, bucket) {
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

async function emptyBucket(s3, bucket) {
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
async function verifyBucket(s3, bucket, expected) {
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
function requestCounts(proxy) {
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

// ------------------------------------------------------------------------------------------- tools

const keys = { AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey };

/**
 * How each tool syncs `source` to `bucket` at `endpoint`. `remove`: delete what is gone locally. The
 * environment is built from scratch: no AWS_CA_BUNDLE (rclone rejects it), no user config (HOME is empty).
 */
const TOOLS = {
  action: ({ source, bucket, endpoint, remove, concurrency, dryRun, home }) => {
    const inputs = { source, bucket, 'force-path-style': 'true' };
    // Deleted at once, as the other tools delete: the grace period would keep them (and the check would fail).
    if (remove) Object.assign(inputs, { delete: 'true', 'max-deletes': '-1', 'delete-after': '0', 'max-delete-share': '100%' });
    if (concurrency) inputs.concurrency = String(concurrency);
    if (dryRun) inputs['dry-run'] = 'true'; // only the planning test
    const env = {
      PATH: process.env.PATH, HOME: home, ...keys, AWS_REGION: REGION, AWS_ENDPOINT_URL_S3: endpoint,
      GITHUB_OUTPUT: path.join(home, 'output'), GITHUB_STEP_SUMMARY: path.join(home, 'summary'),
      ...inputVariables(inputs),
    };
    return { command: process.execPath, args: [ACTION_ENTRY], env };
  },
  awscli: ({ source, bucket, endpoint, remove, home }) => ({
    command: AWS_CLI,
    // --only-show-errors: 2,000 progress lines to a pipe are not what is being measured.
    args: ['--endpoint-url', endpoint, 's3', 'sync', source, `s3://${bucket}`, '--only-show-errors', ...(remove ? ['--delete'] : [])],
    env: { PATH: process.env.PATH, HOME: home, ...keys, AWS_DEFAULT_REGION: REGION, AWS_PAGER: '', AWS_EC2_METADATA_DISABLED: 'true' },
  }),
  rclone: (spec) => rclone(spec, []),
  'rclone-checksum': (spec) => rclone(spec, ['--checksum', '--fast-list']),
};

/** `rclone sync` always deletes; in workloads 1-4 there is nothing to delete, so it is the same as copy. */
function rclone({ source, bucket, endpoint, home }, flags) {
  return {
    command: RCLONE,
    // -v (with --logs): one line per file copied or deleted, for checking what a run did.
    args: ['sync', source, `bench:${bucket}`, ...flags, ...(LOGS ? ['-vv'] : [])],
    env: {
      PATH: process.env.PATH,
      HOME: home,
      RCLONE_CONFIG_BENCH_TYPE: 's3',
      RCLONE_CONFIG_BENCH_PROVIDER: 'Other',
      RCLONE_CONFIG_BENCH_ENDPOINT: endpoint,
      RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: keys.AWS_ACCESS_KEY_ID,
      RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: keys.AWS_SECRET_ACCESS_KEY,
      RCLONE_CONFIG_BENCH_REGION: REGION,
      RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE: 'true',
    },
  };
}

/**
 * Runs a tool to completion: wall time, exit code, peak RSS and CPU time (GNU time), its output. The tool
 * gets its own process group so a timeout can end it and anything it started.
 */
async function runTool(tool, spec, timeoutSeconds) {
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
  const timer = setTimeout(() => process.kill(-child.pid, 'SIGKILL'), timeoutSeconds * 1000);
  const exitCode = await new Promise((resolve) => child.once('close', (code) => resolve(code ?? -1)));
  clearTimeout(timer);
  lastToolExit = performance.now();
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

/**
 * Keeps the last 1 MiB of a stream (enough for errors; bounded memory), plus every phase line ('Plan took
 * 3.8 s.'), which a 100,000-file deploy's debug lines would otherwise push out of that tail.
 */
function collect(stream) {
  let text = '';
  let partial = '';
  const phases = [];
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    text = (text + chunk).slice(-MiB);
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (/ took [\d.]+ s\./.test(line)) phases.push(line);
  });
  return () => `${phases.join('\n')}\n${text}`;
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

/**
 * CPU used during a timed run by the local S3 (its process) and by this process (the proxy, nearly all of it):
 * on a small machine they compete with the tool, and these show when the server is the limit.
 */
async function cpuMeter(s3) {
  const serverBefore = await s3.cpuSeconds();
  const proxyBefore = process.cpuUsage();
  return {
    async read() {
      const proxy = process.cpuUsage(proxyBefore);
      return { serverCpuSeconds: (await s3.cpuSeconds()) - serverBefore, proxyCpuSeconds: (proxy.user + proxy.system) / 1e6 };
    },
  };
}

/** A run that must work (setting a bucket's starting state): its failure stops the benchmark. */
async function mustRun(tool, spec, options) {
  const result = await runTool(tool, spec, options.timeout);
  if (result.exitCode !== 0) {
    throw new Error(`${tool} failed while preparing a bucket (exit ${result.exitCode}):\n${result.stdout.slice(-2000)}\n${result.stderr.slice(-2000)}`);
  }
  return result;
}

// --------------------------------------------------------------------------------------- workloads

/**
 * Each workload sets up its starting state (untimed), says which tree to sync and with what delete, and
 * what the bucket must hold afterwards. `undo` puts the local tree back.
 */
const WORKLOADS = {
  first: {
    title: '1 first deploy',
    async prepare(ctx) {
      await emptyBucket(ctx.s3, ctx.bucket);
      return { source: ctx.site.root, expected: ctx.digests };
    },
  },
  nochange: {
    title: '2 no change',
    async prepare(ctx) {
      await ctx.resetBucket();
      return { source: ctx.site.root, expected: ctx.digests };
    },
  },
  fresh: {
    title: '3 fresh checkout',
    async prepare(ctx) {
      await ctx.resetBucket();
      await settleClock();
      const copy = await fs.mkdtemp(path.join(os.tmpdir(), 'benchrun-checkout-'));
      await fs.cp(ctx.site.root, copy, { recursive: true, preserveTimestamps: false });
      return { source: copy, expected: ctx.digests, undo: () => fs.rm(copy, { recursive: true, force: true }) };
    },
  },
  changed: {
    title: '4 1% changed',
    async prepare(ctx) {
      await ctx.resetBucket();
      await settleClock();
      const expected = new Map(ctx.digests);
      const originals = [];
      for (const entry of ctx.changed) {
        const file = path.join(ctx.site.root, entry.key);
        const original = await fs.readFile(file);
        const edited = Buffer.from(original);
        // Same size, different bytes: a tool comparing sizes alone would miss it.
        const at = Math.min(edited.length - 1, Math.max(entry.key.length + 1, Math.floor(edited.length / 2)));
        for (let i = at; i < Math.min(edited.length, at + 16); i++) edited[i] ^= 0xff;
        await fs.writeFile(file, edited);
        expected.set(entry.key, md5(edited));
        originals.push([file, original]);
      }
      const undo = async () => {
        // The restored files must look newer than what the timed run uploaded (the CLI compares mtimes to
        // the second), so the next run's reset puts the original bytes back with every tool.
        await settleClock();
        for (const [file, original] of originals) await fs.writeFile(file, original);
      };
      return { source: ctx.site.root, expected, undo };
    },
  },
  deleted: {
    title: '5 10% deleted',
    remove: true,
    async prepare(ctx) {
      await ctx.resetBucket();
      const stash = await fs.mkdtemp(path.join(os.tmpdir(), 'benchrun-stash-'));
      const expected = new Map(ctx.digests);
      const moved = [];
      for (const [index, entry] of ctx.deleted.entries()) {
        const from = path.join(ctx.site.root, entry.key);
        const to = path.join(stash, String(index));
        await fs.rename(from, to); // rename keeps the mtime, so moving back restores the tree exactly
        moved.push([to, from]);
        expected.delete(entry.key);
      }
      const undo = async () => {
        for (const [to, from] of moved) await fs.rename(to, from);
        await fs.rm(stash, { recursive: true, force: true });
      };
      return { source: ctx.site.root, expected, undo };
    },
  },
};

/**
 * The CLI treats a file whose mtime is in the same second as the object's LastModified as unchanged, so an
 * edit (or a checkout) must come at least a second after the last sync, as it always does in real life.
 */
let lastToolExit = 0;
const settleClock = () => sleep(Math.max(0, lastToolExit + 1100 - performance.now()));

/** Every file back to the original mtime: the 1% workload leaves restored files newer. */
async function restoreMtimes(site) {
  await inBatches(site.entries, 64, (entry) => fs.utimes(path.join(site.root, entry.key), ORIGINAL_MTIME, ORIGINAL_MTIME));
}

/** K timed runs of one tool on one workload, each from the same starting state. */
async function measureWorkload(tool, name, ctx, options) {
  const workload = WORKLOADS[name];
  const samples = [];
  for (let run = 0; run < options.runs; run++) {
    const preparing = performance.now();
    const resetBefore = ctx.overhead.reset;
    const state = await workload.prepare(ctx);
    ctx.overhead.prepare += seconds(preparing) - (ctx.overhead.reset - resetBefore);
    ctx.proxy.reset();
    const spec = { source: state.source, bucket: ctx.bucket, endpoint: ctx.proxy.url, remove: Boolean(workload.remove), concurrency: options.concurrency };
    const cpu = await cpuMeter(ctx.s3);
    const result = await runTool(tool, spec, options.timeout);
    Object.assign(result, await cpu.read());
    const requests = requestCounts(ctx.proxy);
    ctx.overhead.timed += result.seconds;
    const checking = performance.now();
    const problems = await verifyBucket(ctx.s3, ctx.bucket, state.expected);
    ctx.overhead.verify += seconds(checking);
    // The bucket is what a reset would make only after syncing the untouched original tree.
    ctx.synced = result.exitCode === 0 && problems.length === 0 && state.source === ctx.site.root && !state.undo;
    const undoing = performance.now();
    await state.undo?.();
    ctx.overhead.prepare += seconds(undoing);
    if (LOGS) await saveLog(`${tool}-${name}-${run}`, result, requests, problems, ctx.proxy.requests);
    samples.push({ ...result, ...requests, problems: problems.length, firstProblems: problems.slice(0, 5), plan: planSeconds(result.stdout) });
    if (result.exitCode !== 0) log(`  ${tool} exited ${result.exitCode}: ${(result.stdout + result.stderr).slice(-600)}`);
  }
  return summarize(tool, workload.title, samples);
}

/** The median run (by wall time) stands for the workload; every sample is kept in the JSON. */
function summarize(tool, workload, samples) {
  const mid = medianSample(samples);
  const spread = (pick) => {
    const values = samples.map(pick);
    return Math.min(...values) === Math.max(...values) ? '' : `${Math.min(...values)}-${Math.max(...values)}`;
  };
  return {
    tool,
    workload,
    ok: samples.every((s) => s.exitCode === 0 && s.problems === 0),
    seconds: median(samples.map((s) => s.seconds)),
    allSeconds: samples.map((s) => round(s.seconds, 3)),
    requests: mid.total,
    requestsRange: spread((s) => s.total),
    counts: mid.counts,
    mibSent: mid.mibSent,
    peakInFlight: mid.peakInFlight,
    peakMib: Math.max(...samples.map((s) => s.peakMib)),
    cpuSeconds: median(samples.map((s) => s.cpuSeconds)),
    serverCpuSeconds: median(samples.map((s) => s.serverCpuSeconds)),
    proxyCpuSeconds: median(samples.map((s) => s.proxyCpuSeconds)),
    problems: samples.map((s) => s.firstProblems).flat().slice(0, 5),
    actionOutputs: mid.outputs,
    planSeconds: mid.plan,
  };
}

/** With --logs: each timed run's output, requests and bucket check, in bench-results/logs/. */
async function saveLog(name, result, requests, problems, records) {
  const directory = path.join(RESULTS, 'logs');
  await fs.mkdir(directory, { recursive: true });
  // Requests to the same path with the same operation more than once: retries or repeated work.
  const seen = new Map();
  for (const { operation, path: requestPath } of records) seen.set(`${operation} ${requestPath}`, (seen.get(`${operation} ${requestPath}`) ?? 0) + 1);
  const repeated = [...seen].filter(([what, n]) => n > 1 && !/^(UploadPart|ListObjects)/.test(what)).map(([what, n]) => `repeated x${n}: ${what}`);
  const text = [`exit ${result.exitCode}, ${result.seconds.toFixed(3)} s`, JSON.stringify(requests.counts), ...problems, ...repeated, '--- stdout', result.stdout, '--- stderr', result.stderr];
  await fs.writeFile(path.join(directory, `${name}.log`), text.join('\n'));
}

const planSeconds = (stdout) => Number(/Plan took ([\d.]+) s/.exec(stdout)?.[1] ?? NaN);

// ----------------------------------------------------------------------------------------- modes

async function compareMode(options) {
  const site = await generateSite(options, 'realistic');
  const s3 = await startLocalS3();
  const proxy = await startS3Proxy({ target: s3.url, latencyMs: options.latency });
  const digests = new Map(site.entries.map((e) => [e.key, e.md5]));
  const changed = pick(site.entries, Math.max(1, Math.round(site.entries.length / 100)), options.seed * 7919);
  const deleted = pick(site.entries, Math.max(1, Math.round(site.entries.length / 10)), options.seed * 104729);
  const results = [];
  const overhead = { timed: 0, reset: 0, verify: 0, prepare: 0 };
  const begun = performance.now();
  let coldStart;
  try {
    if (options['cold-start-runs'] > 0) coldStart = await measureColdStart(s3, proxy, site, options);
    for (const tool of options.tools) {
      const bucket = `bench-${tool}`;
      await createBucket(s3, bucket);
      await restoreMtimes(site);
      const ctx = { s3, proxy, site, bucket, digests, changed, deleted, synced: false, overhead };
      // The starting state of workloads 2-5: the tool's own sync of the original tree, straight to the local S3.
      // Skipped when the last timed run already synced that untouched tree (first deploy, no change).
      ctx.resetBucket = async () => {
        if (ctx.synced) return;
        const started = performance.now();
        await mustRun(tool, { source: site.root, bucket, endpoint: s3.url, remove: true, concurrency: 32 }, options);
        overhead.reset += seconds(started);
        ctx.synced = true;
      };
      for (const name of options.workloads) {
        const result = await measureWorkload(tool, name, ctx, options);
        results.push(result);
        log(`  ${tool.padEnd(16)} ${result.workload.padEnd(17)} ${result.seconds.toFixed(2)} s  ${result.requests} requests${result.ok ? '' : '  NOT OK'}`);
      }
    }
  } finally {
    await proxy.close();
    await s3.stop();
    await fs.rm(site.root, { recursive: true, force: true });
  }
  const heading =
    `${site.entries.length} files (${(site.bytes / MiB).toFixed(1)} MiB, ${LARGE_FILES.length} over 8 MiB), ` +
    `${options.latency} ms per request, median of ${options.runs} run(s), seed ${options.seed}` +
    (options.concurrency ? `, action concurrency ${options.concurrency}` : '');
  const spent = Object.entries(overhead).map(([what, s]) => `${what} ${s.toFixed(0)} s`).join(', ');
  const footer = `Whole invocation ${seconds(begun).toFixed(0)} s: ${spent} (prepare includes the 1 s waits before edits and checkouts).`;
  const markdown = [heading, '', compareTable(results), '', coldStartText(coldStart), '', footer].join('\n');
  const name = `compare-${site.entries.length}f-${options.latency}ms`;
  await writeResults(name, markdown, { options, machine: machine(), site: { files: site.entries.length, bytes: site.bytes }, coldStart, overhead, results });
}

function compareTable(results) {
  const cli = (workload) => results.find((r) => r.tool === 'awscli' && r.workload === workload);
  const rows = results.map((r) => {
    const ratio = cli(r.workload) ? (r.seconds / cli(r.workload).seconds).toFixed(2) : '';
    const byOperation = Object.entries(r.counts).sort(([a], [b]) => a.localeCompare(b)).map(([op, n]) => `${op} ${n}`).join(', ');
    const requests = r.requestsRange ? `${r.requests} (${r.requestsRange})` : String(r.requests);
    return [r.tool, r.workload, r.seconds.toFixed(2), ratio, requests, byOperation, r.mibSent.toFixed(1), r.peakMib.toFixed(0), `${r.cpuSeconds.toFixed(1)} / ${r.serverCpuSeconds.toFixed(1)} / ${r.proxyCpuSeconds.toFixed(1)}`, r.ok ? 'yes' : `NO: ${r.problems.join('; ')}`];
  });
  return markdownTable(['tool', 'workload', 'median s', 'x aws cli', 'requests', 'by operation', 'MiB sent', 'peak MiB', 'cpu s tool / server / proxy', 'bucket right'], rows);
}

/**
 * Cold start: from spawning `node dist/index.js` to its first request reaching the proxy, twice: with a
 * one-file source (start-up alone), and with the generated site (start-up plus walking and hashing it,
 * which the action does before its first request). The action is stopped as soon as the request arrives.
 */
async function measureColdStart(s3, proxy, site, options) {
  const tiny = await fs.mkdtemp(path.join(os.tmpdir(), 'benchrun-tiny-'));
  await fs.writeFile(path.join(tiny, 'index.html'), '<h1>hi</h1>\n');
  await createBucket(s3, 'bench-cold-start');
  const result = {};
  try {
    for (const [label, source] of [['one file', tiny], [`${site.entries.length} files`, site.root]]) {
      const times = [];
      for (let run = 0; run < options['cold-start-runs']; run++) times.push(await timeToFirstRequest(proxy, source, options));
      result[label] = { medianMs: round(median(times), 1), allMs: times.map((t) => round(t, 1)) };
      log(`Cold start (${label}): median ${median(times).toFixed(0)} ms of ${times.map((t) => t.toFixed(0)).join(' ')}`);
    }
  } finally {
    await fs.rm(tiny, { recursive: true, force: true });
  }
  return result;
}

async function timeToFirstRequest(proxy, source, options) {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'benchrun-home-'));
  const { command, args, env } = TOOLS.action({ source, bucket: 'bench-cold-start', endpoint: proxy.url, home });
  proxy.reset();
  let arrived;
  const firstRequest = new Promise((resolve) => (arrived = resolve));
  // The proxy records each request the moment it arrives (before its latency): that is the instant wanted.
  proxy.requests.push = function push(...items) {
    arrived(performance.now());
    return Array.prototype.push.apply(this, items);
  };
  const started = performance.now();
  const child = spawn(command, args, { env, stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const at = await Promise.race([firstRequest, exited.then(() => NaN), sleep(options.timeout * 1000, NaN, { ref: false })]);
  child.kill('SIGKILL');
  await exited;
  delete proxy.requests.push;
  await fs.rm(home, { recursive: true, force: true });
  if (Number.isNaN(at)) throw new Error('The action made no request during the cold-start measurement.');
  return at - started;
}

function coldStartText(coldStart) {
  if (!coldStart) return '';
  const lines = Object.entries(coldStart).map(([label, { medianMs, allMs }]) => `- source of ${label}: median ${medianMs} ms (${allMs.join(', ')})`);
  return ['Cold start, spawning `node dist/index.js` to its first request at the proxy:', ...lines].join('\n');
}

/**
 * Planning at scale: 100,000 small files. The bucket is filled once (straight to the local S3, untimed for the
 * figures), then a no-change deploy through the proxy reports 'Plan took' (walk + hash + list + plan), and
 * a dry run against an empty bucket isolates walk + hash + plan (one list request). MD5 throughput on a
 * large file with node's crypto, next to md5sum, shows what hashing alone can do on this machine.
 */
async function planMode(options) {
  const site = await generateSite(options, 'small');
  const s3 = await startLocalS3();
  const proxy = await startS3Proxy({ target: s3.url, latencyMs: options.latency });
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
      const result = await runTool('action', { endpoint: proxy.url, ...spec }, options.timeout);
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
    const fill = await mustRun('action', { source: site.root, bucket: 'bench-plan', endpoint: s3.url, concurrency: 64 }, options);
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
    await proxy.close();
    await s3.stop();
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
  await writeResults(`plan-${site.entries.length}f`, [heading, '', table, '', md5Table].join('\n'), { options, machine: machine(), rows, md5: md5Figures });
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

/**
 * The action's `concurrency` on a first deploy, at several latencies: the data for choosing its default.
 * 'in flight' is requests x latency / wall time: how many requests the run kept waiting on the network on
 * average (a lower bound on real parallelism; it cannot exceed the level, nor the SDK's 50 sockets).
 */
async function sweepMode(options) {
  const site = await generateSite(options, 'realistic');
  const s3 = await startLocalS3();
  const digests = new Map(site.entries.map((e) => [e.key, e.md5]));
  const cells = [];
  try {
    await createBucket(s3, 'bench-sweep');
    for (const latency of options.latencies) {
      const proxy = await startS3Proxy({ target: s3.url, latencyMs: latency });
      try {
        for (const level of options.levels) {
          const samples = [];
          for (let run = 0; run < options.runs; run++) {
            await emptyBucket(s3, 'bench-sweep');
            proxy.reset();
            const cpu = await cpuMeter(s3);
            const result = await runTool('action', { source: site.root, bucket: 'bench-sweep', endpoint: proxy.url, concurrency: level }, options.timeout);
            Object.assign(result, await cpu.read());
            const problems = await verifyBucket(s3, 'bench-sweep', digests);
            samples.push({ ...result, ...requestCounts(proxy), problems: problems.length });
          }
          const mid = medianSample(samples);
          const wall = median(samples.map((s) => s.seconds));
          cells.push({
            latency,
            level,
            seconds: wall,
            allSeconds: samples.map((s) => round(s.seconds, 3)),
            requests: mid.total,
            inFlight: latency ? (mid.total * latency) / 1000 / wall : NaN,
            peakInFlight: mid.peakInFlight,
            peakMib: Math.max(...samples.map((s) => s.peakMib)),
            cpuSeconds: median(samples.map((s) => s.cpuSeconds)),
            serverCpuSeconds: median(samples.map((s) => s.serverCpuSeconds)),
            proxyCpuSeconds: median(samples.map((s) => s.proxyCpuSeconds)),
            ok: samples.every((s) => s.exitCode === 0 && s.problems === 0),
          });
          log(`  ${latency} ms, concurrency ${level}: ${wall.toFixed(2)} s (${samples.map((s) => s.seconds.toFixed(2)).join(' ')})`);
        }
      } finally {
        await proxy.close();
      }
    }
  } finally {
    await s3.stop();
    await fs.rm(site.root, { recursive: true, force: true });
  }
  const cell = (latency, level) => cells.find((c) => c.latency === latency && c.level === level);
  const best = (latency) => Math.min(...cells.filter((c) => c.latency === latency).map((c) => c.seconds));
  const pivot = markdownTable(
    ['concurrency', ...options.latencies.map((latency) => `${latency} ms`)],
    options.levels.map((level) => [
      String(level),
      ...options.latencies.map((latency) => {
        const c = cell(latency, level);
        return `${c.seconds.toFixed(2)} s (x${(c.seconds / best(latency)).toFixed(2)})${c.ok ? '' : ' FAILED'}`;
      }),
    ]),
  );
  const detail = markdownTable(
    ['latency', 'concurrency', 'median s', 'runs s', 'peak in flight', 'avg in flight', 'cpu s action / server / proxy', 'peak MiB'],
    cells.map((c) => [
      `${c.latency} ms`, String(c.level), c.seconds.toFixed(2), c.allSeconds.join(' '), String(c.peakInFlight),
      Number.isNaN(c.inFlight) ? '' : c.inFlight.toFixed(1),
      `${c.cpuSeconds.toFixed(1)} / ${c.serverCpuSeconds.toFixed(1)} / ${c.proxyCpuSeconds.toFixed(1)}`, c.peakMib.toFixed(0),
    ]),
  );
  const heading =
    `Action first deploy, ${site.entries.length} files (${(site.bytes / MiB).toFixed(1)} MiB, ${cells[0]?.requests} requests), median of ${options.runs} run(s); ` +
    'x = time / best time at that latency.';
  const notes =
    'peak in flight: most requests open at once at the proxy. avg in flight: requests x latency / wall time, the ' +
    'requests kept waiting on the network on average. cpu: the action, the local S3 and the proxy during the run (2 cores here).';
  const name = `concurrency-sweep-${site.entries.length}f-${options.latencies.join('-')}ms`;
  await writeResults(name, [heading, '', pivot, '', detail, '', notes].join('\n'), { options, machine: machine(), cells });
}

// ------------------------------------------------------------------------------------------ output

function markdownTable(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

async function writeResults(name, markdown, json) {
  await fs.mkdir(RESULTS, { recursive: true });
  await fs.writeFile(path.join(RESULTS, `${name}.md`), `${markdown}\n`);
  await fs.writeFile(path.join(RESULTS, `${name}.json`), `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\n${markdown}\n\nWritten: bench-results/${name}.md and .json`);
}

function machine() {
  return { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: round(os.totalmem() / 2 ** 30, 1), peakMemoryFrom: existsSync(GNU_TIME) ? 'GNU time %M' : '/proc/PID/status VmHWM' };
}

const seconds = (started) => (performance.now() - started) / 1000;
const round = (value, digits) => Math.round(value * 10 ** digits) / 10 ** digits;
const log = (text) => console.error(`[${new Date().toISOString().slice(11, 23)}] ${text}`);

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The sample whose wall time is the median (the lower middle one for an even count). */
function medianSample(samples) {
  const sorted = [...samples].sort((a, b) => a.seconds - b.seconds);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

// -------------------------------------------------------------------------------------------- main

const options = parseOptions(process.argv.slice(2));
const LOGS = Boolean(options.logs);
if (options['serve-s3']) await serveS3();
else if (options['plan-only']) await planMode(options);
else if (options['concurrency-sweep']) await sweepMode(options);
else await compareMode(options);
