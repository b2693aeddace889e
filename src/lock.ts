/**
 * One deploy at a time per prefix, whatever workflow started it. The lock is an object under the prefix
 * created with a conditional write (If-None-Match: *), as Terraform's S3 backend locks its state since 1.10:
 * it names its holder (the run) and carries a nonce that only its holder knows; the holder rewrites it every
 * LEASE_MS / 3 while it works, so the lock of a runner that vanished frees itself. Expiry is judged by S3's
 * clock (the lock's Last-Modified against the answer's Date), never by a runner's. A stale lock is taken over
 * only by compare-and-swap (If-Match on its ETag), and released by a conditional delete, so a deploy never
 * removes a lock it does not hold.
 *
 * An answer can be lost after S3 applied the write; the SDK's retry then meets its own lock (412). The nonce
 * tells: a lock that carries ours is ours.
 *
 * Not every S3-compatible store honours conditional writes: right after taking the lock the deploy repeats
 * the conditional create, which such a store answers 200 instead of 412. There the lock is best-effort (a
 * lock the listing showed is read before writing, and only a lock with our nonce is released), and the
 * deploy says so.
 */
import { createHash, randomBytes } from 'node:crypto';
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
  /** ISO times, by the holder's clock: for people; expiry is judged by S3's. */
  startedAt: string;
  expiresAt: string;
  /** Only the holder knows it. */
  nonce: string;
}

export interface LockOptions {
  /** The run taking the lock, as it will be named to others. */
  run: string;
  /** How long to wait for a live lock before failing. */
  waitSeconds: number;
  /** Whether the listing showed a lock: on a store that ignores conditions, the only warning there is. */
  listed?: boolean;
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

interface CurrentLock {
  holder: LockHolder;
  etag: string;
  /** By S3's clock: how long since the holder last wrote it. */
  ageMs: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const errorName = (error: unknown) => (error as { name?: string }).name ?? '';
const errorStatus = (error: unknown) =>
  (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
const isConflict = (error: unknown) =>
  errorName(error) === 'PreconditionFailed' || errorName(error) === 'ConditionalRequestConflict';

/** A store that does not implement a conditional header says so with 501, or refuses the header outright. */
function refusesConditions(error: unknown): boolean {
  return errorName(error) === 'NotImplemented' || errorStatus(error) === 501;
}

export async function acquireLock(target: S3Target, options: LockOptions): Promise<PrefixLock> {
  const key = target.prefix + LOCK_NAME;
  const where = `s3://${target.bucket}/${key}`;
  const sleep = options.sleep ?? defaultSleep;
  const startedAt = new Date().toISOString();
  const nonce = randomBytes(12).toString('base64url');
  const body = () =>
    `${JSON.stringify({ run: options.run, startedAt, expiresAt: new Date(Date.now() + LEASE_MS).toISOString(), nonce } satisfies LockHolder)}\n`;
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
  /** The lock as it is now, when it is ours (a write of ours whose answer was lost). */
  const ours = async () => {
    const current = await readLock(target, key);
    return current?.holder.nonce === nonce ? current : undefined;
  };

  const deadline = Date.now() + options.waitSeconds * 1000;
  let announced = false;
  let look = options.listed === true;
  for (;;) {
    // A lock the listing (or a refused create) showed: read it first; it may be live, ours, or expired.
    const current = look ? await readLock(target, key) : undefined;
    look = true;
    if (current?.holder.nonce === nonce) return holding(current.etag);
    if (current && current.ageMs > LEASE_MS) {
      try {
        const etag = await put({ IfMatch: current.etag });
        options.log.warning(
          `Took over the lock on ${where} left by ${current.holder.run} (started ${current.holder.startedAt}, not renewed for ${Math.round(current.ageMs / 1000)} s): that deploy stopped without releasing it.`,
        );
        return holding(etag);
      } catch (error) {
        const mine = isConflict(error) ? await ours() : undefined;
        if (mine) return holding(mine.etag);
        if (isConflict(error)) continue;
        throw error;
      }
    }
    if (current) {
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
      continue;
    }

    try {
      return holding(await put({ IfNoneMatch: '*' }));
    } catch (error) {
      if (refusesConditions(error)) return holding(await put({}), false);
      if (errorName(error) === 'ConditionalRequestConflict') {
        await sleep(100 + Math.random() * 400);
        continue;
      }
      if (errorName(error) !== 'PreconditionFailed') throw error;
      // Someone's lock, or ours (the SDK retried a create whose answer was lost): read it next round.
    }
  }

  /**
   * Holds the lock: proves the store honours conditions (a second conditional create must be refused),
   * renews it, and releases it. A failed probe releases the lock it has just taken before failing.
   */
  async function holding(firstEtag: string, probe = true): Promise<PrefixLock> {
    let etag = firstEtag;
    let conditional = false;
    if (probe) {
      try {
        etag = await put({ IfNoneMatch: '*' });
      } catch (error) {
        if (errorName(error) === 'PreconditionFailed') conditional = true;
        else if (!refusesConditions(error)) {
          await remove(etag, true).catch(() => undefined);
          throw error;
        }
      }
    }
    let lost: string | undefined;
    if (!conditional) {
      options.log.warning(
        `The S3 store does not honour conditional writes (If-None-Match), so the lock on ${where} is best-effort: two deploys that start at the same moment are not kept apart. Use a workflow 'concurrency' group as well.`,
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
          const mine = isConflict(error) ? await ours().catch(() => undefined) : undefined;
          if (mine) etag = mine.etag;
          else if (errorName(error) === 'PreconditionFailed') {
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
        if (!lost) await remove(etag, conditional);
      },
    };
  }

  /** Deletes the lock only while it is ours: by If-Match where the store honours it, else by its nonce. */
  async function remove(etag: string, conditional: boolean): Promise<void> {
    if (!conditional) {
      if (await ours()) await target.client.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: key }));
      return;
    }
    try {
      await target.client.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: key, IfMatch: etag }));
    } catch (error) {
      if (errorName(error) === 'NoSuchKey') return;
      if (errorName(error) === 'PreconditionFailed') {
        // Our delete may have been applied with its answer lost; or the lock is someone else's now.
        const mine = await ours();
        if (mine)
          await target.client.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: key, IfMatch: mine.etag }));
        return;
      }
      if (!refusesConditions(error)) throw error;
      if (await ours()) await target.client.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: key }));
    }
  }
}

/** The lock, with its age by S3's clock (the answer's Date against the object's Last-Modified). */
async function readLock(target: S3Target, key: string): Promise<CurrentLock | undefined> {
  const command = new GetObjectCommand({ Bucket: target.bucket, Key: key });
  let serverDate: string | undefined;
  command.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      serverDate = (result.response as { headers?: Record<string, string> }).headers?.date;
      return result;
    },
    { step: 'deserialize', name: 'lockServerDate' },
  );
  try {
    const response = await target.client.send(command);
    const text = (await response.Body?.transformToString()) ?? '';
    let holder: LockHolder;
    try {
      holder = JSON.parse(text) as LockHolder;
    } catch {
      holder = { run: 'an unknown deploy (unreadable lock)', startedAt: '?', expiresAt: '?', nonce: '' };
    }
    const now = serverDate ? Date.parse(serverDate) : Date.now();
    const written = response.LastModified?.getTime() ?? now;
    return { holder, etag: response.ETag ?? '', ageMs: now - written };
  } catch (error) {
    if (errorName(error) === 'NoSuchKey') return undefined;
    throw error;
  }
}
