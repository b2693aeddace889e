/**
 * The deploy, step by step: inputs -> local scan -> remote listing -> plan -> upload (assets, then entry
 * points) -> header updates -> delete -> invalidate -> wait -> outputs and summary. The single place where
 * failures become the step's error.
 */
import * as core from '@actions/core';
import { S3Client } from '@aws-sdk/client-s3';
import { ActionError, type AwsContext, errorMessage } from './errors.js';
import { formatBytes } from './format.js';
import { requestHandlerOptions } from './http.js';
import { type Settings, parseInputs } from './inputs.js';
import { type LocalFile, findFiles, hashFiles, keySelector } from './local.js';
import type { Logger } from './logger.js';
import { readManifest, writeManifest } from './manifest.js';
import { phase, translateAwsErrors } from './phase.js';
import { type Plan, planSync, uploadWaves } from './plan.js';
import { listRemote } from './remote.js';
import { type DeployReport, newReport, publishReport, resultLine } from './report.js';
import {
  EXTRA_REQUESTS_IN_FLIGHT,
  type S3Target,
  type TransferOutcome,
  deleteObjects,
  updateHeaders,
  uploadFiles,
} from './upload.js';

const coreLogger: Logger = { info: core.info, warning: core.warning, debug: core.debug };

export async function run(): Promise<void> {
  let report: DeployReport | undefined;
  maskCredentials();
  try {
    const settings = parseInputs((name) => core.getInput(name));
    report = newReport(settings);
    await deploy(settings, report);
    core.notice(resultLine(report));
  } catch (error) {
    core.setFailed(errorMessage(error));
    if (!(error instanceof ActionError) && error instanceof Error && error.stack) core.debug(error.stack);
  } finally {
    if (report)
      await publishReport(report).catch((error) =>
        core.warning(`Could not write the job summary: ${errorMessage(error)}`),
      );
  }
}

export async function deploy(settings: Settings, report: DeployReport): Promise<void> {
  const target = `s3://${settings.bucket}/${settings.prefix}`;
  const s3: S3Target = { client: createS3Client(settings), bucket: settings.bucket, prefix: settings.prefix };
  const s3Context: AwsContext = { service: 'S3', bucket: settings.bucket };

  const { plan, writeManifestAfter } = await phase('Plan', async () => {
    const { found, warnings } = await findFiles(settings.source, settings);
    for (const warning of warnings) core.warning(warning);
    refuseEmptySourceWithDelete(found.length, settings, target);
    // Hashing and listing overlap: a no-change deploy costs the slower of the two, not their sum.
    const [{ remote, manifest }, files] = await Promise.all([
      translateAwsErrors(s3Context, async () => {
        const remote = await listRemote(s3.client, s3.bucket, s3.prefix);
        return { remote, manifest: await readManifest(s3, remote.manifestEtag, settings.headerRules) };
      }),
      hashFiles(found, settings),
    ]);
    const plan = planSync(files, remote.objects, {
      delete: settings.delete,
      force: settings.force,
      previousRules: manifest.previousRules,
      isSelected: keySelector(settings),
    });
    refuseTooManyDeletes(plan, settings, target);
    const uploadBytes = plan.uploads.reduce((sum, upload) => sum + upload.file.size, 0);
    core.info(
      `${files.length} local files, ${remote.objects.size} objects under ${target} (${remote.pages} list request(s)): ` +
        `${plan.uploads.length} to upload (${formatBytes(uploadBytes)}), ${plan.headerUpdates.length} to re-header, ` +
        `${plan.deletes.length} to delete, ${plan.unchanged.length} unchanged.`,
    );
    const log = settings.dryRun ? core.info : core.debug;
    for (const upload of plan.uploads) log(`upload ${upload.file.key} (${upload.reason})`);
    for (const file of plan.headerUpdates) log(`update headers of ${file.key}`);
    for (const key of plan.deletes) log(`delete ${key}`);
    return { plan, writeManifestAfter: manifest.needsWrite };
  });
  report.plan = plan;

  if (!settings.dryRun) {
    await applyPlan(plan, s3, settings, report);
    if (writeManifestAfter) await translateAwsErrors(s3Context, () => writeManifest(s3, settings.headerRules));
  }

  if (settings.distributionIds.length === 0) return;
  // Loaded only when there is a distribution: the CloudFront SDK is a large share of start-up time.
  const { createInvalidations, planChanges, waitForInvalidations } = await import('./invalidate.js');
  const changes = planChanges(plan);
  const targets = settings.distributionIds.map((distributionId) => ({ distributionId, changes }));
  await waitForInvalidations(await createInvalidations(targets, settings, report), settings, report);
}

/**
 * Zero-downtime order: new and changed assets, then entry points (HTML, feeds, sitemaps, manifests), then
 * header updates, then deletes. Each wave starts only when the one before fully succeeded.
 */
