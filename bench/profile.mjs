// Where the action's CPU goes (npm run bench -- --profile): the bundle is built again with a source map
// (ncc -s, into bench-results/profile-build/), one workload is run through the benchmark's rig with the
// action under `node --cpu-prof`, and the profile is summarised: every sample is mapped back to its source
// file, and self time is printed by package (each of our src/ modules, each npm package, Node's internals,
// the garbage collector) and by function, per uploaded file.
//
//   npm run bench -- --profile [--sites pages] [--workloads pages] [--node PATH] [--http]
//   node bench/profile.mjs <file.cpuprofile> [--map dist/index.js.map] [--top 25] [--per N]
//
// The second form summarises a profile already taken; --per N divides every figure by N (the files
// uploaded). V8's profiler samples the main thread by wall clock, so time the thread spent blocked in a
// system call shows up as that call (writev, read); the process's CPU (GNU time) is printed beside it.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { RESULTS, log, machine, writeResults } from './report.mjs';
import { startRig } from './rig.mjs';
import { measureWorkload, toolContext } from './scenarios.mjs';
import { generateSite, pick } from './sites.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Builds the profiling bundle, runs the workload once under --cpu-prof, prints and writes the summary. */
export async function profileMode(options) {
  const site = options.sites[0] ?? 'pages';
  const workload = options.workloads[0] ?? (site === 'pages' ? 'pages' : 'first');
  const build = path.join(RESULTS, 'profile-build');
  const profiles = path.join(RESULTS, 'profiles');
  log('Building the action with a source map (ncc -s)...');
  await promisify(execFile)(path.join(ROOT, 'node_modules/.bin/ncc'), ['build', 'src/index.ts', '-o', build, '-s', '--target', 'es2022'], { cwd: ROOT, maxBuffer: 1 << 26 });
  await fs.rm(profiles, { recursive: true, force: true });
  const rig = await startRig({ latency: options.latency, tls: options.tls });
  const generated = await generateSite(site, options);
  let result;
  try {
    const overhead = { timed: 0, reset: 0, verify: 0, prepare: 0 };
    const changed = pick(generated.entries, Math.max(1, Math.round(generated.entries.length / 100)), options.seed * 7919);
    const ctx = await toolContext('action', { rig, site: generated, options: { ...options, runs: 1 }, overhead, changed, deleted: [] });
    // Only the timed run is profiled, not the runs that set the bucket up.
    ctx.timedSpec = { entry: path.join(build, 'index.js'), nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profiles] };
    result = await measureWorkload(workload, ctx);
  } finally {
    await rig.stop();
    await fs.rm(generated.root, { recursive: true, force: true });
  }
  const [file] = (await fs.readdir(profiles)).filter((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`No CPU profile was written to ${profiles}.`);
  const profile = JSON.parse(await fs.readFile(path.join(profiles, file), 'utf8'));
  const summary = summarise(profile, await loadSourceMaps(path.join(build, 'index.js.map')));
  const heading =
    `Profile of the action (${path.basename(build)}, Node ${options.node || process.execPath}), ${site} site, ${result.workload}: ` +
    `${result.uploads} files uploaded, ${result.seconds.toFixed(2)} s wall, process CPU ${result.cpuSeconds.toFixed(2)} s ` +
    `(${((result.cpuSeconds * 1000) / Math.max(1, result.uploads)).toFixed(2)} ms per file with start-up), ${options.tls ? 'HTTPS' : 'HTTP'}, ${options.latency} ms per request.`;
  const text = formatSummary(summary, { top: 30, per: Math.max(1, result.uploads) });
  await writeResults(`profile-${site}-${workload}`, [heading, '', '```', text, '```', '', `Profile: bench-results/profiles/${file} (open it in Chrome DevTools).`].join('\n'), {
    options,
    machine: machine(options.node || undefined),
    result,
    totalMs: summary.totalMs,
  });
}

/**
 * A source file's bucket: 'src/upload.ts', '@smithy/signature-v4', 'node:internal/...', or V8's own
 * '(garbage collector)', '(program)'.
 */
export function packageOf(source) {
  if (!source) return '(native)';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source);
  if (modules) return modules[1];
  if (source.startsWith('node:')) return `node:${source.slice(5).split('/').slice(0, 2).join('/')}`;
  const own = /(?:^|\/)(src\/[^/]+)$/.exec(source);
  return own ? own[1] : source;
}

/**
 * Self time per sample node, mapped to source, and the same time charged to the nearest of our own
 * functions on the stack (so the SDK's or Node's work shows under the step that asked for it). Returns
 * { totalMs, idleMs, rows: [{ pkg, fn, ms }], ours: [{ fn, ms }] }; idle time (the process waiting on the
 * network) is not in the rows.
 */
