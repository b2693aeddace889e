// Scale checks on the local S3 (fast mode): the action's wall time, phase times and peak memory (via /usr/bin/time).
// (Planning 100,000 files, cold start and the comparison with other tools: bench/run.mjs.)
//   node bench/scale.mjs big    20,000 files / 2 GiB: first deploy, then no change
//   node bench/scale.mjs many   100,000 small files: first deploy, then no change
//   [--node PATH]  the Node.js that runs the action (default: this one)   [--entry PATH]  its bundle
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ACTION_ENTRY, inputVariables } from '../local/run-action.mjs';
import { S3_CREDENTIALS, startS3Server } from '../local/s3-server.mjs';

const SCENARIOS = {
  big: { files: 20_000, size: 107_000, runs: [['first deploy', {}], ['no change', {}]] },
  many: { files: 100_000, size: 340, runs: [['first deploy', {}], ['no change', {}]] },
};
const scenario = SCENARIOS[process.argv[2] ?? 'big'];
const flag = (name, fallback) => {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : process.argv[index + 1];
};
const node = flag('node', process.execPath);
const entry = flag('entry', ACTION_ENTRY);
if (!scenario) throw new Error(`usage: bench/scale.mjs ${Object.keys(SCENARIOS).join('|')}`);

/** Files of `size` bytes, 1,000 per folder, each with its own first bytes so no two are the same. */
async function generate(files, size) {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'scale-'));
  const template = Buffer.alloc(size, 'x');
  for (let folder = 0; folder < files / 1000; folder++) {
    await fs.mkdir(path.join(root, `d${folder}`));
    await Promise.all(
      Array.from({ length: 1000 }, (_, index) => {
        const body = Buffer.from(template);
        body.write(`<p>${folder}-${index}</p>`, 0);
        return fs.writeFile(path.join(root, `d${folder}`, `f${index}.html`), body);
      }),
    );
  }
  return root;
}

function runAction(s3Url, source, extraInputs) {
  return new Promise((resolve) => {
    const started = Date.now();
    const env = {
      PATH: process.env.PATH,
      AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_S3: s3Url,
      GITHUB_OUTPUT: '/dev/null',
      ...inputVariables({ source, bucket: 'scale-bucket', 'force-path-style': 'true', ...extraInputs }),
    };
    const args = ['-f', '%M %U %S', node, entry];
    execFile('/usr/bin/time', args, { env, maxBuffer: 1 << 30 }, (error, stdout, stderr) => {
      const [peakKb, user, system] = stderr.trim().split('\n').pop().split(' ').map(Number);
      const phases = stdout.split('\n').filter((line) => /took|local files|::error/.test(line));
      resolve({ exitCode: error ? error.code : 0, seconds: (Date.now() - started) / 1000, peakMb: peakKb / 1024, cpuSeconds: user + system, phases });
    });
  });
}

const source = await generate(scenario.files, scenario.size);
// Fast mode: no verification, so the server's CPU does not slow the action it measures.
const s3 = await startS3Server({ buckets: ['scale-bucket'], mode: 'fast' });
try {
  console.log(`${scenario.files} files of ${scenario.size} bytes`);
  for (const [label, inputs] of scenario.runs) {
    const result = await runAction(s3.url, source, inputs);
    console.log(`${label}: exit ${result.exitCode}, ${result.seconds.toFixed(1)} s, CPU ${result.cpuSeconds.toFixed(1)} s, peak ${result.peakMb.toFixed(0)} MB`);
    for (const line of result.phases) console.log(`  ${line}`);
  }
} finally {
  await s3.close();
  await fs.rm(source, { recursive: true, force: true });
}
