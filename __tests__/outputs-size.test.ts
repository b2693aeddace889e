/**
 * The outputs and the job summary stay within GitHub's limits however large the deploy (1 MiB of outputs a
 * step, 1 MiB of summary), say what they left out, and `changes-file` holds everything.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { changesOf, outputsOf, summaryMarkdown, writeChangesFile } from '../src/report.js';
import { deployedReport, publishAsRunner } from './support/report.js';

const utf16Size = (outputs: Record<string, string>) =>
  Object.entries(outputs).reduce((sum, [name, value]) => sum + (name.length + value.length) * 2, 0);

describe('outputs within 1 MiB', () => {
  it('cuts the invalidation paths of several distributions that would not fit, and says so', () => {
    const report = deployedReport(['index.html']);
    const paths = Array.from({ length: 3000 }, (_, i) => `/docs/reference/api/classes/SomeClass${i}/methods/*`);
    report.invalidations = ['E1', 'E2', 'E3'].map((distributionId) => ({
      distributionId,
      id: `I${distributionId}`,
      status: 'InProgress' as const,
      paths,
    }));
    const outputs = outputsOf(report, '/home/runner/work/_temp/changes.json');
    expect(utf16Size(outputs)).toBeLessThanOrEqual(1024 * 1024);
    const listed = JSON.parse(outputs.invalidations ?? '[]') as Array<{ distributionId: string; paths: string[] }>;
    expect(listed.map((i) => i.distributionId)).toEqual(['E1', 'E2', 'E3']);
    for (const invalidation of listed) {
      expect(invalidation.paths.length).toBeGreaterThan(0);
      expect(invalidation.paths).toEqual(paths.slice(0, invalidation.paths.length));
    }
    const leftOut = 3 * 3000 - listed.reduce((sum, i) => sum + i.paths.length, 0);
    expect(summaryMarkdown(report)).toContain(
      `The \`invalidations\` output left out ${leftOut.toLocaleString('en-US')} paths`,
    );
  });

  it('leaves the outputs of a small deploy whole', () => {
    const report = deployedReport(['index.html', 'about.html']);
    report.invalidations = [{ distributionId: 'E1', id: 'I1', status: 'Completed', paths: ['/', '/about.html'] }];
    const outputs = outputsOf(report);
    expect(outputs.invalidations).toBe(JSON.stringify(report.invalidations));
    expect(JSON.parse(outputs.changes ?? '[]')).toEqual(changesOf(report));
    expect(summaryMarkdown(report)).not.toContain('left out');
  });
});

describe('changes-file', () => {
  it('holds every change, one a line, as JSON', async () => {
    const report = deployedReport(Array.from({ length: 5000 }, (_, i) => `p/${i}.html`));
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'changes-'));
    try {
      const written = await writeChangesFile(changesOf(report), folder);
      const text = fs.readFileSync(written, 'utf8');
      expect(JSON.parse(text)).toEqual(changesOf(report));
      expect(text.split('\n')).toHaveLength(5000 + 3); // '[', the entries, ']', and the final newline
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });

  it('is set as an output, under RUNNER_TEMP, with a warning when `changes` was cut', async () => {
    const published = await publishAsRunner(deployedReport(Array.from({ length: 3000 }, (_, i) => `p/${i}.html`)));
    expect(path.dirname(published.changesFile)).toBe(path.join(published.folder, 'temp'));
    expect(published.changesInFile).toHaveLength(3000);
    expect(published.log).toMatch(/::warning::The `changes` output left out [\d,]+ entries of 3,000/);
  });
});

describe('change URLs', () => {
  it('percent-encodes every control character, so the URL names the file', () => {
    const keys = ['a\nb.html', 'c\rd.html', 'e\u007ff.html', 'g\u0001h.html'];
    const urls = changesOf(deployedReport(keys)).map((change) => change.url);
    expect(urls).toEqual(['a%0Ab', 'c%0Dd', 'e%7Ff', 'g%01h'].map((name) => `https://www.example.com/${name}.html`));
  });
});

describe('job summary within 1 MiB', () => {
  it('lists 1,000 changed files under a fold that counts them all', () => {
    const summary = summaryMarkdown(deployedReport(Array.from({ length: 2500 }, (_, i) => `p/${i}.html`)));
    expect(summary).toContain('<details><summary>2,500 changed files</summary>');
    expect(summary.split('\n').filter((line) => line.startsWith('- `p/'))).toHaveLength(1000);
    expect(summary).toContain('- … and 1,500 more');
  });

  it('lists 1,000 files that did not make it, then how many more', () => {
    const report = deployedReport([]);
    report.failedUploads = Array.from({ length: 2500 }, (_, i) => ({ key: `f/${i}.jpg`, message: 'Access Denied' }));
    report.failure = { message: 'Access Denied', stage: 'Upload assets' };
    const lines = summaryMarkdown(report).split('\n');
    expect(lines.filter((line) => line.startsWith('- `f/'))).toHaveLength(1000);
    expect(lines).toContain('- … and 1,500 more');
  });

  it('lists fewer files when their names are long', () => {
    const report = deployedReport([]);
    const long = 'x'.repeat(1000);
    report.failedUploads = Array.from({ length: 1000 }, (_, i) => ({ key: `${long}/${i}`, message: 'Access Denied' }));
    report.failure = { message: 'Access Denied', stage: 'Upload assets' };
    expect(Buffer.byteLength(summaryMarkdown(report))).toBeLessThanOrEqual(512 * 1024);
    expect(summaryMarkdown(report)).toMatch(/- … and \d+ more/);
  });
});