export function summarise(profile, sourceMaps) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const selfUs = new Map();
  for (let index = 0; index < profile.samples.length; index++) {
    const id = profile.samples[index];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  }
  const located = new Map();
  const where = (id) => {
    if (!located.has(id)) {
      const { callFrame } = nodes.get(id);
      const { source, name } = locate(callFrame, sourceMaps);
      const pkg = callFrame.url ? packageOf(source) : callFrame.functionName || '(native)';
      located.set(id, { pkg, fn: name || callFrame.functionName || '(anonymous)' });
    }
    return located.get(id);
  };
  let idleUs = 0;
  const rows = new Map();
  const ours = new Map();
  for (const [id, us] of selfUs) {
    if (nodes.get(id).callFrame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const { pkg, fn } = where(id);
    const key = `${pkg}\u0000${fn}`;
    rows.set(key, { pkg, fn, us: (rows.get(key)?.us ?? 0) + us });
    let owner = id;
    while (owner !== undefined && !where(owner).pkg.startsWith('src/')) owner = parents.get(owner);
    const ownKey = owner === undefined ? '(outside our code: start-up, GC, timers, sockets)' : `${where(owner).pkg} ${where(owner).fn}`;
    ours.set(ownKey, (ours.get(ownKey) ?? 0) + us);
  }
  const list = [...rows.values()].map(({ pkg, fn, us }) => ({ pkg, fn, ms: us / 1000 }));
  const totalMs = list.reduce((sum, row) => sum + row.ms, 0);
  return { totalMs, idleMs: idleUs / 1000, rows: list, ours: [...ours].map(([fn, us]) => ({ fn, ms: us / 1000 })) };
}

/** A call frame's original file and function name, through the bundle's source map where there is one. */
function locate(callFrame, sourceMaps) {
  const url = callFrame.url.replace(/^file:\/\//, '');
  const map = sourceMaps.get(path.basename(url));
  if (!map) return { source: url, name: callFrame.functionName };
  const entry = map.findEntry(callFrame.lineNumber, callFrame.columnNumber);
  if (!entry || !entry.originalSource) return { source: url, name: callFrame.functionName };
  return { source: entry.originalSource, name: callFrame.functionName || entry.name };
}

/** The summary as text: totals, the top packages and functions by self time, and our functions' share. */
export function formatSummary({ totalMs, idleMs, rows, ours }, { top = 25, per = 1 } = {}) {
  const unit = per === 1 ? 'ms' : 'ms per file';
  const fmt = (ms) => (ms / per).toFixed(per === 1 ? 0 : 3).padStart(9);
  const share = (ms) => `${((100 * ms) / totalMs).toFixed(1).padStart(5)}%`;
  const byPackage = new Map();
  for (const row of rows) byPackage.set(row.pkg, (byPackage.get(row.pkg) ?? 0) + row.ms);
  const lines = [
    `Main-thread CPU ${fmt(totalMs)} ${unit} (idle ${(idleMs / 1000).toFixed(2)} s not counted)`,
    '',
    `By package (self time, ${unit}):`,
    ...[...byPackage]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([pkg, ms]) => `${fmt(ms)} ${share(ms)}  ${pkg}`),
    '',
    `By function (self time, ${unit}):`,
    ...[...rows]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top)
      .map(({ pkg, fn, ms }) => `${fmt(ms)} ${share(ms)}  ${fn}  [${pkg}]`),
    '',
    `By our function nearest on the stack (its own time and what it called, ${unit}):`,
    ...[...ours]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top)
      .map(({ fn, ms }) => `${fmt(ms)} ${share(ms)}  ${fn}`),
  ];
  return lines.join('\n');
}

/** Source maps of the bundle's files (index.js.map and its chunks), by the bundled file's name. */
export async function loadSourceMaps(mapFile) {
  const maps = new Map();
  const directory = path.dirname(mapFile);
  for (const name of await fs.readdir(directory)) {
    if (!name.endsWith('.js.map')) continue;
    const payload = JSON.parse(await fs.readFile(path.join(directory, name), 'utf8'));
    maps.set(name.replace(/\.map$/, ''), new SourceMap(payload));
  }
  return maps;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, ...rest] = process.argv.slice(2);
  const flag = (name, fallback) => {
    const index = rest.indexOf(`--${name}`);
    return index === -1 ? fallback : rest[index + 1];
  };
  if (!file) throw new Error('usage: node bench/profile.mjs <file.cpuprofile> [--map dist/index.js.map] [--top 25] [--per N]');
  const profile = JSON.parse(await fs.readFile(file, 'utf8'));
  const mapFile = flag('map', fileURLToPath(new URL('../dist/index.js.map', import.meta.url)));
  const maps = await loadSourceMaps(mapFile).catch(() => new Map());
  console.log(formatSummary(summarise(profile, maps), { top: Number(flag('top', 25)), per: Number(flag('per', 1)) }));
}
