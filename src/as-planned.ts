/**
 * The one rule for every body read from a file for an upload (a whole file's PutObject, or one part of a
 * multipart upload): it is written only as the plan hashed it. Hashing it again is skipped while the file's
 * stamp says it is unchanged; S3's Content-MD5 check, the ETag answered, or the bytes hashed after the
 * answer then catch a write the stamp could not show.
 */
import { createHash } from 'node:crypto';
import { ActionError } from './errors.js';
import { compareEtag } from './etag.js';
import { type FileStamp, sameStamp } from './digest.js';
import type { LocalFile } from './local.js';

export interface BytesRead {
  file: LocalFile;
  /** The bytes read for the upload: all of a small file, or one part. */
  body: Buffer;
  /** The binary MD5 the plan made of these bytes; undefined when it made none (they are hashed here). */
  planned: Buffer | undefined;
  /** The file's stamp taken after `body` was read. */
  stamp: FileStamp;
}

/**
 * Sends `body` with `send`, given its Content-MD5 in base64, and returns the answer and the MD5 sent.
 *
 * Unchanged since the plan hashed it (same inode, same ctime), the body goes with the plan's MD5 and is not
 * hashed, so S3 refuses it (BadDigest) if a write raced this read after all; otherwise it is hashed first and
 * never sent when it is not what the plan hashed. A BadDigest for bytes that were the planned ones means they
 * were altered on the way: sent once more (a second BadDigest is explained as that, in errors.ts). An answer
 * whose ETag is not that MD5 (SSE-KMS, a store with opaque ETags, or one that ignores Content-MD5 and stored
 * other bytes) gets the unhashed body hashed after it.
 */
export async function sendAsPlanned<Answer extends { ETag?: string | undefined }>(
  { file, body, planned, stamp }: BytesRead,
  send: (contentMd5: string) => Promise<Answer>,
): Promise<{ answer: Answer; md5: Buffer }> {
  const unchanged = planned !== undefined && sameStamp(stamp, file.stamp);
  const md5 = unchanged ? planned : md5Of(body);
  if (planned !== undefined && !unchanged && !md5.equals(planned)) throw fileChanged(file);
  // Hashed bytes are what the MD5 says; only the stamp's word needs checking.
  const sentAsPlanned = () => !unchanged || md5Of(body).equals(md5);
  const contentMd5 = md5.toString('base64');
  let answer: Answer;
  try {
    answer = await send(contentMd5);
  } catch (error) {
    if ((error as { name?: unknown }).name !== 'BadDigest') throw error;
    if (!sentAsPlanned()) throw fileChanged(file);
    answer = await send(contentMd5);
  }
  if (unchanged && compareEtag(answer.ETag ?? '', { md5: md5.toString('hex') }) !== 'same' && !sentAsPlanned()) {
    throw fileChanged(file);
  }
  return { answer, md5 };
}

/** Said alike for every size: the bytes about to be written are no longer the bytes planned. */
export function fileChanged(file: LocalFile): ActionError {
  return new ActionError(`'${file.key}' changed while the deploy was running; run the deploy again.`);
}

function md5Of(body: Buffer): Buffer {
  return createHash('md5').update(body).digest();
}
