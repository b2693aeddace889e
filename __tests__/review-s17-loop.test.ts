/**
 * Review (hostile) of session 17, the loop on a large file: its parts now go with the plan's MD5s
 * while the file's stamp is unchanged. A deploy that replaces a 9 MiB video (two parts) and a page is run
 * once to number its mutating requests; then for every i: deploy v1, deploy v2 with the i-th mutating
 * request broken ('fail': 500 on every attempt; 'drop': applied, its answer lost; 'kill': the runner gone
 * before it reaches S3), re-run v2 healthy, and check what a visitor and the bill see: the bucket holds v2
 * byte for byte, every URL that changed is covered by an invalidation created after its last write, no lock
 * and no unfinished multipart upload (parts stored and billed with no object) is left behind.
 */
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { type FaultProxy, startFaultProxy } from './support/fault-proxy.js';
import { type LocalAws, startLocalAws } from './support/local-aws.js';
import { largeFile, writeSite } from './support/site.js';

const BUCKET = 'loop';
const DIST = 'ELOOP17000001';
const LOCK = '.s3-cloudfront-deploy.lock';
const STATE = '.s3-cloudfront-deploy.json';
const VIDEO_SIZE = 9 * 1024 * 1024 + 123;
const v1 = { 'index.html': 'home v1', 'media/launch.mp4': largeFile(VIDEO_SIZE, 3) };
const v2 = { 'index.html': 'home v2', 'media/launch.mp4': largeFile(VIDEO_SIZE, 5) };

let local: LocalAws;
let fault: FaultProxy;
let build1: string;
let build2: string;
let healthy: string[];

const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('hex');
const deploy = (prefix: string, source: string, onStart?: (child: ChildProcess) => void) =>
  local.deploy(
    { source, bucket: BUCKET, prefix, 'distribution-id': DIST, paths: 'auto', concurrency: '1', 'lock-timeout': '3' },
    { AWS_ENDPOINT_URL_S3: fault.url },
    onStart ? { onStart } : {},
  );

beforeAll(async () => {
  local = await startLocalAws({
    buckets: [BUCKET],
    distributions: [{ id: DIST, bucketDomain: `${BUCKET}.s3.eu-west-1.amazonaws.com` }],
    completeAfterMs: 20,
  });
  fault = await startFaultProxy(local.proxy.url);
  build1 = await writeSite(v1);
  build2 = await writeSite(v2);
  expect((await deploy('count', build1)).exitCode).toBe(0);
  fault.reset();
  expect((await deploy('count', build2)).exitCode).toBe(0);
  const numbered = new Map<number, string>();
  for (const r of fault.seen)
    if (r.index > 0 && !numbered.has(r.index)) numbered.set(r.index, `${r.operation} ${r.key}`);
  healthy = [...numbered.entries()].sort((a, b) => a[0] - b[0]).map(([, name]) => name);
}, 120_000);
afterAll(async () => {
  await fault?.close();
  await local?.close();
});

it('numbers the mutating requests of the healthy deploy, the video in two parts among them', () => {
  expect(healthy.filter((name) => name.startsWith('UploadPart '))).toHaveLength(2);
});

type Mode = 'fail' | 'drop' | 'kill' | 'cancel';

