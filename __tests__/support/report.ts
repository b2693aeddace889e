/** Reports of finished deploys, for the tests of what report.ts makes of them (outputs, summary, URLs). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jest } from '@jest/globals';
import type { LocalFile } from '../../src/local.js';
import type { Plan } from '../../src/plan.js';
import { type DeployReport, newReport, publishReport } from '../../src/report.js';

/** Where deployedReport's site is served. */
export const DOMAIN = 'www.example.com';

/** A 1,000-byte page planned for upload. */
export function plannedFile(key: string): LocalFile {
  return { key, absolutePath: `/tmp/${key}`, size: 1000, md5: '0'.repeat(32), headers: { contentType: 'text/html' } };
}

export function emptyPlan(): Plan {
  return {
    uploads: [],
    headerUpdates: [],
    unchanged: [],
    deletes: [],
    kept: [],
    newlyRemoved: [],
    expired: [],
    postponed: [],
    invalidate: [],
    removals: new Map(),
    learned: [],
  };
}

/** A finished deploy to s3://my-site-bucket/ that uploaded these keys as new, served at DOMAIN. */
export function deployedReport(keys: string[]): DeployReport {
  const report = newReport({ bucket: 'my-site-bucket', prefix: '', dryRun: false });
  report.plan = { ...emptyPlan(), uploads: keys.map((key) => ({ file: plannedFile(key), reason: 'new' as const })) };
  report.uploadedKeys = [...keys];
  report.site = { domain: DOMAIN, originPrefix: '' };
  return report;
}

export interface Published {
  /** The runner's folder (removed by now): RUNNER_TEMP was `runnerTemp(folder)`. */
  folder: string;
  /** The `changes-file` output, and what that file held ('' and undefined when none was written). */
  changesFile: string;
  changesInFile: unknown[] | undefined;
  summary: string;
  /** What the step printed (annotations included). */
  log: string;
}

/** Publishes the report as a runner's step would: GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, RUNNER_TEMP, stdout. */
export async function publishAsRunner(
  report: DeployReport,
  runnerTemp: (folder: string) => string = (folder) => path.join(folder, 'temp'),
): Promise<Published> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'runner-'));
  const outputFile = path.join(folder, 'output');
  const summaryFile = path.join(folder, 'summary');
  fs.writeFileSync(outputFile, '');
  fs.writeFileSync(summaryFile, '');
  const saved = { ...process.env };
  Object.assign(process.env, {
    RUNNER_TEMP: runnerTemp(folder),
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
  });
  const written: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    written.push(String(chunk));
    return true;
  });
  try {
    await publishReport(report);
    const changesFile = /^changes-file<<(.+)\n(.*)\n\1$/m.exec(fs.readFileSync(outputFile, 'utf8'))?.[2] ?? '';
    return {
      folder,
      changesFile,
      changesInFile: changesFile ? (JSON.parse(fs.readFileSync(changesFile, 'utf8')) as unknown[]) : undefined,
      summary: fs.readFileSync(summaryFile, 'utf8'),
      log: written.join(''),
    };
  } finally {
    write.mockRestore();
    process.env = saved;
    fs.rmSync(folder, { recursive: true, force: true });
  }
}
