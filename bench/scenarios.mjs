// What is measured: the workloads (each sets up its starting state untimed, says which tree to sync and
// what the bucket must hold afterwards), the timed runs of one tool on one workload, the start-up CPU of
// each tool, and the action's cold start.
//
// - Each tool's starting state is made by the tool itself (rclone keeps mtimes in object metadata, the AWS
//   CLI relies on LastModified), straight against the local S3: no latency, not counted.
// - After every timed run the bucket is listed straight from the local S3 and compared with the MD5 of every
//   local file: a fast tool that leaves the bucket wrong is marked, not praised.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { TOOLS } from './peers.mjs';
import { RESULTS, log, median, medianSample, round, seconds } from './report.mjs';
import { createBucket, cpuMeter, emptyBucket, lastToolExit, mustRun, requestCounts, runTool, verifyBucket } from './rig.mjs';
import { md5, stampBuildId } from './sites.mjs';

/** Each workload: its title, `remove` (sync with delete), how many files it uploads, and its set-up. */
export const WORKLOADS = {
  first: {
    title: 'first deploy',
    uploads: (ctx) => ctx.site.entries.length,
    async prepare(ctx) {
      await emptyBucket(ctx.rig.s3, ctx.bucket);
      return { source: ctx.site.root, expected: ctx.digests };
    },
  },
  nochange: {
    title: 'no change',
    uploads: () => 0,
    async prepare(ctx) {
      await ctx.resetBucket();
      return { source: ctx.site.root, expected: ctx.digests };
    },
  },
  fresh: {
    title: 'fresh checkout',
    uploads: () => 0,
    async prepare(ctx) {
      await ctx.resetBucket();
      await settleClock();
      const copy = await fs.mkdtemp(path.join(os.tmpdir(), 'benchrun-checkout-'));
      await fs.cp(ctx.site.root, copy, { recursive: true, preserveTimestamps: false });
      return { source: copy, expected: ctx.digests, undo: () => fs.rm(copy, { recursive: true, force: true }) };
    },
  },
  changed: {
    title: '1% changed',
    uploads: (ctx) => ctx.changed.length,
    prepare: (ctx) => rewrite(ctx, ctx.changed),
  },
  deleted: {
    title: '10% deleted',
    remove: true,
    uploads: () => 0,
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
  pages: {
    title: 'every page changed',
    uploads: (ctx) => ctx.site.pages.length,
    prepare: (ctx) => rewrite(ctx, ctx.site.pages),
  },
};

/**
 * The bucket as the tool left the original tree, then `entries` rewritten as a new build would: a new
 * build id in each, same size, newer mtime. `undo` puts the original bytes back.
 */
async function rewrite(ctx, entries) {
  await ctx.resetBucket();
  await settleClock();
  const expected = new Map(ctx.digests);
  const originals = [];
  for (const entry of entries) {
    const file = path.join(ctx.site.root, entry.key);
    const original = await fs.readFile(file);
    const edited = stampBuildId(original, entry.key, 'build-0002');
    await fs.writeFile(file, edited);
    expected.set(entry.key, md5(edited));
    originals.push([file, original]);
  }
  const undo = async () => {
    // The restored files must look newer than what the timed run uploaded (the CLI compares mtimes to the
    // second), so the next run's reset puts the original bytes back with every tool.
    await settleClock();
    for (const [file, original] of originals) await fs.writeFile(file, original);
  };
  return { source: ctx.site.root, expected, undo };
}

/**
 * The CLI treats a file whose mtime is in the same second as the object's LastModified as unchanged, so an
 * edit (or a checkout) must come at least a second after the last sync, as it always does in real life.
 */
const settleClock = () => sleep(Math.max(0, lastToolExit.at + 1100 - performance.now()));

/** What every tool run gets besides source, bucket and endpoint. */
export function toolSpec(ctx, extra = {}) {
  const { options, rig } = ctx;
  return {
    timeout: options.timeout,
    ...(rig.certFile ? { certFile: rig.certFile } : {}),
    ...(options.node ? { node: options.node } : {}),
    ...(options.entry ? { entry: options.entry } : {}),
    ...(options.logs ? { verbose: true } : {}),
    ...extra,
  };
}

/**
 * The context of one tool on one site: its bucket, and resetBucket, which makes the starting state of most
 * workloads (the tool's own sync of the original tree, straight to the local S3), skipped when the last
 * timed run already left exactly that.
 */
export async function toolContext(tool, { rig, site, options, overhead, changed, deleted }) {
  const bucket = `bench-${site.name}-${tool}`;
  await createBucket(rig.s3, bucket);
  const ctx = { tool, rig, site, options, overhead, bucket, changed, deleted, synced: false };
  ctx.digests = new Map(site.entries.map((entry) => [entry.key, entry.md5]));
  ctx.resetBucket = async () => {
    if (ctx.synced) return;
    const started = performance.now();
    await mustRun(tool, toolSpec(ctx, { source: site.root, bucket, endpoint: rig.s3.url, remove: true, concurrency: 32, certFile: undefined }));
    overhead.reset += seconds(started);
    ctx.synced = true;
  };
  return ctx;
}

/** K timed runs of one tool on one workload, each from the same starting state. */
export async function measureWorkload(name, ctx) {
  const { tool, rig, options, overhead } = ctx;
  const workload = WORKLOADS[name];
  const samples = [];
  for (let run = 0; run < options.runs; run++) {
    const preparing = performance.now();
    const resetBefore = overhead.reset;
    const state = await workload.prepare(ctx);
    overhead.prepare += seconds(preparing) - (overhead.reset - resetBefore);
    rig.proxy.reset();
    const cpu = cpuMeter();
    const spec = toolSpec(ctx, { source: state.source, bucket: ctx.bucket, endpoint: rig.proxy.url, remove: Boolean(workload.remove), concurrency: options.concurrency, ...ctx.timedSpec });
    const result = await runTool(tool, spec);
    Object.assign(result, cpu.read());
    const requests = requestCounts(rig.proxy);
    overhead.timed += result.seconds;
    const checking = performance.now();
    const problems = await verifyBucket(rig.s3, ctx.bucket, state.expected);
    overhead.verify += seconds(checking);
    // The bucket is what a reset would make only after syncing the untouched original tree.
    ctx.synced = result.exitCode === 0 && problems.length === 0 && state.source === ctx.site.root && !state.undo;
    const undoing = performance.now();
    await state.undo?.();
    overhead.prepare += seconds(undoing);
    if (options.logs) await saveLog(`${ctx.site.name}-${tool}-${name}-${run}`, result, requests, problems, rig.proxy.requests);
    samples.push({ ...result, ...requests, problems: problems.length, firstProblems: problems.slice(0, 5), plan: planSeconds(result.stdout) });
    if (result.exitCode !== 0) log(`  ${tool} exited ${result.exitCode}: ${(result.stdout + result.stderr).slice(-600)}`);
  }
  return summarize(ctx, name, samples);
}

/** The median run (by wall time) stands for the workload; every sample is kept in the JSON. */
function summarize(ctx, name, samples) {
  const mid = medianSample(samples);
  const spread = (pick) => {
    const values = samples.map(pick);
    return Math.min(...values) === Math.max(...values) ? '' : `${Math.min(...values)}-${Math.max(...values)}`;
  };
  return {
    tool: ctx.tool,
    site: ctx.site.name,
    siteTitle: ctx.siteTitle,
    workload: WORKLOADS[name].title,
    uploads: WORKLOADS[name].uploads(ctx),
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
    allCpuSeconds: samples.map((s) => round(s.cpuSeconds, 2)),
    rigCpuSeconds: median(samples.map((s) => s.rigCpuSeconds)),
    problems: samples.map((s) => s.firstProblems).flat().slice(0, 5),
    actionOutputs: mid.outputs,
    planSeconds: mid.plan,
  };
}

export const planSeconds = (stdout) => Number(/Plan took ([\d.]+) s/.exec(stdout)?.[1] ?? NaN);

/**
 * A tool's CPU for a first deploy of a one-file site through the same rig (median of `runs`): what it
 * costs to start, list and finish, which the per-file figures leave out.
 */
export async function measureStartup(tool, { rig, options }) {
  const tiny = await fs.mkdtemp(path.join(os.tmpdir(), 'benchrun-tiny-'));
  await fs.writeFile(path.join(tiny, 'index.html'), '<h1>hi</h1>\n');
  const bucket = `bench-startup-${tool}`;
  const cpu = [];
  try {
    for (let run = 0; run < Math.max(3, options.runs); run++) {
      await createBucket(rig.s3, bucket);
      const result = await mustRun(tool, toolSpec({ rig, options }, { source: tiny, bucket, endpoint: rig.proxy.url }));
      cpu.push(result.cpuSeconds);
    }
  } finally {
    await fs.rm(tiny, { recursive: true, force: true });
  }
  log(`  ${tool} start-up: ${median(cpu).toFixed(2)} CPU-s (${cpu.map((c) => c.toFixed(2)).join(' ')})`);
  return median(cpu);
}

/**
 * Cold start: from spawning `node dist/index.js` to its first request reaching the proxy, with a one-file
 * source (start-up alone) and with the site (start-up plus walking and hashing it, which the action does
 * before its first request). The action is stopped as soon as the request arrives.
 */
export async function measureColdStart({ rig, site, options }) {
  const tiny = await fs.mkdtemp(path.join(os.tmpdir(), 'benchrun-tiny-'));
  await fs.writeFile(path.join(tiny, 'index.html'), '<h1>hi</h1>\n');
  await createBucket(rig.s3, 'bench-cold-start');
  const result = {};
  try {
    for (const [label, source] of [['one file', tiny], [`${site.entries.length} files`, site.root]]) {
      const times = [];
      for (let run = 0; run < options['cold-start-runs']; run++) times.push(await timeToFirstRequest(rig, source, options));
      result[label] = { medianMs: round(median(times), 1), allMs: times.map((t) => round(t, 1)) };
      log(`Cold start (${label}): median ${median(times).toFixed(0)} ms of ${times.map((t) => t.toFixed(0)).join(' ')}`);
    }
  } finally {
    await fs.rm(tiny, { recursive: true, force: true });
  }
  return result;
}

async function timeToFirstRequest(rig, source, options) {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'benchrun-home-'));
  const spec = toolSpec({ rig, options }, { source, bucket: 'bench-cold-start', endpoint: rig.proxy.url, home });
  const { command, args, env } = TOOLS.action(spec);
  rig.proxy.reset();
  let arrived;
  const firstRequest = new Promise((resolve) => (arrived = resolve));
  // The proxy reports each request the moment it arrives (before its latency): that is the instant wanted.
  rig.proxy.onRequest(() => arrived(performance.now()));
  const started = performance.now();
  const child = spawn(command, args, { env, stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const at = await Promise.race([firstRequest, exited.then(() => NaN), sleep(options.timeout * 1000, NaN, { ref: false })]);
  child.kill('SIGKILL');
  await exited;
  rig.proxy.onRequest(undefined);
  await fs.rm(home, { recursive: true, force: true });
  if (Number.isNaN(at)) throw new Error('The action made no request during the cold-start measurement.');
  return at - started;
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
