/**
 * The deploy, step by step: inputs -> local scan -> remote listing -> plan -> upload -> delete ->
 * invalidate -> wait -> outputs and summary. The single place where failures become the step's error.
 */
import * as core from '@actions/core';
import * as github from '@actions/github';
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { S3Client } from '@aws-sdk/client-s3';
import { type RunIdentity, createInvalidation, waitForInvalidation } from './cloudfront.js';
import { ActionError, type AwsContext, describeAwsError, errorMessage } from './errors.js';
import { formatBytes, formatSeconds } from './format.js';
import { type Settings, parseInputs } from './inputs.js';
import { type LocalFile, scanSource } from './local.js';
import type { Logger } from './logger.js';
import { planSync } from './plan.js';
import { listRemote } from './remote.js';
import { type DeployReport, newReport, publishReport } from './report.js';
import { type S3Target, deleteObjects, uploadFiles } from './upload.js';

const coreLogger: Logger = { info: core.info, warning: core.warning, debug: core.debug };

export async function run(): Promise<void> {
  let report: DeployReport | undefined;
  try {
    const settings = parseInputs((name) => core.getInput(name));
    report = newReport(settings);
    await deploy(settings, report);
  } catch (error) {
    core.setFailed(errorMessage(error));
    if (!(error instanceof ActionError) && error instanceof Error && error.stack) core.debug(error.stack);
  } finally {
    if (report) await publishReport(report).catch((error) => core.warning(`Could not write the job summary: ${errorMessage(error)}`));
  }
}

export async function deploy(settings: Settings, report: DeployReport): Promise<void> {
  const target = `s3://${settings.bucket}/${settings.prefix}`;
  const s3: S3Target = { client: createS3Client(settings), bucket: settings.bucket, prefix: settings.prefix };
  const s3Context: AwsContext = { service: 'S3', bucket: settings.bucket };

  const plan = await phase('Plan', async () => {
    const { files, warnings } = await scanSource(settings.source);
    for (const warning of warnings) core.warning(warning);
    refuseEmptySourceWithDelete(files, settings, target);
    const remote = await translateAwsErrors(s3Context, () => listRemote(s3.client, s3.bucket, s3.prefix));
    const plan = planSync(files, remote.objects, { delete: settings.delete });
    const uploadBytes = plan.uploads.reduce((sum, upload) => sum + upload.file.size, 0);
    core.info(
      `${files.length} local files, ${remote.objects.size} objects under ${target} (${remote.pages} list request(s)): ` +
        `${plan.uploads.length} to upload (${formatBytes(uploadBytes)}), ${plan.deletes.length} to delete, ${plan.unchanged.length} unchanged.`,
    );
    for (const upload of plan.uploads) core.debug(`upload ${upload.file.key}: ${upload.reason}`);
    for (const key of plan.deletes) core.debug(`delete ${key}`);
    return plan;
  });
  report.plan = plan;

  if (settings.dryRun) {
    logDryRun(settings, plan.uploads.length, plan.deletes.length);
    return;
  }

  if (plan.uploads.length > 0) {
    await phase('Upload', async () => {
      const outcome = await uploadFiles(plan.uploads, s3, { concurrency: settings.concurrency, log: coreLogger });
      report.uploadedKeys = outcome.uploaded.map((upload) => upload.file.key);
      report.uploadedBytes = outcome.bytes;
      report.failedUploads = outcome.failed;
      core.info(`Uploaded ${outcome.uploaded.length} files (${formatBytes(outcome.bytes)}).`);
      if (outcome.failed.length > 0) {
        for (const failure of outcome.failed) core.info(`✗ ${failure.key}: ${failure.message}`);
        throw new ActionError(
          `${outcome.failed.length} of ${plan.uploads.length} uploads to ${target} failed (first: '${outcome.failed[0]?.key}': ${outcome.failed[0]?.message}). ` +
            `Nothing was deleted and no invalidation was made; re-running uploads only what is missing.`,
        );
      }
    });
  }

  if (plan.deletes.length > 0) {
    await phase('Delete', async () => {
      const outcome = await translateAwsErrors(s3Context, () => deleteObjects(plan.deletes, s3));
      report.deletedKeys = outcome.deleted;
      report.failedDeletes = outcome.failed;
      core.info(`Deleted ${outcome.deleted.length} objects.`);
      if (outcome.failed.length > 0) {
        throw new ActionError(
          `${outcome.failed.length} objects under ${target} could not be deleted (first: '${outcome.failed[0]?.key}': ${outcome.failed[0]?.message}).`,
        );
      }
    });
  }

  if (!settings.distributionId) return;
  const cloudFront = createCloudFrontClient();
  const cloudFrontContext: AwsContext = { service: 'CloudFront', distributionId: settings.distributionId };
  const deadline = Date.now() + settings.waitTimeoutSeconds * 1000;

  const invalidation = await phase('Invalidate', () =>
    translateAwsErrors(cloudFrontContext, async () => {
      const created = await createInvalidation(cloudFront, {
        distributionId: settings.distributionId,
        paths: settings.paths,
        run: runIdentity(),
      });
      core.info(`Invalidation ${created.id} on ${created.distributionId}: ${created.status} (${created.paths.join(', ')}).`);
      return created;
    }),
  );
  report.invalidation = invalidation;
  if (!settings.wait) return;

  await phase('Wait', async () => {
    invalidation.status = await translateAwsErrors(cloudFrontContext, () =>
      waitForInvalidation(cloudFront, invalidation, deadline),
    );
    if (invalidation.status !== 'Completed') {
      throw new ActionError(
        `Invalidation ${invalidation.id} on ${invalidation.distributionId} is still InProgress after ${settings.waitTimeoutSeconds} s ('wait-timeout'). ` +
          `The files are deployed and the invalidation goes on; raise 'wait-timeout' or set 'wait: false' to not wait.`,
      );
    }
    core.info(`Invalidation ${invalidation.id} completed.`);
  });
}