async function breakStep(mode: Mode, step: number): Promise<string[]> {
  const prefix = `${mode}-${step}`;
  const label = `${mode} #${step} (${healthy[step - 1]})`;
  const out: string[] = [];
  expect((await deploy(prefix, build1)).exitCode).toBe(0);
  await new Promise((resolve) => setTimeout(resolve, 5));
  const since = Date.now();
  fault.reset();
  let child: ChildProcess | undefined;
  fault.onKill(() => child?.kill(mode === 'cancel' ? 'SIGTERM' : 'SIGKILL'));
  const verdict = mode === 'cancel' ? 'signal' : mode;
  fault.rule((r) => (r.index === step && (mode !== 'drop' || r.attempt === 1) ? verdict : undefined));
  const broken = await deploy(prefix, build2, (started) => (child = started));
  fault.rule(undefined);
  if (mode === 'drop' && broken.exitCode !== 0)
    out.push(`${label}: a lost answer (the write was applied) failed the deploy: ${broken.errors.join(' ')}`);
  if (mode !== 'kill' && local.s3.multipartUploads(BUCKET).some((upload) => upload.key.startsWith(`${prefix}/`)))
    out.push(`${label}: the broken run (exit ${broken.exitCode}) left an unfinished multipart upload`);
  if (mode === 'kill' && local.s3.object(BUCKET, `${prefix}/${LOCK}`))
    local.s3.setLastModified(BUCKET, `${prefix}/${LOCK}`, new Date(Date.now() - 180_000));

  const rerun = await deploy(prefix, build2);
  if (rerun.exitCode !== 0) out.push(`${label}: the healthy re-run failed: ${rerun.errors.join(' ')}`);
  for (const [key, body] of Object.entries(v2)) {
    const stored = local.s3.object(BUCKET, `${prefix}/${key}`);
    if (!stored || md5(stored.body) !== md5(body)) out.push(`${label}: ${key} does not hold v2 after the re-run`);
    const writes = fault.applied.filter((w) => w.keys.includes(`${prefix}/${key}`)).map((w) => w.at);
    const lastWrite = Math.max(since, ...writes);
    const covered = local.cloudFront
      .invalidations(DIST)
      .some(
        (i) =>
          i.createTime.getTime() >= lastWrite && i.paths.some((p) => p === `/${prefix}/${key}` || p === `/${prefix}/*`),
      );
    if (!covered)
      out.push(`${label}: /${prefix}/${key} changed but no invalidation created after its last write covers it`);
  }
  const lock = local.s3.object(BUCKET, `${prefix}/${LOCK}`);
  if (lock && Date.now() - lock.lastModified.getTime() <= 120_000) out.push(`${label}: a live lock is left`);
  if (local.s3.multipartUploads(BUCKET).some((upload) => upload.key.startsWith(`${prefix}/`)))
    out.push(`${label}: an unfinished multipart upload is left after the re-run`);
  expect(local.s3.object(BUCKET, `${prefix}/${STATE}`)).toBeDefined();
  return out;
}

/**
 * Found in review and fixed: a 'drop' of CompleteMultipartUpload (applied, its answer lost) failed the
 * deploy, as the SDK's retry found no upload (NoSuchUpload, as S3-compatible stores answer it and clients
 * report of S3) though the object was written; the object's ETag now tells (multipart.ts, completedBefore).
 *
 * Found in review and left as they are (multipart.ts, older than this session), each reproduced alone below
 * with it.failing, so that a fix shows as a test to turn into a plain one:
 * - 'drop' of CreateMultipartUpload: the SDK's retry creates a second upload; the first, with no parts, is
 *   never aborted (it costs nothing, but lists as unfinished until a lifecycle rule removes it).
 * - 'kill' during the parts or the Complete: the parts sent stay stored, and billed, in an unfinished upload
 *   that no later run aborts (only a lifecycle rule with AbortIncompleteMultipartUpload does).
 */
const KNOWN: Array<[Mode, string]> = [
  ['drop', 'CreateMultipartUpload'],
  ['kill', 'UploadPart'],
  ['kill', 'CompleteMultipartUpload'],
];
const known = (mode: Mode, step: number) =>
  KNOWN.some(([m, operation]) => m === mode && healthy[step - 1]?.startsWith(`${operation} `));
/** The one lock a broken run may leave: its own release failing on every attempt (it expires in 2 minutes). */
const unlockFailed = (mode: Mode, step: number, line: string) =>
  mode === 'fail' && healthy[step - 1]?.startsWith('DeleteObject ') === true && line.endsWith('a live lock is left');

describe.each<Mode>(['fail', 'drop', 'kill', 'cancel'])(
  'break one step of a deploy with a large file (%s), then re-run',
  (mode) => {
    it(`every step ${mode}: the re-run leaves v2, invalidated after its last write, no lock, no unfinished upload`, async () => {
      const all: string[] = [];
      for (const step of healthy.keys()) {
        if (known(mode, step + 1)) continue;
        all.push(...(await breakStep(mode, step + 1)).filter((line) => !unlockFailed(mode, step + 1, line)));
      }
      expect(all).toEqual([]);
    }, 600_000);
  },
);

describe.each(KNOWN)('known, not fixed: %s of %s', (mode, operation) => {
  it.failing(
    'leaves no failed deploy after a lost answer and no unfinished upload behind',
    async () => {
      const step = healthy.findIndex((name) => name.startsWith(`${operation} `)) + 1;
      expect(step).toBeGreaterThan(0);
      expect(await breakStep(mode, step)).toEqual([]);
    },
    120_000,
  );
});