async function applyPlan(plan: Plan, s3: S3Target, settings: Settings, report: DeployReport): Promise<void> {
  const options = { concurrency: settings.concurrency, log: coreLogger };
  const [assets, entryPoints] = uploadWaves(plan.uploads);
  const waves: Array<[string, LocalFile[], typeof uploadFiles]> = [
    ['Upload assets', assets.map((upload) => upload.file), uploadFiles],
    ['Upload entry points', entryPoints.map((upload) => upload.file), uploadFiles],
    ['Update headers', plan.headerUpdates, updateHeaders],
  ];
  for (const [name, files, send] of waves) {
    if (files.length === 0) continue;
    await phase(name, async () => {
      const outcome = await send(files, s3, options);
      recordTransfer(report, outcome, send === updateHeaders);
      core.info(`${name}: ${outcome.done.length} files (${formatBytes(outcome.bytes)}).`);
      if (outcome.failed.length > 0) {
        for (const failure of outcome.failed) core.info(`✗ ${failure.key}: ${failure.message}`);
        throw new ActionError(
          `${outcome.failed.length} of ${files.length} files failed to reach s3://${s3.bucket}/${s3.prefix} (first: '${outcome.failed[0]?.key}': ${outcome.failed[0]?.message}). ` +
            `Nothing was deleted and no invalidation was made; re-running uploads only what is missing.`,
        );
      }
    });
  }

  if (plan.deletes.length === 0) return;
  await phase('Delete', async () => {
    const outcome = await translateAwsErrors({ service: 'S3', bucket: s3.bucket }, () =>
      deleteObjects(plan.deletes, s3),
    );
    report.deletedKeys = outcome.deleted;
    report.failedDeletes = outcome.failed;
    core.info(`Deleted ${outcome.deleted.length} objects.`);
    if (outcome.failed.length > 0) {
      throw new ActionError(
        `${outcome.failed.length} objects under s3://${s3.bucket}/${s3.prefix} could not be deleted (first: '${outcome.failed[0]?.key}': ${outcome.failed[0]?.message}).`,
      );
    }
  });
}

function recordTransfer(report: DeployReport, outcome: TransferOutcome, headersOnly: boolean): void {
  const keys = outcome.done.map((file) => file.key);
  if (headersOnly) report.headerUpdatedKeys.push(...keys);
  else {
    report.uploadedKeys.push(...keys);
    report.uploadedBytes += outcome.bytes;
  }
  report.failedUploads.push(...outcome.failed);
}

/** An empty build folder with delete on would empty the bucket: almost always a broken build, never wanted. */
function refuseEmptySourceWithDelete(fileCount: number, settings: Settings, target: string): void {
  if (fileCount > 0) return;
  if (settings.delete) {
    throw new ActionError(
      `Input 'source': folder '${settings.source}' has no files and 'delete' is true, which would delete everything under ${target}. ` +
        `Refusing to deploy: check that the build wrote to this folder.`,
    );
  }
  core.warning(`Input 'source': folder '${settings.source}' has no files; nothing will be uploaded.`);
}

function refuseTooManyDeletes(plan: Plan, settings: Settings, target: string): void {
  if (plan.deletes.length <= settings.maxDeletes) return;
  throw new ActionError(
    `This deploy would delete ${plan.deletes.length} objects under ${target}, more than 'max-deletes' (${settings.maxDeletes}). ` +
      `Nothing was changed. If that is intended, raise 'max-deletes' (or set it to -1 for no cap).`,
  );
}

/** Attempts per S3 request: at a 10% transient failure rate, 1 request in a million fails them all. */
const S3_MAX_ATTEMPTS = 6;

function createS3Client(settings: Settings): S3Client {
  return new S3Client({
    // AWS_DEFAULT_REGION is what configure-aws-credentials and the CLI set; the JS SDK reads only AWS_REGION.
    region: settings.region || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1',
    followRegionRedirects: true,
    // 503 SlowDown, 500 and dropped connections are retried with jittered backoff. Standard, not adaptive:
    // measured with 10% errors and 2% drops (150 files), adaptive's client-side rate limiter took 16 s
    // where standard took 2.7 s for the same content.
    retryMode: 'standard',
    maxAttempts: S3_MAX_ATTEMPTS,
    forcePathStyle: settings.forcePathStyle,
    // The SDK's default pool of 50 sockets would cap a higher `concurrency` without saying so.
    requestHandler: requestHandlerOptions(settings.concurrency + EXTRA_REQUESTS_IN_FLIGHT),
    // upload.ts sends Content-MD5 on every write; aws-chunked checksum framing breaks many S3-compatible stores.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** configure-aws-credentials masks these too; a plain env block in a workflow does not. */
function maskCredentials(): void {
  for (const name of ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_SECURITY_TOKEN']) {
    const value = process.env[name];
    if (value) core.setSecret(value);
  }
}
