/**
 * Review (hostile): the issue's own check, written as a loop. A healthy deploy that overwrites pages and an
 * asset, deletes pages, removes assets (kept for their grace period) and changes a header rule, on a site
 * with odd names (space, +, %, ?, #, unicode, a very long name) and a 9 MiB video (multipart, two parts) that
 * changes, is run once to number its mutating requests.
 * Then for every i: deploy v1, deploy v2 with the i-th mutating request broken, re-run v2 healthy, and check
 * the invariants the README promises:
 *   - the bucket holds exactly what a healthy deploy leaves (the build, plus assets in their grace period),
 *     byte for byte, with the same headers;
 *   - every URL whose bytes or headers changed since the v1 deploy is covered by an invalidation created
 *     after its last write;
 *   - no lock is left, after the broken run (except a killed one) and after the re-run;
 *   - no unfinished multipart upload (parts stored and billed with no object) is left, after the broken run
 *     (except a killed one) and after the re-run; the deploy state is there after the re-run.
 * Three ways to break request i: 'fail' (500 on every attempt: S3 down for that call), 'drop' (the first
 * attempt is applied and its answer lost, as on a flaky network; the SDK retries it), 'kill' (SIGKILL before
 * it reaches S3, the runner gone; the lock's expiry is then simulated, as 2 minutes passing), 'cancel'
 * (SIGTERM, as the runner cancels a job, when request i is sent; the request goes on).
 * Step 'cf' breaks CreateInvalidation the same three ways. A break that orphans an upload (the answer to
 * CreateMultipartUpload lost, so the SDK's retry makes a second; a runner killed between parts or before the
 * Complete) is cleared by the run that completes the key: that run, or the re-run (multipart.ts).
 */
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { type FaultProxy, startFaultProxy } from './support/fault-proxy.js';
import { type LocalAws, startLocalAws } from './support/local-aws.js';
import { largeFile, writeSite } from './support/site.js';

const BUCKET = 'loop';
const DIST = 'ELOOP00000001';
const LOCK = '.s3-cloudfront-deploy.lock';
const STATE = '.s3-cloudfront-deploy.json';
const LONG = `img/${'très-long-'.repeat(20)}name.png`;
const VIDEO = 'media/launch.mp4';
/** Over the multipart threshold: two parts. */
const VIDEO_SIZE = 9 * 1024 * 1024 + 123;

const v1 = {
  'index.html': '<script src="/assets/app-Ab3dEf9h.js"></script> v1',
  'about.html': 'about v1',
  'docs/my page.html': 'my page v1',
  'c++.html': 'c++ unchanged',
  '100%.html': 'hundred percent v1',
  'faq?.html': 'faq v1',
  'a#b.html': 'hash v1',
  'café/index.html': 'café v1',
  'style.css': 'body{color:red}',
  'assets/app-Ab3dEf9h.js': 'v1()',
  'img/logo.png': 'logo bytes',
  [LONG]: 'long v1',
  [VIDEO]: largeFile(VIDEO_SIZE, 3),
};
const v2 = {
  'index.html': '<script src="/assets/app-Zz9yXw1v.js"></script> v2',
  'docs/my page.html': 'my page v2',
  'c++.html': 'c++ unchanged',
  'faq?.html': 'faq v2',
  'a#b.html': 'hash v2',
  'café/index.html': 'café v2',
  'style.css': 'body{color:blue}',
  'assets/app-Zz9yXw1v.js': 'v2()',
  'img/logo.png': 'logo bytes',
  'img/new pic.png': 'new pic',
  [VIDEO]: largeFile(VIDEO_SIZE, 5),
};
const rules1 = '*.html: no-cache\nimg/**: public, max-age=60';
const rules2 = '*.html: no-cache\nimg/**: public, max-age=3600';

let local: LocalAws;
let fault: FaultProxy;
let build1: string;
let build2: string;

