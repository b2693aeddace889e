// Runs the bundled action the way a GitHub runner does: INPUT_* variables, GITHUB_OUTPUT and
// GITHUB_STEP_SUMMARY files, and whatever environment the step has (credentials, endpoints).
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ACTION_ENTRY = fileURLToPath(new URL('../dist/index.js', import.meta.url));

/** Input names as the runner passes them: upper-cased, spaces to '_', dashes kept. */
export function inputVariables(inputs) {
  return Object.fromEntries(
    Object.entries(inputs).map(([name, value]) => [`INPUT_${name.replace(/ /g, '_').toUpperCase()}`, value]),
  );
}

/**
 * Never blocks the event loop (a local server may be running in this same process).
 * @param {{ inputs: Record<string, string>, env?: Record<string, string>, echo?: boolean, node?: string,
 *   onStart?: (child: import('node:child_process').ChildProcess) => void }} options
 *   node: the Node.js binary to run the action with (default: the one running this); onStart: gets the
 *   running process, e.g. to cancel it as the runner does (SIGINT, SIGTERM).
 */
export async function runAction({ inputs, env = {}, echo = false, node = process.execPath, onStart }) {
  const folder = await fs.mkdtemp(path.join(os.tmpdir(), 'runner-'));
  const outputFile = path.join(folder, 'output');
  const summaryFile = path.join(folder, 'summary');
  await fs.writeFile(outputFile, '');
  await fs.writeFile(summaryFile, '');
  const childEnv = {
    PATH: process.env.PATH ?? '',
    HOME: folder,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    RUNNER_TEMP: folder,
    ...inputVariables(inputs),
    ...env,
  };
  const { exitCode, stdout, stderr } = await new Promise((resolve) => {
    const child = execFile(node, [ACTION_ENTRY], { env: childEnv, timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? error.code : 0;
      resolve({ exitCode: typeof code === 'number' ? code : 1, stdout, stderr });
    });
    if (echo) child.stdout?.pipe(process.stdout);
    onStart?.(child);
  });
  const outputs = parseOutputFile(await fs.readFile(outputFile, 'utf8'));
  const summary = await fs.readFile(summaryFile, 'utf8');
  await fs.rm(folder, { recursive: true, force: true });
  const errors = stdout.split('\n').filter((line) => line.startsWith('::error::'));
  return { exitCode, stdout, stderr, outputs, summary, errors };
}

/** Reads the `name<<delimiter` blocks @actions/core writes to GITHUB_OUTPUT. */
export function parseOutputFile(text) {
  const outputs = {};
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const match = /^([^<]+)<<(.+)$/.exec(lines[index] ?? '');
    if (!match) continue;
    const [, name, delimiter] = match;
    const value = [];
    while (++index < lines.length && lines[index] !== delimiter) value.push(lines[index]);
    outputs[name] = value.join('\n');
  }
  return outputs;
}
