/**
 * One deploy at a time per prefix, whatever workflow started it. The lock is an object under the prefix
 * created with a conditional write (If-None-Match: *), as Terraform's S3 backend locks its state since 1.10:
 * it names its holder (the run) and an expiry that the holder pushes forward while it works, so the lock of
 * a runner that vanished frees itself. A stale lock is taken over only by compare-and-swap (If-Match on its
 * ETag), and released by a conditional delete, so a deploy never removes a lock it does not hold.
 *
 * Not every S3-compatible store honours conditional writes: right after taking the lock the deploy repeats
 * the conditional create, which such a store answers 200 instead of 412. There the lock is best-effort, and
 * the deploy says so.
 */
import { createHash } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ActionError } from './errors.js';
import type { Logger } from './logger.js';
import { type S3Target, encryptionParams } from './s3.js';
import { LOCK_NAME } from './state.js';

/** How long a lock lives without being renewed; the holder renews it every third of that. */
export const LEASE_MS = 120_000;
/** How often a waiting deploy looks at the lock again. */
const POLL_MS = 2000;

export interface LockHolder {
  /** Who holds it: the run's URL and job, or a local process. */
  run: string;
  /** ISO times. */
  startedAt: string;
  expiresAt: string;
}

export interface LockOptions {
  /** The run taking the lock, as it will be named to others. */
  run: string;
  /** How long to wait for a live lock before failing. */
  waitSeconds: number;
  log: Logger;
  sleep?: (ms: number) => Promise<void>;
}

