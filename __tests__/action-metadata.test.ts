/**
 * action.yml, the code and the README agree: every input the code reads is declared with the default the
 * README shows, every output is declared and documented, and the runtime is node24.
 */
import fs from 'node:fs';
import { load } from 'js-yaml';
import { Input } from '../src/inputs.js';
import { Output } from '../src/report.js';

interface ActionMetadata {
  name: string;
  description: string;
  branding: { icon: string; color: string };
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string }>;
  runs: { using: string; main: string };
}

const action = load(fs.readFileSync('action.yml', 'utf8')) as ActionMetadata;
const readme = fs.readFileSync('README.md', 'utf8');

/** The first column and the second of each row of the README table that follows `heading`. */
function readmeTable(heading: string): Map<string, string> {
  const section = readme.slice(readme.indexOf(heading));
  const rows = section.split('\n').filter((line) => /^\| `[^`]+` \|/.test(line));
  const end = section.indexOf('\n## ', 1);
  const inSection = rows.filter((row) => end === -1 || section.indexOf(row) < end);
  return new Map(
    inSection.map((row) => {
      const cells = row.split('|').map((cell) => cell.trim());
      return [(cells[1] ?? '').replace(/`/g, ''), (cells[2] ?? '').replace(/`/g, '')];
    }),
  );
}

describe('action.yml', () => {
  it('runs the bundle on node24 and has Marketplace branding', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
    expect(action.branding.icon).toBeTruthy();
    expect(action.branding.color).toBeTruthy();
    expect(action.description.length).toBeLessThanOrEqual(125);
  });

  it('declares exactly the inputs the code reads, each described', () => {
    expect(Object.keys(action.inputs).sort()).toEqual(Object.values(Input).sort());
    for (const [name, input] of Object.entries(action.inputs)) {
      expect([name, input.description.length > 10]).toEqual([name, true]);
    }
    expect(action.inputs.source?.required).toBe(true);
    expect(action.inputs.bucket?.required).toBe(true);
  });

  it('declares exactly the outputs the code sets, each described', () => {
    expect(Object.keys(action.outputs).sort()).toEqual(Object.values(Output).sort());
  });
});

describe('README', () => {
  it('documents every input with its action.yml default', () => {
    const documented = readmeTable('## Inputs');
    expect([...documented.keys()].sort()).toEqual(Object.keys(action.inputs).sort());
    for (const [name, input] of Object.entries(action.inputs)) {
      const shown = documented.get(name);
      const expected = input.required ? '(required)' : input.default === '' ? "''" : input.default;
      expect([name, shown]).toEqual([name, expected]);
    }
  });

  it('documents every output', () => {
    expect([...readmeTable('## Outputs').keys()].sort()).toEqual(Object.keys(action.outputs).sort());
  });

  it('shows the demo and test commands on its first screen', () => {
    const firstScreen = readme.split('\n').slice(0, 25).join('\n');
    expect(firstScreen).toContain('npm ci && npm run demo');
    expect(firstScreen).toContain('npm ci && npm test');
    expect(fs.readFileSync('.ci/run', 'utf8')).toMatch(/^npm test$/m);
  });
});
