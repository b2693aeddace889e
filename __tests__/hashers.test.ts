/**
 * A large build is hashed by child processes (src/hashers.ts), each running the hashers' own bundle
 * (dist/hasher/index.js) as a deploy starts it. What they answer must be what this process would have hashed,
 * byte for byte, for every kind of file; a child that dies leaves its share to this process; a file that
 * cannot be read fails the same way in both.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ChildProcess, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { type Hashed } from '../src/digest.js';
import {
  FILES_FOR_CHILDREN,
  HASHER_ARGUMENT,
  childrenFor,
  hashInChildrenOf,
  hashInLanes,
  hashPaths,
} from '../src/hashers.js';
import { type LocalAws, startLocalAws } from './support/local-aws.js';
import { paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { ACTION_OBJECTS, getObject, largeFile, writeSite } from './support/site.js';
import { NODE24 } from './support/node24.js';

const BUNDLE = fileURLToPath(new URL('../dist/hasher/index.js', import.meta.url));
const DIES_AT_ONCE = fileURLToPath(new URL('./support/hasher-that-dies.mjs', import.meta.url));
const NEVER_ANSWERS = fileURLToPath(new URL('./support/hasher-that-never-answers.mjs', import.meta.url));

/** A build of `count` small files of different sizes (some empty), odd names, and two that go up in parts. */
async function writeBuild(count: number): Promise<string[]> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'hashers-'));
  const paths: string[] = [];
  for (let index = 0; index < count; index++) {
    const name = path.join(root, `dir ${index % 7}`, index % 5 === 0 ? `pâge+${index} (1).html` : `f${index}.js`);
    await fs.mkdir(path.dirname(name), { recursive: true });
    await fs.writeFile(name, `${'x'.repeat(index % 3000)}${index}`.slice(0, index % 11 === 0 ? 0 : undefined));
    paths.push(name);
  }
  for (const [name, size] of [
    ['video.mp4', 9 * 1024 * 1024 + 13], // two parts
    ['exactly-one-mib-and-one.bin', 1024 * 1024 + 1], // just past what one read holds
  ] as const) {
    await fs.writeFile(path.join(root, name), largeFile(size, size % 97));
    paths.splice(count / 2, 0, path.join(root, name));
  }
  return paths;
}

/** The hashes as this process makes them. */
async function hashedHere(paths: string[]): Promise<Hashed[]> {
  hashInChildrenOf(undefined);
  return hashPaths(paths);
}

/** The pids of the processes whose command line holds `text`. */
const processesNaming = (text: string) =>
  execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(text))
    .map((line) => Number.parseInt(line, 10));
/**
 * The hashing children of deploys run with `marker` in their environment (children inherit it), so that
 * other deploys on the machine (other test files, other checkouts) do not count. Linux: /proc.
 */
const hashersOf = (marker: string) =>
  processesNaming(HASHER_ARGUMENT).filter((pid) => procFile(pid, 'environ').includes(marker));
const procFile = (pid: number, name: string) => {
  try {
    return readFileSync(`/proc/${pid}/${name}`, 'utf8');
  } catch {
    return ''; // ended meanwhile
  }
};
const bytesRead = (pid: number) => Number(/rchar: (\d+)/.exec(procFile(pid, 'io'))?.[1] ?? 0);

afterEach(() => hashInChildrenOf(undefined));

describe('how many children hash a build', () => {
  it('is one per 1,000 files, at most 4 and at most the CPUs, and none on one CPU or below 1,000 files', () => {
    expect([999, 1000, 1999, 2000, 3500, 100_000].map((files) => childrenFor(files, 2))).toEqual([0, 1, 1, 2, 2, 2]);
    expect([999, 1000, 2000, 3999, 4000, 100_000].map((files) => childrenFor(files, 4))).toEqual([0, 1, 2, 3, 4, 4]);
    expect(childrenFor(100_000, 64)).toBe(4);
    expect(childrenFor(100_000, 1)).toBe(0);
  });
});

