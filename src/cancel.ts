/**
 * A cancelled run, whatever its phase. The runner cancels a job with SIGINT, then SIGTERM about 7.5 s
 * later, then kills it. Node's default handlers end the process at once: no summary, no outputs, and
 * possibly a lock left and a write landing after the next deploy began. So for the whole run: no new work
 * starts, the writes in flight finish (recorded in the state, then the lock is released), reads and waits
 * stop at once, and the run still reports before it exits non-zero.
 */
import { setTimeout as pause } from 'node:timers/promises';
import * as core from '@actions/core';
import { ActionError } from './errors.js';
import { currentPhase } from './phase.js';

/** How long a cancelled run waits for its writes in flight before it releases its lock and reports anyway. */
const GRACE_MS = 6000;

/** Thrown where a cancelled run stops; the message says what it left, the run adds when and how. */
export class CancelledError extends ActionError {}

export interface Cancelled {
  by: NodeJS.Signals;
  /** The phase the run was in when the signal came. */
  phase: string;
}

export interface Cancellation {
  /** Aborted on cancellation: what is in flight finishes, nothing new starts. */
  readonly signal: AbortSignal;
  /** Set once the run is cancelled. */
  readonly cancelled: Cancelled | undefined;
  /** Throws a CancelledError saying `left` (what the run leaves as it is) once the run is cancelled. */
  check(left: string): void;
  /**
   * `work`, given up at cancellation with a CancelledError saying `left`. Only for work that writes
   * nothing: its requests may still be in flight when the run reports and exits.
   */
  race<T>(work: Promise<T>, left: string): Promise<T>;
  /** A pause that ends at cancellation, rejecting with a CancelledError saying `left`. */
  sleep(ms: number, left: string): Promise<void>;
  /**
   * Runs `last` (release the lock, report) should the grace period end before the run does; returns a
   * function that unregisters it.
   */
  beforeExit(last: () => Promise<unknown>): () => void;
  /** The handlers off again, for when the run ends by itself. */
  stop(): void;
}

/** Listens for SIGINT and SIGTERM for the rest of the run. */
export function watchCancellation(): Cancellation {
  const controller = new AbortController();
  let cancelled: Cancelled | undefined;
  const lasts = new Set<() => Promise<unknown>>();
  const stopped = (left: string) => new CancelledError(left);

  const onSignal = (by: NodeJS.Signals) => {
    if (cancelled) return; // the runner's SIGTERM after its SIGINT: already stopping
    cancelled = { by, phase: currentPhase() };
    core.info(`Cancelled (${by}) during ${cancelled.phase}: no new work starts; writes in flight finish.`);
    controller.abort();
    // Only a fallback: a run whose writes end sooner reports and ends by itself.
    setTimeout(() => {
      core.warning(`The writes in flight did not finish within ${GRACE_MS / 1000} s of the cancellation; stopping.`);
      void Promise.allSettled([...lasts].map((last) => last())).finally(() => process.exit(1));
    }, GRACE_MS).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  return {
    signal: controller.signal,
    get cancelled() {
      return cancelled;
    },
    check(left) {
      if (cancelled) throw stopped(left);
    },
    race(work, left) {
      if (cancelled) {
        work.catch(() => undefined);
        return Promise.reject(stopped(left));
      }
      return new Promise((resolve, reject) => {
        const onAbort = () => {
          work.catch(() => undefined); // given up: a later failure of it is no one's concern
          reject(stopped(left));
        };
        controller.signal.addEventListener('abort', onAbort, { once: true });
        work.then(resolve, reject).finally(() => controller.signal.removeEventListener('abort', onAbort));
      });
    },
    async sleep(ms, left) {
      await pause(ms, undefined, { signal: controller.signal }).catch(() => {
        throw stopped(left);
      });
    },
    beforeExit(last) {
      lasts.add(last);
      return () => lasts.delete(last);
    },
    stop() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
