// The README and workflow lint (scripts/lint-workflows.mjs): a broken example fails with the line a reader
// sees in README.md, whatever the shape of the fragment; a valid one passes.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fragmentShape, lintMarkdown, outdatedRefs, wrapFragment, yamlBlocks } from '../scripts/lint-workflows.mjs';

const SCRIPT = path.resolve('scripts/lint-workflows.mjs');

/** A README with prose above the block, so README lines differ from fragment lines. */
function readme(fragment: string): string {
  return ['# A site', '', 'Deploy it, then say how many files changed:', '', '```yaml', fragment, '```', ''].join('\n');
}
const FIRST_LINE = 6; // the line of the fragment's first line in readme()

const PREVIEW_STEPS = (run: string) =>
  [
    '      - id: deploy',
    '        uses: s3-cloudfront-deploy/s3-cloudfront-deploy@v1',
    '        with:',
    '          source: dist',
    '          bucket: my-previews-bucket',
    `      - run: ${run}`,
  ].join('\n');

describe('README examples', () => {
  it('fails the example with an unquoted ": " in a run line, at its README line', async () => {
    const broken = PREVIEW_STEPS('echo "Preview updated: ${{ steps.deploy.outputs.uploaded-count }} files changed"');
    const problems = await lintMarkdown(readme(broken));
    expect(problems).toEqual([
      {
        line: FIRST_LINE + 5,
        column: 0,
        kind: 'syntax-check',
        message: 'could not parse as YAML: yaml: mapping values are not allowed in this context',
      },
    ]);
  });

  it('passes the same example quoted', async () => {
    const fixed = PREVIEW_STEPS(`'echo "Preview updated: \${{ steps.deploy.outputs.uploaded-count }} files changed"'`);
    expect(await lintMarkdown(readme(fixed))).toEqual([]);
  });

  it("fails a typo in this action's inputs, at its README line and column, naming the input meant", async () => {
    const typo = PREVIEW_STEPS('echo done').replace('bucket: my-previews-bucket', 'buckt: my-previews-bucket');
    const problems = await lintMarkdown(readme(typo));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: FIRST_LINE + 4, column: 11, kind: 'action-input' });
    expect(problems[0]?.message).toBe('input "buckt" is not defined in action.yml. Did you mean "bucket"?');
  });

  it('checks a bare with: block against action.yml too', async () => {
    const problems = await lintMarkdown(readme('source: dist\nbucket: my-site-bucket\npath: auto'));
    expect(problems).toMatchObject([{ line: FIRST_LINE + 2, column: 1, kind: 'action-input' }]);
    expect(problems[0]?.message).toContain('Did you mean "paths"?');
  });

  it("reports actionlint's own findings in a whole workflow at README lines", async () => {
    const workflow = [
      'on: push',
      'jobs:',
      '  deploy:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - run: echo ${{ steps.deploy.outputs.uploaded-count }}',
    ].join('\n');
    const problems = await lintMarkdown(readme(workflow));
    expect(problems).toMatchObject([{ line: FIRST_LINE + 5, kind: 'expression' }]);
    expect(problems[0]?.message).toContain('property "deploy" is not defined');
  });

  it('fails the command with file:line and a non-zero exit code', async () => {
    const folder = await fs.mkdtemp(path.join(os.tmpdir(), 'lint-workflows-'));
    const file = path.join(folder, 'README.md');
    await fs.writeFile(file, readme(PREVIEW_STEPS('echo "Updated: ${{ steps.deploy.outputs.uploaded-count }} files"')));
    const run = await promisify(execFile)(process.execPath, [SCRIPT, file]).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    await fs.rm(folder, { recursive: true, force: true });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${file}:${FIRST_LINE + 5}:0: could not parse as YAML`);
  });
});

describe('action versions in README examples', () => {
  const workflow = 'jobs:\n  a:\n    steps:\n      - uses: actions/checkout@v7\n      - uses: ./\n';

  it("fails an example naming another major than this repository's workflows", () => {
    const markdown = readme('- uses: actions/checkout@v5\n- uses: s3-cloudfront-deploy/s3-cloudfront-deploy@v1');
    expect(outdatedRefs(markdown, [workflow])).toEqual([
      {
        line: FIRST_LINE,
        column: 9,
        kind: 'action-version',
        message: "actions/checkout@v5: this repository's workflows use @v7, which Dependabot keeps current",
      },
    ]);
  });

  it('passes the same major, and actions the workflows do not use', () => {
    expect(outdatedRefs(readme('- uses: actions/checkout@v7\n- uses: actions/cache@v4'), [workflow])).toEqual([]);
  });
});

describe('fragment shapes', () => {
  it.each([
    ['on: push\njobs: {}', 'workflow'],
    ['runs-on: ubuntu-latest\nsteps:\n  - run: make', 'job'],
    ['    - uses: actions/checkout@v7\n    - run: make', 'steps'],
    ['uses: s3-cloudfront-deploy/s3-cloudfront-deploy@v1\nwith: { source: dist, bucket: b }', 'step'],
    ['    cache-control: |\n      **/*.html: no-cache', 'inputs'],
  ])('%j is a %s', (text, shape) => {
    expect(fragmentShape(text)).toBe(shape);
  });

  it('keeps every fragment line on its own line of the wrapped workflow', () => {
    const fragment = '    cache-control: |\n      **/*.html: no-cache';
    const wrapped = wrapFragment(fragment);
    const lines = wrapped.workflow.split('\n');
    const at = lines.findIndex((line) => line.trim() === '**/*.html: no-cache') + 1;
    expect(wrapped.toFragment(at, lines[at - 1]!.indexOf('*') + 1)).toEqual({ line: 2, column: 7 });
    expect(wrapped.toFragment(1, 1)).toBeNull();
  });

  it('finds each yaml block and the line it starts on', () => {
    const markdown =
      '# x\n```yaml\na: 1\n```\n```bash\nls\n```\n~~~yml\nb: 2\n~~~\n```yaml not-a-workflow\nc: 3\n```\n';
    expect(yamlBlocks(markdown)).toEqual([
      { line: 3, text: 'a: 1' },
      { line: 9, text: 'b: 2' },
    ]);
  });
});
