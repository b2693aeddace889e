/**
 * Files as the deploy's plan sees them, and their upload to a local S3 as one wave of a deploy sends it:
 * shared by the tests of what the upload does with a file that changed after the plan read it.
 */
import fsSync from 'node:fs';
import type { S3ServerOptions } from '../../local/s3-server.mjs';
import { NO_HEADER_RULES } from '../../src/headers.js';
import { type LocalFile, hashFiles } from '../../src/local.js';
import { type TransferOutcome, uploadFiles } from '../../src/upload.js';
import { clientFor } from './put-input.js';

export const QUIET_LOG = { info: () => {}, warning: () => {}, debug: () => {} };

/** What the user reads for a file that changed while the deploy ran. */
export const changedMessage = (key: string) => `'${key}' changed while the deploy was running; run the deploy again.`;

/** Hashed by the deploy's own scan (MD5, multipart ETag, stamp). */
export async function planFile(key: string, absolutePath: string): Promise<LocalFile> {
  const [file] = await hashFiles([{ key, absolutePath }], { headerRules: NO_HEADER_RULES });
  return file as LocalFile;
}

/**
 * The planned file, stamped as the file is now: a change the plan's stamp could not have told (a coarse
 * ctime, a write in the plan's clock tick, an inode reused by a rename).
 */
export function stampedAsNow(file: LocalFile): LocalFile {
  const { dev, ino, ctimeMs } = fsSync.statSync(file.absolutePath);
  return { ...file, stamp: { dev, ino, ctimeMs } };
}

/**
 * Writes `text` into the file at `offset` (in place: same inode, same size) and gives `file` the stamp the
 * file now has, as if the write fell in the plan's clock tick: a change between two parts that only
 * Content-MD5 or the final ETag check can catch.
 */
export function overwriteUnseen(file: LocalFile, text: string, offset: number): void {
  const fd = fsSync.openSync(file.absolutePath, 'r+');
  try {
    fsSync.writeSync(fd, text, offset);
  } finally {
    fsSync.closeSync(fd);
  }
  Object.assign(file, { stamp: stampedAsNow(file).stamp });
}

/** Uploads `files` to `bucket` at `endpoint` through a client of its own, as s3.ts configures one. */
export async function uploadTo(
  endpoint: string,
  bucket: string,
  files: LocalFile[],
  concurrency = 4,
): Promise<TransferOutcome> {
  const client = clientFor(endpoint);
  try {
    return await uploadFiles(files, { client, bucket, prefix: '' }, { concurrency, log: QUIET_LOG });
  } finally {
    client.destroy();
  }
}

/** The stores a changed file meets, and whether each refuses a body that does not match its Content-MD5. */
export const CONTENT_MD5_STORES: Array<[string, S3ServerOptions, boolean]> = [
  ['S3 (checks Content-MD5, MD5 ETags)', { mode: 'strict', etags: 'md5' }, true],
  ['an SSE-KMS bucket (checks Content-MD5, ETags not MD5s)', { mode: 'strict', etags: 'kms' }, true],
  ['a store that ignores Content-MD5, with MD5 ETags', { mode: 'fast', etags: 'md5' }, false],
  ['a store that ignores Content-MD5, with opaque ETags', { mode: 'fast', etags: 'opaque' }, false],
];
