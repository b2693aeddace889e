/**
 * Hashing the build on every CPU: a large build is hashed by child processes (dist/hasher/index.js, a bundle
 * of hasher.ts of its own), each taking batches of paths and answering with their hashes, while this
 * process lists the bucket. A deploy of 20,000 files / 2 GiB planned in 5.1-6.3 s on one thread; hashing is
 * most of a plan, and every deploy from a fresh checkout hashes the whole build.
 *
 * Processes, not worker threads: a worker thread's memory stays with this process after it ends (13-15 MB
 * for one, 22 for two, measured here: the code pages it touched and V8's pooled pages), and this process
 * then writes; a child's goes back when it exits, before the first write.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { type Hashed, hashFile } from './digest.js';

/** Names a hashing child on its command line (in `ps`, and to the tests). */
export const HASHER_ARGUMENT = '--s3-cloudfront-deploy-hasher';
/** Below this many files, starting processes (~50 ms each) costs more than it saves: hashed here. */
export const FILES_FOR_CHILDREN = 1000;
/** Each child's share, at least: a build of 1,000-1,999 files gets one, 2,000 and more two, and so on. */
const FILES_PER_CHILD = 1000;
const MAX_CHILDREN = 4;
/** Paths per message: small enough that the children finish together, large enough that messages are few. */
const BATCH = 64;
/**
 * How long this process's own hashing runs before it lets the bucket listing read its answers: the listing's
 * first request waits on a chain of small I/O steps (config, credentials), each of which waits for a pause.
 * Every 10 ms put that request 410 ms after start with 2,000 files; every 1 ms, 262 ms (one file: 180 ms).
 */
const YIELD_EVERY_MS = 1;
const CONCURRENCY_HERE = 16;

let entry: string | undefined;

/** The hashing children's bundle; unset (tests of the sources), all is hashed here. */
export function hashInChildrenOf(bundle: string | undefined): void {
  entry = bundle;
}

/**
 * The hashes of `paths`, in their order; `log` is told which processes hash them. Once `signal` aborts (the
 * work beside it failed), hashing stops at the next file or MiB read, children included, and this rejects.
 */
export async function hashPaths(
  paths: readonly string[],
  log?: (message: string) => void,
  signal?: AbortSignal,
): Promise<Hashed[]> {
  const bundle = entry;
  const children = bundle === undefined ? 0 : childrenFor(paths.length, availableParallelism());
  if (bundle === undefined || children === 0) return hashInLanes(paths, { hereLanes: CONCURRENCY_HERE, signal });
  log?.(
    `Hashing ${paths.length} files in ${children} child process(es) and this one, ${availableParallelism()} CPU(s).`,
  );
  // This process hashes too, from the start: the children take their share once they are up, and a build
  // hashed before they are does not wait for them.
  return hashInLanes(paths, { children: { bundle, count: children }, hereLanes: 1, signal }, log);
}

/** How many children hash `files` files on `cpus` CPUs: on one CPU a child would only take turns with this process. */
export function childrenFor(files: number, cpus: number): number {
  if (files < FILES_FOR_CHILDREN || cpus < 2) return 0;
  return Math.min(MAX_CHILDREN, cpus, Math.floor(files / FILES_PER_CHILD));
}

/**
 * The hashes of `paths`, in their order, by lanes that each take the next batch: one per child, and
 * `hereLanes` in this process (16 alone, so that a large file's reads leave room for the others).
 */
export async function hashInLanes(
  paths: readonly string[],
  lanes: { children?: { bundle: string; count: number }; hereLanes: number; signal?: AbortSignal | undefined },
  log?: (message: string) => void,
): Promise<Hashed[]> {
  const results = new Array<Hashed>(paths.length);
  let next = 0;
  let failed = false;
  const take = (): [number, number] | undefined => {
    if (failed || next >= paths.length) return undefined;
    const start = next;
    next = Math.min(paths.length, next + BATCH);
    return [start, next];
  };
  const here = hasherHere(() => failed);
  const hashHere = async ([start, end]: [number, number]) => {
    for (let index = start; index < end; index++) results[index] = await here(paths[index] as string);
  };
  /** Batches a child has taken and not yet answered, oldest first, each with the way to tell it taken over. */
  const unanswered = new Map<number, { batch: [number, number]; takeOver: () => void }>();
  const hereLane = async () => {
    for (let batch = take(); batch; batch = take()) await hashHere(batch);
    // Nothing left to take, while a child is still on its batch (a large file, or a child that will never
    // answer: one stopped, or waiting for a debugger): this process hashes it too, and the first to end answers.
    // Oldest first; a batch answered meanwhile leaves the map and is not visited.
    for (const [start, waiting] of unanswered) {
      unanswered.delete(start);
      await hashHere(waiting.batch);
      waiting.takeOver();
    }
  };
  const started: Hasher[] = [];
  const childLane = async (bundle: string) => {
    const child = startHasher(bundle, log);
    started.push(child);
    for (let batch = take(); batch; batch = take()) {
      const [start, end] = batch;
      const takenOver = new Promise<'taken over'>((resolve) =>
        unanswered.set(start, { batch, takeOver: () => resolve('taken over') }),
      );
      const answer = await Promise.race([child.hash(paths.slice(start, end)), takenOver]);
      unanswered.delete(start);
      if (answer === 'taken over') {
        log?.('A hashing child process had not answered when this process had hashed the rest; it is stopped.');
        return; // stopped with the others when all is hashed
      }
      // A child that cannot start or died leaves its batches to this process: slower, never wrong.
      if (answer === undefined) await hashHere(batch);
      else if ('failed' in answer) throw fileError(answer.failed);
      else answer.hashed.forEach((hashed, offset) => (results[start + offset] = fromChild(hashed)));
    }
  };
  const { children, hereLanes, signal } = lanes;
  const abort = () => {
    failed = true;
    for (const child of started) child.stop(); // their lanes then take the batch here, and stop at once
  };
  signal?.addEventListener('abort', abort, { once: true });
  try {
    signal?.throwIfAborted();
    await Promise.all([
      ...(children ? Array.from({ length: children.count }, () => childLane(children.bundle)) : []),
      ...Array.from({ length: hereLanes }, hereLane),
    ]);
  } catch (error) {
    failed = true; // the other lanes stop at their next file or MiB read (the run has failed and would wait)
    throw error;
  } finally {
    signal?.removeEventListener('abort', abort);
    for (const child of started) child.stop();
  }
  return results;
}

