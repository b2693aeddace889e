// The action's `concurrency` on a first deploy of the 2,000-file site at several latencies (npm run bench --
// --concurrency-sweep): the data its default was chosen from.
import fs from 'node:fs/promises';
import { MiB, log, machine, markdownTable, median, medianSample, round, writeResults } from './report.mjs';
import { cpuMeter, createBucket, emptyBucket, requestCounts, runTool, startRig, verifyBucket } from './rig.mjs';
import { toolSpec } from './scenarios.mjs';
import { generateSite } from './sites.mjs';

/**
 * The action's `concurrency` on a first deploy, at several latencies: the data for choosing its default.
 * 'in flight' is requests x latency / wall time: how many requests the run kept waiting on the network on
 * average (a lower bound on real parallelism; it cannot exceed the level, nor the SDK's 50 sockets).
 */
export async function sweepMode(options) {
  const site = await generateSite('files', options);
  const rig = await startRig({ latency: 0, tls: options.tls });
  const { s3, proxy } = rig;
  const digests = new Map(site.entries.map((e) => [e.key, e.md5]));
  const cells = [];
  try {
    await createBucket(s3, 'bench-sweep');
    for (const latency of options.latencies) {
      proxy.setLatency(latency);
      for (const level of options.levels) {
        const samples = [];
        for (let run = 0; run < options.runs; run++) {
          await emptyBucket(s3, 'bench-sweep');
          proxy.reset();
          const cpu = cpuMeter();
          const spec = toolSpec({ rig, options }, { source: site.root, bucket: 'bench-sweep', endpoint: proxy.url, concurrency: level });
          const result = await runTool('action', spec);
          Object.assign(result, cpu.read());
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
          rigCpuSeconds: median(samples.map((s) => s.rigCpuSeconds)),
          ok: samples.every((s) => s.exitCode === 0 && s.problems === 0),
        });
        log(`  ${latency} ms, concurrency ${level}: ${wall.toFixed(2)} s (${samples.map((s) => s.seconds.toFixed(2)).join(' ')})`);
      }
    }
  } finally {
    await rig.stop();
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
    ['latency', 'concurrency', 'median s', 'runs s', 'peak in flight', 'avg in flight', 'cpu s action / rig', 'peak MiB'],
    cells.map((c) => [
      `${c.latency} ms`, String(c.level), c.seconds.toFixed(2), c.allSeconds.join(' '), String(c.peakInFlight),
      Number.isNaN(c.inFlight) ? '' : c.inFlight.toFixed(1),
      `${c.cpuSeconds.toFixed(1)} / ${c.rigCpuSeconds.toFixed(1)}`, c.peakMib.toFixed(0),
    ]),
  );
  const heading =
    `Action first deploy, ${site.entries.length} files (${(site.bytes / MiB).toFixed(1)} MiB, ${cells[0]?.requests} requests), median of ${options.runs} run(s); ` +
    'x = time / best time at that latency.';
  const notes =
    'peak in flight: most requests open at once at the proxy. avg in flight: requests x latency / wall time, the ' +
    'requests kept waiting on the network on average. cpu: the action, the local S3 and the proxy during the run (2 cores here).';
  const name = `concurrency-sweep-${site.entries.length}f-${options.latencies.join('-')}ms`;
  await writeResults(name, [heading, '', pivot, '', detail, '', notes].join('\n'), { options, machine: machine(options.node || undefined), cells });
}