export interface PrefixLock {
  /** Whether the store honours conditional writes (otherwise the lock is best-effort). */
  readonly conditional: boolean;
  /** Throws when the lock was lost (taken over after this deploy failed to renew it in time). */
  assertHeld(): void;
  release(): Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const errorName = (error: unknown) => (error as { name?: string }).name ?? '';
const errorStatus = (error: unknown) =>
  (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

/** A store that does not implement a conditional header says so with 501, or refuses the header outright. */
function refusesConditions(error: unknown): boolean {
  return errorName(error) === 'NotImplemented' || errorStatus(error) === 501;
}

export async function acquireLock(target: S3Target, options: LockOptions): Promise<PrefixLock> {
  const key = target.prefix + LOCK_NAME;
  const where = `s3://${target.bucket}/${key}`;
  const sleep = options.sleep ?? defaultSleep;
  const startedAt = new Date().toISOString();
  const body = () =>
    `${JSON.stringify({ run: options.run, startedAt, expiresAt: new Date(Date.now() + LEASE_MS).toISOString() } satisfies LockHolder)}\n`;
  const put = async (condition: { IfNoneMatch: '*' } | { IfMatch: string } | Record<string, never>) => {
    const text = body();
    const response = await target.client.send(
      new PutObjectCommand({
        Bucket: target.bucket,
        Key: key,
        Body: text,
        ContentMD5: createHash('md5').update(text).digest('base64'),
        ContentType: 'application/json',
        CacheControl: 'no-store',
        ...encryptionParams(target.encryption),
        ...condition,
      }),
    );
    return response.ETag ?? '';
  };

  const deadline = Date.now() + options.waitSeconds * 1000;
  let announced = false;
  for (;;) {
    try {
      const etag = await put({ IfNoneMatch: '*' });
      return holding(etag, await probe(etag));
    } catch (error) {
      if (refusesConditions(error)) return holding(await put({}), false);
      if (errorName(error) === 'ConditionalRequestConflict') {
        await sleep(100 + Math.random() * 400);
        continue;
      }
      if (errorName(error) !== 'PreconditionFailed') throw error;
    }

    const current = await readLock();
    if (!current) continue; // released in the meantime
    if (Date.parse(current.holder.expiresAt) <= Date.now()) {
      try {
        const etag = await put({ IfMatch: current.etag });
        options.log.warning(
          `Took over the lock on ${where} left by ${current.holder.run} (started ${current.holder.startedAt}, expired ${current.holder.expiresAt}): that deploy stopped without releasing it.`,
        );
        return holding(etag, true);
      } catch (error) {
        if (errorName(error) === 'PreconditionFailed' || errorName(error) === 'ConditionalRequestConflict') continue;
        throw error;
      }
    }
    if (Date.now() >= deadline) {
      throw new ActionError(
        `Another deploy is writing to s3://${target.bucket}/${target.prefix}: ${current.holder.run}, started ${current.holder.startedAt}. ` +
          `Waited ${options.waitSeconds} s ('lock-timeout') for it to finish; nothing was changed. Run again when it is done (its lock expires by itself ${LEASE_MS / 1000} s after that deploy stops renewing it).`,
      );
    }
    if (!announced) {
      options.log.info(
        `Waiting for another deploy to s3://${target.bucket}/${target.prefix} to finish: ${current.holder.run}, started ${current.holder.startedAt} (up to ${options.waitSeconds} s, 'lock-timeout').`,
      );
      announced = true;
    }
    await sleep(Math.max(50, Math.min(POLL_MS, deadline - Date.now())));
  }

  /** Repeats the create: a store that honours conditions refuses it; one that ignores them accepts it. */
  async function probe(etag: string): Promise<{ etag: string; conditional: boolean }> {
    try {
      return { etag: await put({ IfNoneMatch: '*' }), conditional: false };
    } catch (error) {
      if (errorName(error) === 'PreconditionFailed') return { etag, conditional: true };
      if (refusesConditions(error)) return { etag, conditional: false };
      throw error;
    }
  }

  async function readLock(): Promise<{ holder: LockHolder; etag: string } | undefined> {
    try {
      const response = await target.client.send(new GetObjectCommand({ Bucket: target.bucket, Key: key }));
      const text = (await response.Body?.transformToString()) ?? '';
      let holder: LockHolder;
      try {
        holder = JSON.parse(text) as LockHolder;
      } catch {
        holder = { run: 'an unknown deploy (unreadable lock)', startedAt: '?', expiresAt: new Date(0).toISOString() };
      }
      return { holder, etag: response.ETag ?? '' };
    } catch (error) {
      if (errorName(error) === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  function holding(firstEtag: string, probed: boolean | { etag: string; conditional: boolean }): PrefixLock {
    const conditional = typeof probed === 'boolean' ? probed : probed.conditional;
    let etag = typeof probed === 'boolean' ? firstEtag : probed.etag;
    let lost: string | undefined;
    if (!conditional) {
      options.log.warning(
        `The S3 store does not honour conditional writes (If-None-Match), so the lock on ${where} is best-effort: two deploys started at the same moment are not kept apart. Use a workflow 'concurrency' group as well.`,
      );
    }
    // Renewals chain on one promise so a release never races a renewal in flight.
    let renewal = Promise.resolve();
    const timer = setInterval(() => {
      renewal = renewal.then(async () => {
        if (lost) return;
        try {
          etag = await put(conditional ? { IfMatch: etag } : {});
        } catch (error) {
          if (errorName(error) === 'PreconditionFailed') {
            lost = `another deploy took over the lock on ${where}`;
            options.log.warning(`Lost the lock: ${lost}.`);
          } else {
            options.log.debug(`Could not renew the lock on ${where}: ${(error as Error).message}`);
          }
        }
      });
    }, LEASE_MS / 3);
    timer.unref();
    return {
      conditional,
      assertHeld() {
        if (lost) throw new ActionError(`Stopped: ${lost} (this deploy could not renew it in time). Run it again.`);
      },
      async release() {
        clearInterval(timer);
        await renewal;
        if (lost) return;
        try {
          await target.client.send(
            new DeleteObjectCommand({ Bucket: target.bucket, Key: key, ...(conditional ? { IfMatch: etag } : {}) }),
          );
        } catch (error) {
          // Already taken over: that lock is someone else's now.
          if (errorName(error) === 'PreconditionFailed' || errorName(error) === 'NoSuchKey') return;
          if (!refusesConditions(error)) throw error;
          await target.client.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: key }));
        }
      },
    };
  }
}
