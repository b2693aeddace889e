// The memory of the deploy's process tree, not only its own: the hashing children (src/hashers.ts) run beside
// it during the plan, and GNU time's %M (the README's peak figures) is the largest one process's peak, not the
// sum. Samples every 10 ms (Linux /proc) over a first deploy and a deploy with no change, against the strict
// local S3: the action's own RSS, and the tree's PSS (each shared page counted once over the processes that
// map it, so the Node binary the children share with the deploy is not counted twice) beside the action's own.
// Run (after npm run build): node bench/tree-memory.mjs [--files 4000] [--node <node24>]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runAction } from '../local/run-action.mjs';
import { S3_CREDENTIALS, startS3Server } from '../local/s3-server.mjs';

const flag = (name, fallback) => {
  const index = process.argv.indexOf(name);
  return index === -1 ? fallback : process.argv[index + 1];
};
const files = Number(flag('--files', 4000));
const node = flag('--node', process.execPath);

const rssKib = (pid) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
const pssKib = (pid) => Number(/Pss:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
const childrenOf = (pid) =>
  fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
const sampled = (pid) => {
  const peak = { rss: 0, pss: 0, treePss: 0, children: 0 };
  const timer = setInterval(() => {
    try {
      const children = childrenOf(pid);
      const pss = pssKib(pid);
      let treePss = pss;
      for (const child of children) {
        try {
          treePss += pssKib(child);
        } catch {
          // ended meanwhile
        }
      }
      peak.rss = Math.max(peak.rss, rssKib(pid));
      peak.pss = Math.max(peak.pss, pss);
      peak.treePss = Math.max(peak.treePss, treePss);
      peak.children = Math.max(peak.children, children.length);
    } catch {
      // the action ended
    }
  }, 10);
  const mib = (kib) => Math.round(kib / 1024);
  return () => (
    clearInterval(timer),
    { ownRssMiB: mib(peak.rss), ownPssMiB: mib(peak.pss), treePssMiB: mib(peak.treePss), children: peak.children }
  );
};

const source = fs.mkdtempSync(path.join(os.tmpdir(), 'tree-memory-'));
for (let index = 0; index < files; index++) {
  fs.mkdirSync(path.join(source, `p${index % 20}`), { recursive: true });
  fs.writeFileSync(path.join(source, `p${index % 20}`, `${index}.html`), `page ${index} `.repeat(index % 400));
}
const s3 = await startS3Server({ buckets: ['tree-memory'], region: 'us-east-1' });
try {
  for (const run of ['first deploy', 'no change']) {
    let stop = () => ({});
    const result = await runAction({
      node,
      inputs: { source, bucket: 'tree-memory', 'force-path-style': 'true' },
      env: {
        AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
        AWS_REGION: 'us-east-1',
        AWS_ENDPOINT_URL_S3: s3.url,
      },
      onStart: (child) => (stop = sampled(child.pid)),
    });
    console.log(`${files} files, ${run}: exit ${result.exitCode},`, stop());
  }
} finally {
  await s3.close();
  fs.rmSync(source, { recursive: true });
}
