import fs from 'node:fs';
import { type ChildProcess } from 'node:child_process';
import { type LocalAws, startLocalAws } from './support/local-aws.js';
import { writeSite } from './support/site.js';
import { NODE24 } from './support/node24.js';

let local: LocalAws;
beforeAll(async () => { local = await startLocalAws({ buckets: ['memory'], distributions: [] }); });
afterAll(() => local?.close());
const rssKib = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
const childrenOf = (pid: number) => { try { return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number); } catch { return []; } };

it('tree memory', async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 4000; i++) files[`p/${i}.html`] = `page ${i} `.repeat(i % 400);
  const source = await writeSite(files);
  for (const round of [1, 2]) {
    let peakSelf = 0, peakTree = 0, maxKids = 0; let timer: NodeJS.Timeout | undefined;
    const run = await local.deploy({ source, bucket: 'memory' }, {}, { ...(NODE24 ? { node: NODE24 } : {}), onStart: (child: ChildProcess) => {
      const pid = child.pid as number;
      timer = setInterval(() => { try { const self = rssKib(pid); const kids = childrenOf(pid); const tree = self + kids.reduce((s, k) => { try { return s + rssKib(k); } catch { return s; } }, 0); peakSelf = Math.max(peakSelf, self); peakTree = Math.max(peakTree, tree); maxKids = Math.max(maxKids, kids.length); } catch { /* gone */ } }, 10);
    } });
    clearInterval(timer);
    console.log({ round, exit: run.exitCode, peakSelfMiB: (peakSelf / 1024).toFixed(0), peakTreeMiB: (peakTree / 1024).toFixed(0), maxKids });
  }
}, 200_000);
