/**
 * Carries out a plan in the zero-downtime order: new and changed assets, then entry points (pages, feeds,
 * sitemaps, manifests), then service workers, then header updates, then deletes. Each wave starts only when
 * the one before fully succeeded, so a page never goes live before what it links to, nor a service worker
 * before what it precaches.
 */
import * as core from '@actions/core';
import { CancelledError } from './cancel.js';
import type { Classify } from './classify.js';
import { optimizeForWrites } from './engine.js';
import { ActionError } from './errors.js';
import { formatBytes } from './format.js';
import type { Logger } from './logger.js';
import { phase, translateAwsErrors } from './phase.js';
import { type Plan, uploadWaves } from './plan.js';
import { type DeployReport, count } from './report.js';
import type { S3Target } from './s3.js';
import {
  type TransferOutcome,
  type TransferOptions,
  type WrittenObject,
  deleteObjects,
  updateHeaders,
  uploadFiles,
} from './upload.js';
import type { LocalFile } from './local.js';

export interface Applied {
  written: WrittenObject[];
  deleted: string[];
}

const coreLogger: Logger = { info: core.info, warning: core.warning, debug: core.debug, isDebug: core.isDebug };

/**
 * Runs the waves; whatever was written before a failure is in `applied` (the caller records it in the deploy
 * state whether or not this throws). `beforeEachWave` lets the caller stop when its lock was lost. Once
 * `signal` aborts (the run is cancelled), the writes in flight finish and nothing new starts: what was
 * never sent is counted as not attempted, and this throws a CancelledError.
 */
export async function applyPlan(
  plan: Plan,
  s3: S3Target,
  options: {
    concurrency: number;
    classify: Classify;
    beforeEachWave: () => void;
    signal?: AbortSignal;
  },
  report: DeployReport,
  applied: Applied,
): Promise<void> {
  optimizeForWrites();
  const transfer: TransferOptions = {
    concurrency: options.concurrency,
    log: coreLogger,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const [assets, entryPoints, serviceWorkers] = uploadWaves(plan.uploads, options.classify);
  const waves: Array<[string, LocalFile[], typeof uploadFiles]> = [
    ['Upload assets', assets.map((upload) => upload.file), uploadFiles],
    ['Upload entry points', entryPoints.map((upload) => upload.file), uploadFiles],
    ['Upload service workers', serviceWorkers.map((upload) => upload.file), uploadFiles],
    ['Update headers', plan.headerUpdates, updateHeaders],
  ];
  const planned = plan.uploads.length + plan.headerUpdates.length;
  let attempted = 0;
  // What this wave and the later ones did not send is not attempted. A run cancelled after its last write
  // goes on to invalidate it (seconds), so the next deploy has less to catch up on.
  const stopIfCancelled = () => {
    if (!options.signal?.aborted) return;
    report.notAttempted = planned - attempted;
    const written = report.uploadedKeys.length + report.headerUpdatedKeys.length;
    throw new CancelledError(
      `${count(written, 'file')} written before it stopped (recorded in the deploy state), ${count(report.notAttempted, 'file')} not attempted, nothing deleted. ` +
        `Re-running the workflow uploads only what is missing and invalidates what changed.`,
    );
  };
  for (const [name, files, send] of waves) {
    if (files.length === 0) continue;
    options.beforeEachWave();
    stopIfCancelled();
    await phase(name, async () => {
      const outcome = await send(files, s3, transfer);
      attempted += files.length - outcome.skipped.length;
      applied.written.push(...outcome.done);
      record(report, outcome, send === updateHeaders);
      core.info(`${name}: ${outcome.done.length} files (${formatBytes(outcome.bytes)}).`);
      if (outcome.failed.length > 0) {
        for (const failure of outcome.failed) core.info(`✗ ${failure.key}: ${failure.message}`);
        report.notAttempted = planned - attempted;
        const skipped = outcome.skipped.length > 0 ? `; ${outcome.skipped.length} more were not attempted` : '';
        throw new ActionError(
          `${outcome.failed.length} of ${files.length} files failed to reach s3://${s3.bucket}/${s3.prefix} (first: '${outcome.failed[0]?.key}': ${outcome.failed[0]?.message})${skipped}. ` +
            `Nothing was deleted; the files already written are recorded for invalidation, and re-running uploads only what is missing.`,
        );
      }
      if (outcome.skipped.length > 0) stopIfCancelled();
    });
  }

  if (plan.deletes.length === 0) return;
  options.beforeEachWave();
  stopIfCancelled();
  await phase('Delete', async () => {
    const outcome = await translateAwsErrors({ service: 'S3', bucket: s3.bucket }, () =>
      deleteObjects(plan.deletes, s3),
    );
    applied.deleted.push(...outcome.deleted);
    report.deletedKeys = outcome.deleted;
    report.failedDeletes = outcome.failed;
    core.info(`Deleted ${outcome.deleted.length} objects.`);
    if (outcome.failed.length > 0) {
      const lockedHint = outcome.failed.some((f) => /AccessDenied|WORM|retention|legal hold/i.test(f.message))
        ? ' Something refuses these deletes (a bucket policy denying s3:DeleteObject, MFA delete, a retention rule): allow them, or deploy with delete: false until it changes.'
        : '';
      throw new ActionError(
        `${outcome.failed.length} objects under s3://${s3.bucket}/${s3.prefix} could not be deleted (first: '${outcome.failed[0]?.key}': ${outcome.failed[0]?.message}).${lockedHint}`,
      );
    }
  });
}

function record(report: DeployReport, outcome: TransferOutcome, headersOnly: boolean): void {
  const keys = outcome.done.map((object) => object.key);
  if (headersOnly) report.headerUpdatedKeys.push(...keys);
  else {
    report.uploadedKeys.push(...keys);
    report.uploadedBytes += outcome.bytes;
  }
  report.failedUploads.push(...outcome.failed);
}