describe('hashing a build in child processes', () => {
  /** Every batch to `count` children running `bundle`, none to this process unless a child fails. */
  const inChildrenOnly = (paths: string[], bundle: string, log?: (line: string) => void) =>
    hashInLanes(paths, { children: { bundle, count: 2 }, hereLanes: 0 }, log);

  it('answers what this process would have, for every file: MD5, size, parts, multipart ETag and stamp', async () => {
    const paths = await writeBuild(FILES_FOR_CHILDREN + 500);
    const here = await hashedHere(paths);
    const logged: string[] = [];
    const inChildren = await inChildrenOnly(paths, BUNDLE, (line) => logged.push(line));
    expect(logged).toEqual([]); // no child ended early: they answered every batch
    expect(inChildren).toEqual(here);
    // And both are right, not just alike.
    const video = paths.findIndex((name) => name.endsWith('video.mp4'));
    const bytes = await fs.readFile(paths[video] as string);
    expect(inChildren[video]?.md5).toBe(createHash('md5').update(bytes).digest('hex'));
    expect(inChildren[video]?.partMd5s).toBeInstanceOf(Buffer);
    expect(inChildren[video]?.multipartEtag).toMatch(/-2$/);
    expect(inChildren[7]?.md5).toBe(
      createHash('md5')
        .update(await fs.readFile(paths[7] as string))
        .digest('hex'),
    );
  });

  it('fails on a file that went away as this process would: the same error, its path named', async () => {
    const paths = await writeBuild(FILES_FOR_CHILDREN);
    const gone = paths[FILES_FOR_CHILDREN - 3] as string;
    await fs.rm(gone);
    const here = await hashedHere(paths).catch((error: unknown) => error);
    const inChildren = await inChildrenOnly(paths, BUNDLE).catch((error: unknown) => error);
    expect(here).toMatchObject({ code: 'ENOENT', path: gone });
    expect(inChildren).toMatchObject({ code: 'ENOENT', path: gone, syscall: 'open' });
    expect((inChildren as Error).message).toBe((here as Error).message);
  });

  it('hashes here what a child that dies at once was to hash, and still answers right', async () => {
    const paths = await writeBuild(FILES_FOR_CHILDREN + 100);
    const here = await hashedHere(paths);
    const logged: string[] = [];
    expect(await inChildrenOnly(paths, DIES_AT_ONCE, (line) => logged.push(line))).toEqual(here);
    expect(logged).toEqual([
      'A hashing child process ended early (exit code 3); this process hashes its share.',
      'A hashing child process ended early (exit code 3); this process hashes its share.',
    ]);
  });

  it('answers even when a child never does, as this process hashes its batch too', async () => {
    const paths = await writeBuild(FILES_FOR_CHILDREN);
    const here = await hashedHere(paths);
    // This process hashes every other batch, then waits for the child's forever.
    expect(await hashInLanes(paths, { children: { bundle: NEVER_ANSWERS, count: 1 }, hereLanes: 1 })).toEqual(here);
  }, 10_000);
  afterEach(() => {
    for (const pid of processesNaming(NEVER_ANSWERS)) process.kill(pid);
  });

  it('from 1,000 files, starts children beside its own hashing, and answers the same', async () => {
    const paths = await writeBuild(FILES_FOR_CHILDREN + 1000);
    const here = await hashedHere(paths);
    const logged: string[] = [];
    hashInChildrenOf(BUNDLE);
    expect(await hashPaths(paths, (line) => logged.push(line))).toEqual(here);
    expect(logged.join('\n')).toMatch(/^Hashing 2002 files in [12] child process\(es\) and this one/);
  });

  it('starts no child for a build below the threshold', async () => {
    const paths = await writeBuild(FILES_FOR_CHILDREN - 10);
    const logged: string[] = [];
    hashInChildrenOf(DIES_AT_ONCE);
    await hashPaths(paths, (line) => logged.push(line));
    expect(logged).toEqual([]);
  });
});

