/**
 * One file up in parts: CreateMultipartUpload, UploadPart with Content-MD5, CompleteMultipartUpload only
 * once the bytes sent are known to be the bytes planned, AbortMultipartUpload on any failure, and then the
 * uploads of the same key that an earlier attempt left unfinished.
 *
 * Written by hand rather than with @aws-sdk/lib-storage, which sends a file that fits in one part (exactly
 * 8 MiB) as a PutObject without Content-MD5, and completes the upload as soon as the last part is sent, with
 * no hook to check the bytes first: a file edited during the deploy was committed with its new bytes.
 */
import fs from 'node:fs/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  type CompleteMultipartUploadCommandOutput,
  type CompletedPart,
  CreateMultipartUploadCommand,
  type CreateMultipartUploadCommandInput,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { fileChanged, sendAsPlanned } from './as-planned.js';
import { errorMessage } from './errors.js';
import { MULTIPART_THRESHOLD, compareEtag, multipartEtag, partSizeFor } from './etag.js';
import { stampOf } from './digest.js';
import type { LocalFile } from './local.js';
import type { Logger } from './logger.js';
import { createLimiter } from './pool.js';

/** Parts of one upload in flight; each is a buffer in memory, so this bounds memory per file. */
export const PARTS_IN_FLIGHT = 4;
/** Multipart uploads at once: memory is part size x parts in flight x this (8 MiB x 4 x 2 = 64 MiB). */
export const MULTIPART_UPLOADS_AT_ONCE = 2;
const multipartSlot = createLimiter(MULTIPART_UPLOADS_AT_ONCE);

/** Part buffers of the usual size, kept for the next upload (at most one per part that can be in flight). */
const spareParts: Buffer[] = [];
const MAX_SPARE_PARTS = PARTS_IN_FLIGHT * MULTIPART_UPLOADS_AT_ONCE;
/** Bytes of a binary MD5. */
const MD5_LENGTH = 16;

export interface PartsRequest {
  client: S3Client;
  bucket: string;
  /** The object's key, prefix included. */
  objectKey: string;
  file: LocalFile;
  /** Headers and encryption, as sent with CreateMultipartUpload. */
  params: Omit<CreateMultipartUploadCommandInput, 'Bucket' | 'Key'>;
  log: Logger;
  /** The deploy's 'concurrency': a multipart upload never has more parts in flight than that. */
  concurrency: number;
}

export interface PartsResult {
  /** As CompleteMultipartUpload answered it, unquoted. */
  etag: string;
  /** S3's multipart ETag of the parts sent. */
  multipartEtag: string;
  serverSideEncryption?: string;
}

export function uploadInParts(request: PartsRequest): Promise<PartsResult> {
  return multipartSlot(async () => {
    const { client, bucket: Bucket, objectKey: Key } = request;
    const created = await client.send(new CreateMultipartUploadCommand({ Bucket, Key, ...request.params }));
    const UploadId = created.UploadId;
    if (!UploadId) throw new Error(`S3 answered CreateMultipartUpload for '${Key}' without an UploadId.`);
    try {
      const parts = await sendParts(request, UploadId);
      // Listed while this upload is open, so that the listing tells which of the key's uploads began before it.
      const leftovers = await leftoversBefore(request, UploadId);
      const completed = await client
        .send(
          new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts.completed } }),
        )
        .catch((error: unknown) => completedBefore(request, parts.multipartEtag, error));
      for (const leftover of leftovers) await abort(request, leftover);
      return {
        etag: (completed.ETag ?? '').replace(/"/g, ''),
        multipartEtag: parts.multipartEtag,
        ...(completed.ServerSideEncryption ? { serverSideEncryption: completed.ServerSideEncryption } : {}),
      };
    } catch (error) {
      await abort(request, UploadId);
      throw error;
    }
  });
}