/**
 * This process's own hashing, pausing now and then so that the bucket listing running alongside is read; it
 * stops (throws) once `stopped`: a batch of large files (or a dead child's, taken over) is minutes of reading,
 * which the failed run would wait for before it exits.
 */
function hasherHere(stopped: () => boolean): (path: string) => Promise<Hashed> {
  let lastYield = performance.now();
  const pause = async () => {
    if (stopped()) throw new Error('Hashing stopped: the work beside it failed.');
    if (performance.now() - lastYield <= YIELD_EVERY_MS) return;
    await new Promise((resolve) => setImmediate(resolve));
    lastYield = performance.now();
  };
  return async (path) => {
    await pause();
    return hashFile(path, pause);
  };
}

/** A child's answer to one batch. */
type Answer = { hashed: Hashed[] } | { failed: FileErrorFields };
/** What a file's read error carries, so that it reads here as it would have (fs errors are not cloned whole). */
type FileErrorFields = { message: string; code?: string; errno?: number; syscall?: string; path?: string };

interface Hasher {
  /** The batch's answer; undefined when the child could not give one (it failed to start, or died). */
  hash(paths: string[]): Promise<Answer | undefined>;
  stop(): void;
}

function startHasher(bundle: string, log?: (message: string) => void): Hasher {
  let alive = true;
  let pending: ((answer: Answer | undefined) => void) | undefined;
  const died = (why: unknown) => {
    if (alive) log?.(`A hashing child process ended early (${String(why)}); this process hashes its share.`);
    alive = false;
    pending?.(undefined);
    pending = undefined;
  };
  let child: ChildProcess;
  try {
    // Neither this process's flags (a profiler's) nor the step's NODE_OPTIONS (a debugger's --inspect-brk would
    // hold the child until one attaches): the child needs none. Its stdout would be the step's log.
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    child = fork(bundle, [HASHER_ARGUMENT], {
      env,
      execArgv: [],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
  } catch (error) {
    died(error);
    return { hash: () => Promise.resolve(undefined), stop: () => undefined };
  }
  child.on('error', died);
  child.on('exit', (code, signal) => died(signal ?? `exit code ${code}`));
  child.on('message', (answer: Answer) => {
    const resolve = pending;
    pending = undefined;
    resolve?.(answer);
  });
  return {
    hash(paths) {
      if (!alive) return Promise.resolve(undefined);
      return new Promise((resolve) => {
        pending = resolve;
        child.send(paths, (error) => {
          if (error) died(error);
        });
      });
    },
    stop() {
      if (!alive) return;
      alive = false;
      child.kill();
    },
  };
}

/** A child's side: hashes each batch it is sent, in order, and ends when this process goes away. */
export function serveHashing(): void {
  process.on('disconnect', () => process.exit(0));
  // A batch is hashed without a turn of the event loop, so 'disconnect' is only read between batches, and a
  // batch of large files takes seconds to minutes: a deploy killed or cancelled mid-batch (it exits at once)
  // would leave this process reading on. Its parent changes when that one is gone (POSIX; not on Windows).
  const parent = process.ppid;
  const stopIfOrphaned = () => (process.ppid === parent ? Promise.resolve() : process.exit(0));
  process.on('message', (paths: string[]) => {
    void answer(paths, stopIfOrphaned).then((reply) => process.send?.(reply));
  });
}

async function answer(paths: string[], pause: () => Promise<void>): Promise<Answer> {
  const hashed: Hashed[] = [];
  try {
    for (const path of paths) {
      await pause();
      hashed.push(await hashFile(path, pause));
    }
  } catch (error) {
    const { message, code, errno, syscall, path } = error as NodeJS.ErrnoException;
    return { failed: { message: String(message), code, errno, syscall, path } as FileErrorFields };
  }
  return { hashed };
}

/** A Buffer may arrive as a plain Uint8Array after the structured clone (Node 24 keeps it a Buffer). */
function fromChild(hashed: Hashed): Hashed {
  const { partMd5s } = hashed;
  return partMd5s
    ? { ...hashed, partMd5s: Buffer.from(partMd5s.buffer, partMd5s.byteOffset, partMd5s.byteLength) }
    : hashed;
}

function fileError(fields: FileErrorFields): NodeJS.ErrnoException {
  return Object.assign(new Error(fields.message), fields);
}
