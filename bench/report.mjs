// The benchmark's output: tables on stdout and in bench-results/ (Markdown and JSON), and the small
// statistics and formatting helpers every part uses.
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export const RESULTS = fileURLToPath(new URL('../bench-results/', import.meta.url));
export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GNU_TIME = '/usr/bin/time';

export const seconds = (started) => (performance.now() - started) / 1000;
export const round = (value, digits) => Math.round(value * 10 ** digits) / 10 ** digits;
export const log = (text) => console.error(`[${new Date().toISOString().slice(11, 23)}] ${text}`);

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The sample whose wall time is the median (the lower middle one for an even count). */
export function medianSample(samples) {
  const sorted = [...samples].sort((a, b) => a.seconds - b.seconds);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

export function markdownTable(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export async function writeResults(name, markdown, json) {
  await fs.mkdir(RESULTS, { recursive: true });
  await fs.writeFile(path.join(RESULTS, `${name}.md`), `${markdown}\n`);
  await fs.writeFile(path.join(RESULTS, `${name}.json`), `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\n${markdown}\n\nWritten: bench-results/${name}.md and .json`);
}

export function machine(node = process.execPath) {
  return {
    bench: process.version,
    actionNode: node,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    loadAverage: os.loadavg().map((value) => round(value, 2)),
    peakMemoryFrom: existsSync(GNU_TIME) ? 'GNU time %M' : '/proc/PID/status VmHWM',
  };
}

/**
 * The headline: per site and workload, each tool's wall time, its ratio to the AWS CLI's, and its client
 * CPU, in all and per uploaded file with start-up excluded (the tool's CPU less that of a one-file deploy).
 */
export function headlineTable(results, startup) {
  const cli = (r) => results.find((other) => other.tool === 'awscli' && other.site === r.site && other.workload === r.workload);
  const rows = results.map((r) => {
    const ratio = cli(r) ? `${(r.seconds / cli(r).seconds).toFixed(2)}x` : '';
    const perFile = r.uploads > 0 && startup[r.tool] !== undefined ? (((r.cpuSeconds - startup[r.tool]) * 1000) / r.uploads).toFixed(2) : '';
    return [r.siteTitle, r.workload, r.tool, `${r.seconds.toFixed(2)} s`, ratio, `${r.cpuSeconds.toFixed(2)} s`, String(r.uploads), perFile, r.ok ? 'yes' : 'NO'];
  });
  return markdownTable(['site', 'workload', 'tool', 'wall (median)', 'x aws cli', 'client CPU', 'files uploaded', 'CPU ms per uploaded file', 'bucket right'], rows);
}

/** Everything measured per run: requests by operation, bytes, memory, and the CPU of the tool and of the rig (front and local S3). */
export function detailTable(results) {
  const rows = results.map((r) => {
    const byOperation = Object.entries(r.counts).sort(([a], [b]) => a.localeCompare(b)).map(([op, n]) => `${op} ${n}`).join(', ');
    const requests = r.requestsRange ? `${r.requests} (${r.requestsRange})` : String(r.requests);
    return [r.siteTitle, r.tool, r.workload, r.allSeconds.join(' '), requests, byOperation, r.mibSent.toFixed(1), r.peakMib.toFixed(0), `${r.cpuSeconds.toFixed(2)} / ${r.rigCpuSeconds.toFixed(2)}`, r.ok ? 'yes' : `NO: ${r.problems.join('; ')}`];
  });
  return markdownTable(['site', 'tool', 'workload', 'runs s', 'requests', 'by operation', 'MiB sent', 'peak MiB', 'cpu s tool / rig', 'bucket right'], rows);
}

export function coldStartText(coldStart) {
  if (!coldStart) return '';
  const lines = Object.entries(coldStart).map(([label, { medianMs, allMs }]) => `- source of ${label}: median ${medianMs} ms (${allMs.join(', ')})`);
  return ['Cold start, spawning `node dist/index.js` to its first request at the proxy:', ...lines].join('\n');
}

export function startupText(startup) {
  const parts = Object.entries(startup).map(([tool, cpu]) => `${tool} ${cpu.toFixed(2)} s`);
  return parts.length ? `Start-up CPU (a one-file first deploy, median), subtracted for the per-file figures: ${parts.join(', ')}.` : '';
}