/**
 * Reads each part into its own buffer (so the SDK can resend it on a retry), sends it as the plan hashed it
 * (as-planned.ts: with the plan's MD5 of that part while the file's stamp says it is unchanged, hashed again
 * otherwise), and returns the parts for CompleteMultipartUpload once every part is stored and their MD5s
 * give the multipart ETag planned, the file still has its planned size and its path still names it:
 * otherwise the file changed since it was hashed, and the upload must not be completed.
 *
 * A part's ETag is not held against its MD5 when its bytes were hashed: the store verified the Content-MD5,
 * so an ETag that differs only says this store's ETags are not MD5s (SSE-KMS, SSE-C, some S3-compatible
 * stores), not that a byte is wrong; refusing it would fail every large file on such a store.
 */
async function sendParts(
  { client, bucket, objectKey, file, concurrency }: PartsRequest,
  UploadId: string,
): Promise<{ completed: CompletedPart[]; multipartEtag: string }> {
  if (file.multipartEtag === undefined) throw new Error(`'${file.key}' was not hashed in parts before its upload.`);
  const partSize = partSizeFor(file.size);
  const partCount = Math.max(1, Math.ceil(file.size / partSize));
  // Digests that are not one per part of this size (never so from hashFiles) are not used: parts are hashed.
  const plannedMd5s = file.partMd5s?.length === partCount * MD5_LENGTH ? file.partMd5s : undefined;
  const digests = new Array<Buffer>(partCount);
  const completed = new Array<CompletedPart>(partCount);
  const inFlight = createLimiter(Math.min(PARTS_IN_FLIGHT, concurrency));
  let stop = false;
  const handle = await fs.open(file.absolutePath, 'r');
  try {
    const sends = Array.from({ length: partCount }, (_, index) =>
      inFlight(async () => {
        if (stop) return;
        const buffer = takePartBuffer(partSize);
        try {
          const start = index * partSize;
          const body = buffer.subarray(0, Math.min(partSize, file.size - start));
          if ((await readAt(handle, body, start)) < body.length) throw fileChanged(file);
          const stamp = stampOf(await handle.stat());
          const planned = plannedMd5s?.subarray(index * MD5_LENGTH, (index + 1) * MD5_LENGTH);
          const PartNumber = index + 1;
          const { answer, md5 } = await sendAsPlanned({ file, body, planned, stamp }, (ContentMD5) =>
            client.send(
              new UploadPartCommand({
                Bucket: bucket,
                Key: objectKey,
                UploadId,
                PartNumber,
                Body: body,
                ContentLength: body.length,
                ContentMD5,
              }),
            ),
          );
          digests[index] = md5;
          completed[index] = { PartNumber, ETag: answer.ETag };
        } catch (error) {
          stop = true;
          throw error;
        } finally {
          givePartBuffer(buffer);
        }
      }),
    );
    // Every part settles before anything else happens: an abort with parts still in flight can leave
    // those parts stored.
    const failure = (await Promise.allSettled(sends)).find((result) => result.status === 'rejected');
    if (failure) throw failure.reason;
    // A file that only grew still has its planned parts: its size tells. A new version renamed over the path
    // (as many builds write) leaves this handle on the old file: the path must still name the same one.
    const [opened, named] = await Promise.all([handle.stat(), fs.stat(file.absolutePath).catch(() => undefined)]);
    if (opened.size !== file.size || !named || named.ino !== opened.ino || named.dev !== opened.dev)
      throw fileChanged(file);
  } finally {
    await handle.close();
  }
  const sent = multipartEtag(digests);
  if (sent !== file.multipartEtag) throw fileChanged(file);
  return { completed, multipartEtag: sent };
}

async function readAt(handle: fs.FileHandle, into: Buffer, position: number): Promise<number> {
  let filled = 0;
  while (filled < into.length) {
    const { bytesRead } = await handle.read(into, filled, into.length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}

/**
 * A Complete whose first attempt was applied and its answer lost (a dropped connection) is sent again by the
 * SDK and finds no upload: NoSuchUpload. The object written then has the ETag of the parts sent (where ETags
 * are MD5s), and the upload is done; otherwise the error stands.
 */
async function completedBefore(
  { client, bucket, objectKey, file }: PartsRequest,
  sent: string,
  error: unknown,
): Promise<Pick<CompleteMultipartUploadCommandOutput, 'ETag' | 'ServerSideEncryption'>> {
  const { name, $metadata } = error as { name?: unknown; $metadata?: { attempts?: number } };
  if (name !== 'NoSuchUpload' || ($metadata?.attempts ?? 1) < 2) throw error;
  const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: objectKey })).catch(() => undefined);
  if (!head || compareEtag(head.ETag ?? '', { md5: file.md5, multipartEtag: sent }) !== 'same') throw error;
  return head;
}