describe('a deploy of a large build', () => {
  let local: LocalAws;
  beforeAll(async () => {
    local = await startLocalAws({ buckets: ['large-build'], distributions: [] });
  });
  afterAll(() => local?.close());

  const until = async (done: () => boolean) => {
    while (!done()) await new Promise((resolve) => setTimeout(resolve, 50));
  };

  // 1,000 names of one sparse 1 GiB file: a child's first batch (64 of them) is minutes of hashing.
  it.each(['SIGKILL', 'SIGINT'] as const)(
    'leaves no hashing child behind when the deploy ends mid-batch (%s)',
    async (signal) => {
      const source = await fs.mkdtemp(path.join(os.tmpdir(), 'mid-batch-'));
      const sparse = path.join(source, 'sparse');
      await fs.writeFile(sparse, '');
      await fs.truncate(sparse, 1024 * 1024 * 1024);
      for (let index = 0; index < 1000; index++) await fs.link(sparse, path.join(source, `${index}.bin`));
      await fs.rm(sparse);
      const marker = `HASHERS_OF=${path.basename(source)}`;
      const stopMidBatch = (action: ChildProcess) => {
        void until(() => hashersOf(marker).some((pid) => bytesRead(pid) > 64 * 1024 * 1024)).then(() =>
          action.kill(signal),
        );
      };
      const run = await local.deploy(
        { source, bucket: 'large-build' },
        { HASHERS_OF: path.basename(source) },
        { ...(NODE24 ? { node: NODE24 } : {}), onStart: stopMidBatch },
      );
      expect(run.exitCode).toBe(1);
      if (signal === 'SIGINT')
        expect(run.errors).toEqual(['::error::Cancelled (SIGINT) during Plan: nothing was changed.']);
      // Without the check, a child went on through its batch for minutes after the deploy had ended.
      await until(() => hashersOf(marker).length === 0);
      await fs.rm(source, { recursive: true });
    },
    30_000,
  );

  // A name that is not UTF-8 reads back as another (U+FFFD), which no one can open: a file error every time.
  const unreadable = (folder: string) =>
    fs.writeFile(Buffer.concat([Buffer.from(`${folder}/page-`), Buffer.from([0xff]), Buffer.from('.html')]), 'x');

  // The walk takes a folder's files before its subfolders': the first batch (a child's) is the source's
  // files, the second (this process's) what follows. The other lane holds 64 names of a sparse 1 GiB file,
  // minutes of hashing; the failed deploy went on hashing them before it could exit.
  it.each(['this process', 'a child'])(
    'ends once a file fails to be read in %s, not after the other lanes have hashed their batch',
    async (where) => {
      const source = await fs.mkdtemp(path.join(os.tmpdir(), 'unreadable-'));
      const sparse = path.join(os.tmpdir(), `${path.basename(source)}.sparse`);
      await fs.writeFile(sparse, '');
      await fs.truncate(sparse, 1024 * 1024 * 1024);
      await fs.mkdir(path.join(source, 'sub/more'), { recursive: true });
      if (where === 'this process') {
        for (let index = 0; index < 64; index++) await fs.link(sparse, path.join(source, `${index}.bin`));
        await unreadable(path.join(source, 'sub'));
        for (let index = 0; index < 935; index++)
          await fs.writeFile(path.join(source, 'sub/more', `${index}.html`), `${index}`);
      } else {
        await unreadable(source);
        for (let index = 0; index < 999; index++) await fs.link(sparse, path.join(source, 'sub', `${index}.bin`));
      }
      const run = await local.deploy({ source, bucket: 'large-build' }, {}, NODE24 ? { node: NODE24 } : {});
      expect(run.exitCode).toBe(1);
      expect(run.errors).toEqual([expect.stringMatching(/^::error::ENOENT: no such file or directory, open .*page-/)]);
      await fs.rm(source, { recursive: true });
      await fs.rm(sparse);
    },
    30_000,
  );

  // Older than the hashing children: hashing went on when the listing beside it failed (a wrong bucket, access
  // denied), and the run waited for it to exit. Here 1,000 names of a sparse 1 GiB file: minutes of it.
  let stillRunning: ChildProcess | undefined;
  const leftovers: string[] = [];
  afterEach(async () => {
    stillRunning?.kill('SIGKILL');
    await Promise.all(leftovers.splice(0).map((name) => fs.rm(name, { recursive: true, force: true })));
  });
  it('ends once the bucket is found missing, not after hashing the build', async () => {
    const source = await fs.mkdtemp(path.join(os.tmpdir(), 'no-bucket-'));
    const sparse = path.join(os.tmpdir(), `${path.basename(source)}.sparse`);
    leftovers.push(source, sparse);
    await fs.writeFile(sparse, '');
    await fs.truncate(sparse, 1024 * 1024 * 1024);
    for (let index = 0; index < 1000; index++) await fs.link(sparse, path.join(source, `${index}.bin`));
    const run = await local.deploy(
      { source, bucket: 'no-such-bucket' },
      {},
      { ...(NODE24 ? { node: NODE24 } : {}), onStart: (action) => (stillRunning = action) },
    );
    expect(run.errors).toEqual([expect.stringMatching(/^::error::Bucket 'no-such-bucket' does not exist/)]);
  }, 15_000);

  it('is hashed in child processes, goes up whole, and the re-run after it uploads only the page that changed', async () => {
    // 1,200 pages and assets with odd names and a trailer in parts: the strict local S3 refuses any body
    // whose Content-MD5 (the children's MD5, unhashed again while the file is unchanged) is not its own.
    const files: Record<string, string | Buffer> = {
      'media/our trailer+cut (v2).mp4': largeFile(9 * 1024 * 1024 + 7, 3),
    };
    for (let index = 0; index < 1200; index++) {
      files[index % 4 === 0 ? `blog/pâge ${index}+draft.html` : `assets/chunk.${index}.js`] =
        `content ${index} `.repeat(index % 50);
    }
    const source = await writeSite(files);
    const marked = { HASHERS_OF: path.basename(source) };
    const first = await local.deploy({ source, bucket: 'large-build' }, { RUNNER_DEBUG: '1', ...marked });
    expect(first.errors).toEqual([]);
    expect(first.exitCode).toBe(0);
    expect(first.stdout).toMatch(/Hashing 1201 files in 1 child process\(es\) and this one/);
    expect(local.s3.requests.filter((request) => request.code === 'BadDigest')).toEqual([]);
    const keys: string[] = [];
    for await (const page of paginateListObjectsV2({ client: local.bucket }, { Bucket: 'large-build' }))
      keys.push(...(page.Contents ?? []).map((object) => object.Key ?? ''));
    expect(keys.filter((key) => !ACTION_OBJECTS.includes(key)).sort()).toEqual(Object.keys(files).sort());
    const { body } = await getObject(local.bucket, 'large-build', 'media/our trailer+cut (v2).mp4');
    expect(body.equals(files['media/our trailer+cut (v2).mp4'] as Buffer)).toBe(true);
    expect(hashersOf(`HASHERS_OF=${marked.HASHERS_OF}`)).toEqual([]);

    await fs.writeFile(path.join(source, 'blog/pâge 8+draft.html'), 'rewritten');
    local.proxy.reset();
    const second = await local.deploy({ source, bucket: 'large-build' }, marked);
    expect(second.exitCode).toBe(0);
    expect(local.proxy.counts().PutObject).toBe(3); // the page, then the deploy state and the lock
    expect((await getObject(local.bucket, 'large-build', 'blog/pâge 8+draft.html')).body.toString()).toBe('rewritten');
    expect(hashersOf(`HASHERS_OF=${marked.HASHERS_OF}`)).toEqual([]);
  });
});
