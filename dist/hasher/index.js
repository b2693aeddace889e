import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
/******/ // The require scope
/******/ var __nccwpck_require__ = {};
/******/ 
/************************************************************************/
/******/ /* webpack/runtime/compat get default export */
/******/ (() => {
/******/ 	// getDefaultExport function for compatibility with non-harmony modules
/******/ 	__nccwpck_require__.n = (module) => {
/******/ 		var getter = module && module.__esModule ?
/******/ 			() => (module['default']) :
/******/ 			() => (module);
/******/ 		__nccwpck_require__.d(getter, { a: getter });
/******/ 		return getter;
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/define property getters */
/******/ (() => {
/******/ 	// define getter functions for harmony exports
/******/ 	__nccwpck_require__.d = (exports, definition) => {
/******/ 		for(var key in definition) {
/******/ 			if(__nccwpck_require__.o(definition, key) && !__nccwpck_require__.o(exports, key)) {
/******/ 				Object.defineProperty(exports, key, { enumerable: true, get: definition[key] });
/******/ 			}
/******/ 		}
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/hasOwnProperty shorthand */
/******/ (() => {
/******/ 	__nccwpck_require__.o = (obj, prop) => (Object.prototype.hasOwnProperty.call(obj, prop))
/******/ })();
/******/ 
/************************************************************************/
var __webpack_exports__ = {};

;// CONCATENATED MODULE: external "node:child_process"
const external_node_child_process_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:child_process");
;// CONCATENATED MODULE: external "node:os"
const external_node_os_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:os");
;// CONCATENATED MODULE: external "node:crypto"
const external_node_crypto_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:crypto");
;// CONCATENATED MODULE: external "node:fs"
const external_node_fs_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs");
var external_node_fs_default = /*#__PURE__*/__nccwpck_require__.n(external_node_fs_namespaceObject);
;// CONCATENATED MODULE: ./src/etag.ts
/**
 * Pure ETag arithmetic. S3's ETag is the hex MD5 of the bytes for a single PUT, and
 * md5(concat(binary md5 of each part)) + '-' + partCount for a multipart upload, so a local file can be
 * compared with its object without downloading it, as long as both sides use the same part size.
 */

const MiB = 1024 * 1024;
/** Files at or above this size go up in parts; 8 MiB is also the AWS CLI's default, so its uploads compare. */
const MULTIPART_THRESHOLD = 8 * MiB;
const MAX_PARTS = 10_000;
/** The part size the action uses for a file: 8 MiB, or larger (whole MiB) where 10,000 parts would not fit. */
function partSizeFor(size) {
    return Math.max(MULTIPART_THRESHOLD, Math.ceil(size / MAX_PARTS / MiB) * MiB);
}
function usesMultipart(size) {
    return size >= MULTIPART_THRESHOLD;
}
/** The multipart ETag from the binary MD5 digests of the parts, in order. */
function multipartEtag(partDigests) {
    const hash = (0,external_node_crypto_namespaceObject.createHash)('md5');
    for (const digest of partDigests)
        hash.update(digest);
    return `${hash.digest('hex')}-${partDigests.length}`;
}
/**
 * 'incomparable' means the ETag is not an MD5 we can reproduce (SSE-KMS/SSE-C, or a multipart upload by a
 * tool with another part size); the caller uploads once, after which the object carries our own ETag.
 */
function compareEtag(remoteEtag, local) {
    const etag = remoteEtag.replace(/"/g, '').toLowerCase();
    const multipart = /^([0-9a-f]{32})-(\d+)$/.exec(etag);
    if (multipart) {
        if (local.multipartEtag === etag)
            return 'same';
        // s3rver and some S3-compatible stores return the whole-object MD5 for multipart uploads.
        const ownPartCount = local.multipartEtag?.split('-')[1];
        return ownPartCount === multipart[2] ? 'different' : 'incomparable';
    }
    if (/^[0-9a-f]{32}$/.test(etag))
        return etag === local.md5 ? 'same' : 'different';
    return 'incomparable';
}
/**
 * Whether the ETag a write was answered with is a hash of the bytes written (their MD5, S3's multipart form
 * of it, or the whole MD5 some stores give multipart uploads). The store accepted the Content-MD5 sent with
 * those bytes, so when it is not, the bytes are right and the store's ETags are just not MD5s (SSE-KMS,
 * SSE-C or another scheme): only a record of what was written can recognise that object later.
 */
function etagIsContentHash(written) {
    return compareEtag(written.etag, written) === 'same';
}

;// CONCATENATED MODULE: ./src/digest.ts
/**
 * Reads and hashes one file: its size, MD5, and for a file that goes up in parts, each part's MD5 and the
 * multipart ETag. Imports nothing but Node and etag.ts, so the hashing processes (hashers.ts) load it
 * without the SDK.
 */



function sameStamp(a, b) {
    return a !== undefined && b !== undefined && a.dev === b.dev && a.ino === b.ino && a.ctimeMs === b.ctimeMs;
}
function stampOf({ dev, ino, ctimeMs }) {
    return { dev, ino, ctimeMs };
}
const READ_CHUNK = 1024 * 1024;
/**
 * Reads a file from its start into `buffer` until the end of the file or of the buffer; returns the bytes
 * read and the file's stamp, taken before or after the read. Synchronous on purpose: for small files the
 * promise API's thread-pool round trips cost more than the read (100,000 files hashed in 14.4 s with
 * fs/promises, 3.6 s like this).
 *
 * The plan stamps before reading and the upload after: a write racing either read then leaves stamps that
 * differ, so the upload hashes what it read (and S3 checks the rest against Content-MD5).
 */
function readFileInto(absolutePath, buffer, stampTaken) {
    const fd = external_node_fs_default().openSync(absolutePath, 'r');
    try {
        const before = stampTaken === 'before' ? stampOf(external_node_fs_default().fstatSync(fd)) : undefined;
        let filled = 0;
        while (filled < buffer.length) {
            const bytesRead = external_node_fs_default().readSync(fd, buffer, filled, buffer.length - filled, filled);
            if (bytesRead === 0)
                break;
            filled += bytesRead;
        }
        return { length: filled, stamp: before ?? stampOf(external_node_fs_default().fstatSync(fd)) };
    }
    finally {
        external_node_fs_default().closeSync(fd);
    }
}
/** One byte more than a small file can hold, so a full buffer means "not small". */
const smallFileBuffer = Buffer.allocUnsafe(READ_CHUNK + 1);
/** Read buffers reused across large files: hashing 2 GiB then allocates no garbage beyond the pool. */
const readBuffers = [];
/**
 * One read of the file gives both the whole MD5 and, for large files, the per-part MD5s (kept for the
 * upload). A large file is read a MiB at a time, with `pause` awaited between reads, so a caller with other
 * work on its thread (the bucket listing) gets its turn; a small one in one read.
 */
async function digest_hashFile(absolutePath, pause) {
    const { length, stamp } = readFileInto(absolutePath, smallFileBuffer, 'before');
    if (length <= READ_CHUNK) {
        return { size: length, md5: (0,external_node_crypto_namespaceObject.createHash)('md5').update(smallFileBuffer.subarray(0, length)).digest('hex'), stamp };
    }
    const fd = external_node_fs_default().openSync(absolutePath, 'r');
    const buffer = readBuffers.pop() ?? Buffer.allocUnsafe(READ_CHUNK);
    try {
        const stats = external_node_fs_default().fstatSync(fd);
        const { size } = stats;
        const partSize = usesMultipart(size) ? partSizeFor(size) : Number.POSITIVE_INFINITY;
        const whole = (0,external_node_crypto_namespaceObject.createHash)('md5');
        const partDigests = [];
        let part = (0,external_node_crypto_namespaceObject.createHash)('md5');
        let partFilled = 0;
        for (;;) {
            // Never read across a part boundary, so each chunk belongs to exactly one part.
            const want = Math.min(READ_CHUNK, partSize - partFilled);
            const bytesRead = external_node_fs_default().readSync(fd, buffer, 0, want, null);
            if (bytesRead === 0)
                break;
            const chunk = buffer.subarray(0, bytesRead);
            whole.update(chunk);
            if (partSize !== Number.POSITIVE_INFINITY) {
                part.update(chunk);
                partFilled += bytesRead;
                if (partFilled === partSize) {
                    partDigests.push(part.digest());
                    part = (0,external_node_crypto_namespaceObject.createHash)('md5');
                    partFilled = 0;
                }
            }
            if (pause)
                await pause();
        }
        if (partSize === Number.POSITIVE_INFINITY)
            return { size, md5: whole.digest('hex'), stamp: stampOf(stats) };
        if (partFilled > 0)
            partDigests.push(part.digest());
        return {
            size,
            md5: whole.digest('hex'),
            multipartEtag: multipartEtag(partDigests),
            partMd5s: Buffer.concat(partDigests),
            stamp: stampOf(stats),
        };
    }
    finally {
        readBuffers.push(buffer);
        external_node_fs_default().closeSync(fd);
    }
}

;// CONCATENATED MODULE: ./src/hashers.ts
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



/** Names a hashing child on its command line (in `ps`, and to the tests). */
const HASHER_ARGUMENT = '--s3-cloudfront-deploy-hasher';
/** Below this many files, starting processes (~50 ms each) costs more than it saves: hashed here. */
const FILES_FOR_CHILDREN = 1000;
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
let entry;
/** The hashing children's bundle; unset (tests of the sources), all is hashed here. */
function hashInChildrenOf(bundle) {
    entry = bundle;
}
/**
 * The hashes of `paths`, in their order; `log` is told which processes hash them. Once `signal` aborts (the
 * work beside it failed), hashing stops at the next file or MiB read, children included, and this rejects.
 */
async function hashPaths(paths, log, signal) {
    const bundle = entry;
    const children = bundle === undefined ? 0 : childrenFor(paths.length, availableParallelism());
    if (bundle === undefined || children === 0)
        return hashInLanes(paths, { hereLanes: CONCURRENCY_HERE, signal });
    log?.(`Hashing ${paths.length} files in ${children} child process(es) and this one, ${availableParallelism()} CPU(s).`);
    // This process hashes too, from the start: the children take their share once they are up, and a build
    // hashed before they are does not wait for them.
    return hashInLanes(paths, { children: { bundle, count: children }, hereLanes: 1, signal }, log);
}
/** How many children hash `files` files on `cpus` CPUs: on one CPU a child would only take turns with this process. */
function childrenFor(files, cpus) {
    if (files < FILES_FOR_CHILDREN || cpus < 2)
        return 0;
    return Math.min(MAX_CHILDREN, cpus, Math.floor(files / FILES_PER_CHILD));
}
/**
 * The hashes of `paths`, in their order, by lanes that each take the next batch: one per child, and
 * `hereLanes` in this process (16 alone, so that a large file's reads leave room for the others).
 */
async function hashInLanes(paths, lanes, log) {
    const results = new Array(paths.length);
    let next = 0;
    let failed = false;
    const take = () => {
        if (failed || next >= paths.length)
            return undefined;
        const start = next;
        next = Math.min(paths.length, next + BATCH);
        return [start, next];
    };
    const here = hasherHere(() => failed);
    const hashHere = async ([start, end]) => {
        for (let index = start; index < end; index++)
            results[index] = await here(paths[index]);
    };
    /** Batches a child has taken and not yet answered, oldest first, each with the way to tell it taken over. */
    const unanswered = new Map();
    const hereLane = async () => {
        for (let batch = take(); batch; batch = take())
            await hashHere(batch);
        // Nothing left to take, while a child is still on its batch (a large file, or a child that will never
        // answer: one stopped, or waiting for a debugger): this process hashes it too, and the first to end answers.
        // Oldest first; a batch answered meanwhile leaves the map and is not visited.
        for (const [start, waiting] of unanswered) {
            unanswered.delete(start);
            await hashHere(waiting.batch);
            waiting.takeOver();
        }
    };
    const started = [];
    const childLane = async (bundle) => {
        const child = startHasher(bundle, log);
        started.push(child);
        for (let batch = take(); batch; batch = take()) {
            const [start, end] = batch;
            const takenOver = new Promise((resolve) => unanswered.set(start, { batch, takeOver: () => resolve('taken over') }));
            const answer = await Promise.race([child.hash(paths.slice(start, end)), takenOver]);
            unanswered.delete(start);
            if (answer === 'taken over') {
                log?.('A hashing child process had not answered when this process had hashed the rest; it is stopped.');
                return; // stopped with the others when all is hashed
            }
            // A child that cannot start or died leaves its batches to this process: slower, never wrong.
            if (answer === undefined)
                await hashHere(batch);
            else if ('failed' in answer)
                throw fileError(answer.failed);
            else
                answer.hashed.forEach((hashed, offset) => (results[start + offset] = fromChild(hashed)));
        }
    };
    const { children, hereLanes, signal } = lanes;
    const abort = () => {
        failed = true;
        for (const child of started)
            child.stop(); // their lanes then take the batch here, and stop at once
    };
    signal?.addEventListener('abort', abort, { once: true });
    try {
        signal?.throwIfAborted();
        await Promise.all([
            ...(children ? Array.from({ length: children.count }, () => childLane(children.bundle)) : []),
            ...Array.from({ length: hereLanes }, hereLane),
        ]);
    }
    catch (error) {
        failed = true; // the other lanes stop at their next file or MiB read (the run has failed and would wait)
        throw error;
    }
    finally {
        signal?.removeEventListener('abort', abort);
        for (const child of started)
            child.stop();
    }
    return results;
}
/**
 * This process's own hashing, pausing now and then so that the bucket listing running alongside is read; it
 * stops (throws) once `stopped`: a batch of large files (or a dead child's, taken over) is minutes of reading,
 * which the failed run would wait for before it exits.
 */
function hasherHere(stopped) {
    let lastYield = performance.now();
    const pause = async () => {
        if (stopped())
            throw new Error('Hashing stopped: the work beside it failed.');
        if (performance.now() - lastYield <= YIELD_EVERY_MS)
            return;
        await new Promise((resolve) => setImmediate(resolve));
        lastYield = performance.now();
    };
    return async (path) => {
        await pause();
        return hashFile(path, pause);
    };
}
function startHasher(bundle, log) {
    let alive = true;
    let pending;
    const died = (why) => {
        if (alive)
            log?.(`A hashing child process ended early (${String(why)}); this process hashes its share.`);
        alive = false;
        pending?.(undefined);
        pending = undefined;
    };
    let child;
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
    }
    catch (error) {
        died(error);
        return { hash: () => Promise.resolve(undefined), stop: () => undefined };
    }
    child.on('error', died);
    child.on('exit', (code, signal) => died(signal ?? `exit code ${code}`));
    child.on('message', (answer) => {
        const resolve = pending;
        pending = undefined;
        resolve?.(answer);
    });
    return {
        hash(paths) {
            if (!alive)
                return Promise.resolve(undefined);
            return new Promise((resolve) => {
                pending = resolve;
                child.send(paths, (error) => {
                    if (error)
                        died(error);
                });
            });
        },
        stop() {
            if (!alive)
                return;
            alive = false;
            child.kill();
        },
    };
}
/** A child's side: hashes each batch it is sent, in order, and ends when this process goes away. */
function serveHashing() {
    process.on('disconnect', () => process.exit(0));
    // A batch is hashed without a turn of the event loop, so 'disconnect' is only read between batches, and a
    // batch of large files takes seconds to minutes: a deploy killed or cancelled mid-batch (it exits at once)
    // would leave this process reading on. Its parent changes when that one is gone (POSIX; not on Windows).
    const parent = process.ppid;
    const stopIfOrphaned = () => (process.ppid === parent ? Promise.resolve() : process.exit(0));
    process.on('message', (paths) => {
        void answer(paths, stopIfOrphaned).then((reply) => process.send?.(reply));
    });
}
async function answer(paths, pause) {
    const hashed = [];
    try {
        for (const path of paths) {
            await pause();
            hashed.push(await digest_hashFile(path, pause));
        }
    }
    catch (error) {
        const { message, code, errno, syscall, path } = error;
        return { failed: { message: String(message), code, errno, syscall, path } };
    }
    return { hashed };
}
/** A Buffer may arrive as a plain Uint8Array after the structured clone (Node 24 keeps it a Buffer). */
function fromChild(hashed) {
    const { partMd5s } = hashed;
    return partMd5s
        ? { ...hashed, partMd5s: Buffer.from(partMd5s.buffer, partMd5s.byteOffset, partMd5s.byteLength) }
        : hashed;
}
function fileError(fields) {
    return Object.assign(new Error(fields.message), fields);
}

;// CONCATENATED MODULE: ./src/hasher.ts
// The entry of a hashing child process, bundled on its own (dist/hasher/index.js) so that it loads no more
// than hashing needs: see hashers.ts.

serveHashing();

