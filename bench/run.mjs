// Benchmark: this action against `aws s3 sync` and rclone on the same generated sites, through the same
// rig (the local S3 in its fast mode behind a loopback proxy that adds a fixed latency per request, counts
// requests by S3 operation and serves HTTPS), and where the action's CPU goes.
//
//   node bench/run.mjs [--sites files,pages] [--files 2000] [--latency 20] [--runs 3] [--seed 1]
//        [--tools action,awscli,rclone,rclone-checksum] [--workloads first,nochange,...]
//        [--concurrency N]            the action's `concurrency` input (default: the action's own)
//        [--node PATH]                the Node.js that runs the action (default: this one; use Node 24)
//        [--entry PATH]               the action's bundle (default: dist/index.js)
//        [--http]                     plain HTTP instead of HTTPS between the tools and the proxy
//        [--cold-start-runs 9]        0 skips the cold-start measurement
//   node bench/run.mjs --profile [--sites pages] [--workloads pages]   where the action's CPU goes
//   node bench/run.mjs --plan-only [--files 100000]                    planning at scale, MD5 throughput
//   node bench/run.mjs --concurrency-sweep [--latencies 0,20,80] [--levels 4,8,16,32,64]
//
// Results: tables on stdout, and the same as Markdown and JSON in bench-results/.
//
// The parts, each readable alone: rig.mjs (the local S3, the proxy, running a tool), sites.mjs (the
// generated sites), scenarios.mjs (the workloads and what each run measures), peers.mjs (the tools and
// their settings), report.mjs (the tables), profile.mjs (the CPU profile and its summary), plan.mjs and
// sweep.mjs (the planning and concurrency studies). Beside them: request-cost.mjs (client CPU per PutObject
// by way of sending it: S3Client.send, the action's PutObject, plain node:http, a bare socket),
// connection-cost.mjs (client CPU of a new HTTPS connection) and scale.mjs (20,000 files / 2 GiB).
import fs from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { planMode } from './plan.mjs';
import { profileMode } from './profile.mjs';
import { TOOLS } from './peers.mjs';
import { coldStartText, detailTable, headlineTable, log, machine, seconds, startupText, writeResults } from './report.mjs';
import { startRig } from './rig.mjs';
import { WORKLOADS, measureColdStart, measureStartup, measureWorkload, toolContext } from './scenarios.mjs';
import { SITES, generateSite, pick, restoreMtimes } from './sites.mjs';
import { sweepMode } from './sweep.mjs';

const FLAGS = {
  sites: '', files: null, latency: '20', runs: '3', seed: '1', concurrency: '', timeout: '600',
  tools: 'action,awscli,rclone,rclone-checksum', workloads: '', node: '', entry: '',
  'cold-start-runs': '9', latencies: '0,20,80', levels: '4,8,16,32,64',
};
const SWITCHES = new Set(['plan-only', 'concurrency-sweep', 'profile', 'logs', 'http']);

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
  options.sites = list(options.sites || (options.profile ? 'pages' : 'files,pages'));
  options.tools = list(options.tools);
  options.workloads = list(options.workloads);
  options.latencies = list(options.latencies).map(Number);
  options.levels = list(options.levels).map(Number);
  options.tls = !options.http;
  for (const site of options.sites) if (!SITES[site]?.workloads.length) throw new Error(`Unknown site '${site}': files, pages`);
  for (const tool of options.tools) if (!TOOLS[tool]) throw new Error(`Unknown tool '${tool}': ${Object.keys(TOOLS)}`);
  for (const w of options.workloads) if (!WORKLOADS[w]) throw new Error(`Unknown workload '${w}': ${Object.keys(WORKLOADS)}`);
  return options;
}

/** Every tool on every workload of every site, then one table with CPU per uploaded file as the headline. */
async function compareMode(options) {
  const rig = await startRig({ latency: options.latency, tls: options.tls });
  const results = [];
  const startup = {};
  const overhead = { timed: 0, reset: 0, verify: 0, prepare: 0 };
  const begun = performance.now();
  const sites = [];
  let coldStart;
  try {
    for (const tool of options.tools) startup[tool] = await measureStartup(tool, { rig, options });
    for (const name of options.sites) {
      const site = await generateSite(name, options);
      sites.push({ name, title: SITES[name].title(site), files: site.entries.length, pages: site.pages.length, bytes: site.bytes });
      try {
        if (name === options.sites[0] && options['cold-start-runs'] > 0) coldStart = await measureColdStart({ rig, site, options });
        const changed = pick(site.entries, Math.max(1, Math.round(site.entries.length / 100)), options.seed * 7919);
        const deleted = pick(site.entries, Math.max(1, Math.round(site.entries.length / 10)), options.seed * 104729);
        const workloads = options.workloads.length > 0 ? options.workloads : SITES[name].workloads;
        for (const tool of options.tools) {
          await restoreMtimes(site);
          const ctx = await toolContext(tool, { rig, site, options, overhead, changed, deleted });
          ctx.siteTitle = SITES[name].title(site);
          for (const workload of workloads) {
            const result = await measureWorkload(workload, ctx);
            results.push(result);
            log(`  ${name} ${tool.padEnd(16)} ${result.workload.padEnd(19)} ${result.seconds.toFixed(2)} s  ${result.cpuSeconds.toFixed(2)} CPU-s  ${result.requests} requests${result.ok ? '' : '  NOT OK'}`);
          }
        }
      } finally {
        await fs.rm(site.root, { recursive: true, force: true });
      }
    }
  } finally {
    await rig.stop();
  }
  const heading =
    `${sites.map((s) => `${s.title} (${s.files} files, ${(s.bytes / 2 ** 20).toFixed(1)} MiB)`).join('; ')}; ` +
    `${options.tls ? 'HTTPS' : 'HTTP'}, ${options.latency} ms per request, median of ${options.runs} run(s), seed ${options.seed}` +
    (options.concurrency ? `, action concurrency ${options.concurrency}` : '');
  const spent = Object.entries(overhead).map(([what, s]) => `${what} ${s.toFixed(0)} s`).join(', ');
  const footer = `Whole invocation ${seconds(begun).toFixed(0)} s: ${spent} (prepare includes the 1 s waits before edits and checkouts).`;
  const markdown = [heading, '', headlineTable(results, startup), '', startupText(startup), '', detailTable(results), '', coldStartText(coldStart), '', footer].join('\n');
  const name = `compare-${options.sites.join('-')}-${options.files}-${options.latency}ms-${options.tls ? 'https' : 'http'}`;
  await writeResults(name, markdown, { options, machine: machine(options.node || undefined), sites, startup, coldStart, overhead, results });
}

const options = parseOptions(process.argv.slice(2));
if (options['plan-only']) await planMode(options);
else if (options['concurrency-sweep']) await sweepMode(options);
else if (options.profile) await profileMode(options);
else await compareMode(options);
