import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { HASHER_ARGUMENT } from '../src/hashers.js';
import { type LocalAws, startLocalAws } from './support/local-aws.js';
import { largeFile } from './support/site.js';
import { NODE24 } from './support/node24.js';

let local: LocalAws;
beforeAll(async () => { local = await startLocalAws({ buckets: ['killed'], distributions: [] }); });
afterAll(() => local?.close());
const hashers = () => execFileSync('ps', ['-eo', 'pid,ppid,etimes,args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(HASHER_ARGUMENT));

async function hardlinkBuild(count: number, size: number): Promise<string> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'kill-'));
  const one = path.join(os.tmpdir(), `one-${size}.bin`);
  await fs.writeFile(one, largeFile(size, 5));
  for (let i = 0; i < count; i++) await fs.link(one, path.join(root, `f${i}.bin`));
  return root;
}

it.each([['SIGKILL'], ['SIGINT']] as const)('%s during hashing', async (signal) => {
  const source = await hardlinkBuild(1000, 40 * 1024 * 1024);
  const t0 = Date.now();
  let sentAt = 0;
  const after: string[][] = [];
  const run = await local.deploy({ source, bucket: 'killed' }, { RUNNER_DEBUG: '1' }, {
    ...(NODE24 ? { node: NODE24 } : {}),
    onStart: (child: ChildProcess) => {
      let sent = false;
      child.stdout?.on('data', (d: Buffer) => {
        if (!sent && String(d).includes('Hashing 1000 files')) {
          sent = true;
          setTimeout(() => { sentAt = Date.now(); child.kill(signal); }, 1000);
        }
      });
    },
  });
  const exitedAt = Date.now();
  for (let i = 0; i < 30; i++) {
    const h = hashers();
    after.push(h);
    if (h.length === 0) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  console.log(signal, { exitCode: run.exitCode, signalToExitMs: exitedAt - sentAt, startToExit: exitedAt - t0, hashersAfterExit: after.map((h) => h.length), first: after[0], lastLines: run.stdout.split('\n').filter((l) => /ancel|child|Hashing|error/.test(l)).slice(0, 8) });
  await fs.rm(source, { recursive: true });
}, 200_000);