beforeAll(async () => {
  local = await startLocalAws({
    buckets: [BUCKET],
    distributions: [{ id: DIST, bucketDomain: `${BUCKET}.s3.eu-west-1.amazonaws.com` }],
    completeAfterMs: 20,
  });
  fault = await startFaultProxy(local.proxy.url);
  build1 = await writeSite(v1);
  build2 = await writeSite(v2);
});
afterAll(async () => {
  await fault?.close();
  await local?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('hex');
const inputs = (prefix: string, source: string, rules: string) => ({
  source,
  bucket: BUCKET,
  prefix,
  'distribution-id': DIST,
  paths: 'auto',
  delete: 'true',
  'delete-after': '1h',
  'cache-control': rules,
  concurrency: '1',
  'lock-timeout': '3',
});
const deploy = (prefix: string, source: string, rules: string, onStart?: (child: ChildProcess) => void) =>
  local.deploy(inputs(prefix, source, rules), { AWS_ENDPOINT_URL_S3: fault.url }, onStart ? { onStart } : {});

interface Snap {
  md5: string;
  contentType: string | undefined;
  cacheControl: string | undefined;
}
/** What a visitor can be served under the prefix: key -> bytes and headers. */
function snapshot(prefix: string): Map<string, Snap> {
  const snap = new Map<string, Snap>();
  for (const key of local.s3.keys(BUCKET)) {
    if (!key.startsWith(`${prefix}/`) || key.endsWith(LOCK) || key.endsWith(STATE)) continue;
    const object = local.s3.object(BUCKET, key)!;
    snap.set(key.slice(prefix.length + 1), {
      md5: md5(object.body),
      contentType: object.headers['content-type'],
      cacheControl: object.headers['cache-control'],
    });
  }
  return snap;
}

/** Whether an invalidation path as sent (encoded, maybe ending in '*') covers the raw URL path. */
function covers(path: string, url: string): boolean {
  const decode = (p: string) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  };
  if (path.endsWith('*')) return url.startsWith(decode(path.slice(0, -1)));
  return decode(path) === url;
}

let healthy: Map<string, Snap>;
let healthySequence: string[];

/** Every broken promise, as text, so a failure names the step and the key. */
function violations(prefix: string, before: Map<string, Snap>, since: number, label: string): string[] {
  const out: string[] = [];
  const after = snapshot(prefix);
  const keysAfter = [...after.keys()].sort();
  const keysHealthy = [...healthy.keys()].sort();
  if (JSON.stringify(keysAfter) !== JSON.stringify(keysHealthy))
    out.push(`${label}: bucket keys ${JSON.stringify(keysAfter)} != healthy ${JSON.stringify(keysHealthy)}`);
  for (const [key, want] of healthy) {
    const got = after.get(key);
    if (got && JSON.stringify(got) !== JSON.stringify(want))
      out.push(`${label}: ${key} is ${JSON.stringify(got)}, a healthy deploy leaves ${JSON.stringify(want)}`);
  }
  const invalidations = local.cloudFront.invalidations(DIST).filter((i) => i.createTime.getTime() >= since);
  const changed = new Set<string>();
  for (const [key, was] of before) {
    const now = after.get(key);
    if (!now || JSON.stringify(now) !== JSON.stringify(was)) changed.add(key);
  }
  for (const key of changed) {
    const full = `${prefix}/${key}`;
    const writes = fault.applied.filter((w) => w.keys.includes(full)).map((w) => w.at);
    const lastWrite = Math.max(since, ...writes);
    const url = `/${full}`;
    const ok = invalidations.some(
      (i) => i.createTime.getTime() >= lastWrite && i.paths.some((path) => covers(path, url)),
    );
    if (!ok)
      out.push(
        `${label}: ${url} changed (last written ${new Date(lastWrite).toISOString()}) but no invalidation created after covers it; made: ${JSON.stringify(invalidations.map((i) => [i.createTime.toISOString(), i.paths]))}`,
      );
  }
  if (liveLock(prefix)) out.push(`${label}: a live lock is left after the re-run`);
  if (unfinishedUpload(prefix)) out.push(`${label}: an unfinished multipart upload is left after the re-run`);
  if (!local.s3.object(BUCKET, `${prefix}/${STATE}`)) out.push(`${label}: no deploy state after the re-run`);
  return out;
}

/** An upload created and never completed nor aborted: its parts are stored, and billed, with no object. */
const unfinishedUpload = (prefix: string) =>
  local.s3.multipartUploads(BUCKET).some((upload) => upload.key.startsWith(`${prefix}/`));

/** A lock that would make the next deploy wait (one not renewed for 2 minutes is taken over at once). */
function liveLock(prefix: string): boolean {
  const object = local.s3.object(BUCKET, `${prefix}/${LOCK}`);
  return object !== undefined && Date.now() - object.lastModified.getTime() <= 120_000;
}

const describeRequest = (r: { operation: string; key: string }) => `${r.operation} ${r.key.replace(/^[^/]+\//, '')}`;

beforeAll(async () => {
  // The healthy deploy, numbered.
  expect((await deploy('count', build1, rules1)).exitCode).toBe(0);
  fault.reset();
  const run = await deploy('count', build2, rules2);
  expect(run.exitCode).toBe(0);
  healthy = snapshot('count');
  const numbered = new Map<number, string>();
  for (const r of fault.seen) if (r.index > 0 && !numbered.has(r.index)) numbered.set(r.index, describeRequest(r));
  healthySequence = [...numbered.entries()].sort((a, b) => a[0] - b[0]).map(([, name]) => name);
}, 120_000);

it('the healthy deploy: numbers its mutating requests (lock, probe, journal, assets, video in parts, pages, header copy, deletes, state, unlock)', () => {
  // Printed so a failure below can be read as "step i".
  console.log(healthySequence.map((name, i) => `#${i + 1} ${name}`).join('\n'));
  expect(healthySequence[0]).toBe(`PutObject ${LOCK}`);
  expect(healthySequence.at(-1)).toBe(`DeleteObject ${LOCK}`);
  expect(healthySequence.length).toBeGreaterThan(12);
  expect(healthySequence.filter((name) => name.startsWith('UploadPart '))).toHaveLength(2);
  // The loop compares every run with this one: it must hold v2 byte for byte, and nothing unfinished.
  for (const [key, body] of Object.entries(v2)) expect([key, healthy.get(key)?.md5]).toEqual([key, md5(body)]);
  expect(unfinishedUpload('count')).toBe(false);
});

type Mode = 'fail' | 'drop' | 'kill' | 'cancel';

async function breakStep(mode: Mode, step: number | 'cf', prefix: string): Promise<{ label: string; out: string[] }> {
  expect((await deploy(prefix, build1, rules1)).exitCode).toBe(0);
  const before = snapshot(prefix);
  await sleep(5);
  const since = Date.now();
  fault.reset();
  let child: ChildProcess | undefined;
  const label = `${mode} #${step === 'cf' ? 'CreateInvalidation' : `${step} (${healthySequence[step - 1]})`}`;
  const out: string[] = [];
  fault.onKill(() => child?.kill(mode === 'cancel' ? 'SIGTERM' : 'SIGKILL'));
  if (step === 'cf') {
    if (mode === 'fail') local.cloudFront.failNext('CreateInvalidation', 'ServiceUnavailable', 20);
    if (mode === 'drop') local.cloudFront.failNext('CreateInvalidation', 'AccessDenied', { afterHandling: true });
    if (mode === 'kill' || mode === 'cancel') local.cloudFront.delayNext('CreateInvalidation', 4000);
  } else {
    const verdict = mode === 'cancel' ? 'signal' : mode;
    fault.rule((r) => (r.index === step && (mode !== 'drop' || r.attempt === 1) ? verdict : undefined));
  }
  const cfBefore = local.cloudFront.requests.length;
  const broken = deploy(prefix, build2, rules2, (started) => (child = started));
  if (step === 'cf' && (mode === 'kill' || mode === 'cancel')) {
    for (let i = 0; i < 200; i++) {
      if (local.cloudFront.requests.slice(cfBefore).some((r) => r.method === 'POST')) break;
      await sleep(25);
    }
    await sleep(100);
    child?.kill(mode === 'cancel' ? 'SIGTERM' : 'SIGKILL');
  }
  const run = await broken;
  fault.rule(undefined);
  local.cloudFront.clearFailures();
  // The one lock a run may leave: its own DELETE failing on every attempt (it warns; the lock expires in 2 min).
  const unlockFailed = mode === 'fail' && step !== 'cf' && healthySequence[step - 1] === `DeleteObject ${LOCK}`;
  if (mode !== 'kill' && !unlockFailed && liveLock(prefix))
    out.push(`${label}: the broken run (exit ${run.exitCode}) left its lock behind: ${run.errors.join(' ')}`);
  // A killed runner cannot abort its upload; any other broken run must.
  if (mode !== 'kill' && unfinishedUpload(prefix))
    out.push(`${label}: the broken run (exit ${run.exitCode}) left an unfinished multipart upload`);
  if (mode === 'drop' && step !== 'cf' && run.exitCode !== 0)
    out.push(`${label}: a lost answer (the write was applied) failed the deploy: ${run.errors.join(' ')}`);
  if (mode === 'kill' && local.s3.object(BUCKET, `${prefix}/${LOCK}`)) {
    // Three minutes pass, by S3's clock: the killed run's lock, last renewed then, has expired.
    local.s3.setLastModified(BUCKET, `${prefix}/${LOCK}`, new Date(Date.now() - 180_000));
  }
  // "Running the workflow again uploads only what is still missing."
  const beforeRerun = snapshot(prefix);
  const stale = Object.entries(v2).filter(([key, body]) => beforeRerun.get(key)?.md5 !== md5(body)).length;
  const rerun = await deploy(prefix, build2, rules2);
  if (rerun.exitCode !== 0) out.push(`${label}: the healthy re-run failed: ${rerun.errors.join(' ')}`);
  else if (Number(rerun.outputs['uploaded-count']) !== stale)
    out.push(`${label}: the re-run uploaded ${rerun.outputs['uploaded-count']} files, ${stale} were missing or stale`);
  out.push(
    ...violations(prefix, before, since, label).filter(
      (v) => !(unlockFailed && v.endsWith('live lock is left after the re-run')),
    ),
  );
  return { label, out };
}

type Etags = 'md5' | 'kms';

async function withEtags<T>(etags: Etags, body: () => Promise<T>): Promise<T> {
  local.s3.configure({ etags });
  try {
    return await body();
  } finally {
    local.s3.configure({ etags: 'md5' });
  }
}

describe.each<[Mode, Etags]>([
  ['fail', 'md5'],
  ['drop', 'md5'],
  ['kill', 'md5'],
  ['cancel', 'md5'],
  // A bucket whose ETags are not MD5s: the state's ETag catalog must survive every failure too.
  ['fail', 'kms'],
  ['kill', 'kms'],
])('break one step of a deploy (%s, ETags %s), then re-run healthy', (mode, etags) => {
  it(`every step ${mode} (${etags}): the re-run leaves the healthy bucket, invalidated after the last write, no lock, no unfinished upload`, async () => {
    const all: string[] = [];
    await withEtags(etags, async () => {
      const steps: Array<number | 'cf'> = [...healthySequence.keys()].map((i) => i + 1);
      steps.push('cf');
      for (const step of steps) {
        const { out } = await breakStep(mode, step, `${mode}-${etags}-${step}`);
        all.push(...out);
      }
    });
    expect(all).toEqual([]);
  }, 600_000);
});
