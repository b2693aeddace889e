/**
 * Reads and hashes one file: its size, MD5, and for a file that goes up in parts, each part's MD5 and the
 * multipart ETag. Imports nothing but Node and etag.ts, so the hashing processes (hashers.ts) load it
 * without the SDK.
 */
import { createHash } from 'node:crypto';
import fsSync from 'node:fs';
import { multipartEtag, partSizeFor, usesMultipart } from './etag.js';

/**
 * What tells a file unchanged since it was hashed, without hashing it again: a write(2) to it moves its
 * ctime (which no program can set back), and a new file renamed over its path has another inode. It is
 * a shortcut, not the proof: a write within the same tick of a coarse clock, or through a shared memory
 * mapping, leaves it as it was; S3's Content-MD5 check (or the ETag, or the bytes hashed after the
 * answer) catches those.
 */
export interface FileStamp {
  dev: number;
  ino: number;
  ctimeMs: number;
}

export function sameStamp(a: FileStamp | undefined, b: FileStamp | undefined): boolean {
  return a !== undefined && b !== undefined && a.dev === b.dev && a.ino === b.ino && a.ctimeMs === b.ctimeMs;
}

export function stampOf({ dev, ino, ctimeMs }: fsSync.Stats): FileStamp {
  return { dev, ino, ctimeMs };
}

/** A file as hashed for the plan. */
export interface Hashed {
  size: number;
  /** Hex MD5 of the bytes. */
  md5: string;
  /** The S3 ETag this file gets when uploaded in the action's parts; only for files that use multipart. */
  multipartEtag?: string;
  /** The binary MD5 of each of those parts, 16 bytes a part in order; only for files that use multipart. */
  partMd5s?: Buffer;
  /** Taken just before the file was read. */
  stamp: FileStamp;
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
export function readFileInto(
  absolutePath: string,
  buffer: Buffer,
  stampTaken: 'before' | 'after',
): { length: number; stamp: FileStamp } {
  const fd = fsSync.openSync(absolutePath, 'r');
  try {
    const before = stampTaken === 'before' ? stampOf(fsSync.fstatSync(fd)) : undefined;
    let filled = 0;
    while (filled < buffer.length) {
      const bytesRead = fsSync.readSync(fd, buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return { length: filled, stamp: before ?? stampOf(fsSync.fstatSync(fd)) };
  } finally {
    fsSync.closeSync(fd);
  }
}

/** One byte more than a small file can hold, so a full buffer means "not small". */
const smallFileBuffer = Buffer.allocUnsafe(READ_CHUNK + 1);
/** Read buffers reused across large files: hashing 2 GiB then allocates no garbage beyond the pool. */
const readBuffers: Buffer[] = [];

/**
 * One read of the file gives both the whole MD5 and, for large files, the per-part MD5s (kept for the
 * upload). A large file is read a MiB at a time, with `pause` awaited between reads, so a caller with other
 * work on its thread (the bucket listing) gets its turn; a small one in one read.
 */
export async function hashFile(absolutePath: string, pause?: () => Promise<void>): Promise<Hashed> {
  const { length, stamp } = readFileInto(absolutePath, smallFileBuffer, 'before');
  if (length <= READ_CHUNK) {
    return { size: length, md5: createHash('md5').update(smallFileBuffer.subarray(0, length)).digest('hex'), stamp };
  }
  const fd = fsSync.openSync(absolutePath, 'r');
  const buffer = readBuffers.pop() ?? Buffer.allocUnsafe(READ_CHUNK);
  try {
    const stats = fsSync.fstatSync(fd);
    const { size } = stats;
    const partSize = usesMultipart(size) ? partSizeFor(size) : Number.POSITIVE_INFINITY;
    const whole = createHash('md5');
    const partDigests: Buffer[] = [];
    let part = createHash('md5');
    let partFilled = 0;
    for (;;) {
      // Never read across a part boundary, so each chunk belongs to exactly one part.
      const want = Math.min(READ_CHUNK, partSize - partFilled);
      const bytesRead = fsSync.readSync(fd, buffer, 0, want, null);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      whole.update(chunk);
      if (partSize !== Number.POSITIVE_INFINITY) {
        part.update(chunk);
        partFilled += bytesRead;
        if (partFilled === partSize) {
          partDigests.push(part.digest());
          part = createHash('md5');
          partFilled = 0;
        }
      }
      if (pause) await pause();
    }
    if (partSize === Number.POSITIVE_INFINITY) return { size, md5: whole.digest('hex'), stamp: stampOf(stats) };
    if (partFilled > 0) partDigests.push(part.digest());
    return {
      size,
      md5: whole.digest('hex'),
      multipartEtag: multipartEtag(partDigests),
      partMd5s: Buffer.concat(partDigests),
      stamp: stampOf(stats),
    };
  } finally {
    readBuffers.push(buffer);
    fsSync.closeSync(fd);
  }
}