/** An empty build folder with delete on would empty the bucket: almost always a broken build, never wanted. */
function refuseEmptySourceWithDelete(files: readonly LocalFile[], settings: Settings, target: string): void {
  if (files.length > 0) return;
  if (settings.delete) {
    throw new ActionError(
      `Input 'source': folder '${settings.source}' has no files and 'delete' is true, which would delete everything under ${target}. ` +
        `Refusing to deploy: check that the build wrote to this folder.`,
    );
  }
  core.warning(`Input 'source': folder '${settings.source}' has no files; nothing will be uploaded.`);
}

function logDryRun(settings: Settings, uploads: number, deletes: number): void {
  const invalidation = settings.distributionId
    ? `, invalidate ${settings.paths.join(', ')} on ${settings.distributionId}`
    : '';
  core.notice(`Dry run: would upload ${uploads} files, delete ${deletes}${invalidation}. Nothing was changed.`);
}

/** One log group per phase, with its duration. */
async function phase<T>(name: string, body: () => Promise<T>): Promise<T> {
  const started = Date.now();
  return core.group(name, async () => {
    try {
      return await body();
    } finally {
      core.info(`${name} took ${formatSeconds(Date.now() - started)}.`);
    }
  });
}

async function translateAwsErrors<T>(context: AwsContext, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof ActionError) throw error;
    if (error instanceof Error && error.stack) core.debug(error.stack);
    throw new ActionError(describeAwsError(error, context));
  }
}

function createS3Client(settings: Settings): S3Client {
  return new S3Client({
    // AWS_DEFAULT_REGION is what configure-aws-credentials and the CLI set; the JS SDK reads only AWS_REGION.
    region: settings.region || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1',
    followRegionRedirects: true,
    forcePathStyle: settings.forcePathStyle,
    // Content-MD5 is sent on every PUT; aws-chunked checksum framing breaks many S3-compatible stores.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** CloudFront is a global service, signed in us-east-1 whatever the bucket's region. */
function createCloudFrontClient(): CloudFrontClient {
  return new CloudFrontClient({ region: 'us-east-1' });
}

function runIdentity(): RunIdentity {
  const { runId, runAttempt, job, action } = github.context;
  if (!runId) {
    // Outside Actions (a local run) there is no run to be idempotent with.
    return { runId: `local${Date.now()}`, runAttempt: '1', job: 'local', step: 'local' };
  }
  return { runId: String(runId), runAttempt: String(runAttempt || 1), job, step: action };
}