/** Clients whose ListMultipartUploads failed once: not asked again this run (each failure costs retries). */
const unlistable = new WeakSet<S3Client>();

/**
 * The key's unfinished uploads that began before this one: a runner killed between parts (the re-run writes
 * the file again), or a CreateMultipartUpload applied whose answer was lost (the SDK's retry made a second
 * upload). Their parts are stored and billed with no object, and no run will finish them: this run holds
 * the prefix's lock. One that began later is left alone: a run that took the lock over from this one (this
 * one stalled past the lock's expiry) may be uploading the key now. S3 lists a key's uploads in the order
 * they began; where a store gives both start times, a later one is left alone whatever the order.
 * One ListMultipartUploads per large file written. Needs s3:ListBucketMultipartUploads; without it, or on a
 * store that has no such call, the leftovers stay until a lifecycle rule with AbortIncompleteMultipartUpload
 * removes them (said only in the debug log: the deploy itself is not at stake).
 */
async function leftoversBefore(request: PartsRequest, own: string): Promise<string[]> {
  const { client, bucket, objectKey, log } = request;
  if (unlistable.has(client)) return [];
  const before: Array<{ id: string; initiated?: Date }> = [];
  try {
    let markers: { KeyMarker?: string; UploadIdMarker?: string } = {};
    const seen = new Set<string>();
    for (;;) {
      const page = await client.send(
        new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: objectKey, ...markers }),
      );
      for (const upload of page.Uploads ?? []) {
        if (upload.Key !== objectKey || !upload.UploadId) continue;
        if (upload.UploadId === own) {
          const ownStart = upload.Initiated?.getTime();
          return before
            .filter(
              ({ initiated }) => ownStart === undefined || initiated === undefined || initiated.getTime() <= ownStart,
            )
            .map(({ id }) => id);
        }
        if (before.some(({ id }) => id === upload.UploadId)) continue; // a store whose pages overlap
        before.push({ id: upload.UploadId, ...(upload.Initiated ? { initiated: upload.Initiated } : {}) });
      }
      // The key's own uploads come first (a longer key sorts after it): a page that ends past them is the
      // last one needed, and a store whose markers go back or repeat would otherwise be listed forever.
      const next = page.NextUploadIdMarker;
      if (!page.IsTruncated || page.NextKeyMarker !== objectKey || !next || seen.has(next)) break;
      seen.add(next);
      markers = { KeyMarker: objectKey, UploadIdMarker: next };
    }
  } catch (error) {
    unlistable.add(client);
    log.debug(`Could not list unfinished multipart uploads of '${objectKey}' (${errorMessage(error)}).`);
  }
  // This upload was not listed: nothing is known to have begun before it.
  return [];
}

/** Without the abort, the parts already sent stay stored (and billed) with no object to show for them. */
async function abort({ client, bucket, objectKey, log }: PartsRequest, UploadId: string): Promise<void> {
  try {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: objectKey, UploadId }));
  } catch (error) {
    log.warning(
      `Could not abort the unfinished multipart upload of '${objectKey}' (${errorMessage(error)}); its parts stay ` +
        `stored until a lifecycle rule with AbortIncompleteMultipartUpload removes them.`,
    );
  }
}

function takePartBuffer(partSize: number): Buffer {
  return (partSize === MULTIPART_THRESHOLD ? spareParts.pop() : undefined) ?? Buffer.allocUnsafeSlow(partSize);
}

function givePartBuffer(buffer: Buffer): void {
  if (buffer.length === MULTIPART_THRESHOLD && spareParts.length < MAX_SPARE_PARTS) spareParts.push(buffer);
}
