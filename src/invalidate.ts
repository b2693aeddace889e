/**
 * The CloudFront half of a deploy: the paths to invalidate (as given, or 'auto' from what changed), one
 * invalidation per distribution, and the wait, all within 'wait-timeout'.
 */
import * as core from '@actions/core';
import * as github from '@actions/github';
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import {
  type Invalidation,
  type RunIdentity,
  createInvalidation,
  originPrefixFor,
  waitForInvalidation,
} from './cloudfront.js';
import { ActionError, type AwsContext } from './errors.js';
import { requestHandlerOptions } from './http.js';
import type { Settings } from './inputs.js';
import { phase, translateAwsErrors } from './phase.js';
import { type Plan, changedKeys } from './plan.js';
import { autoInvalidationPaths, collapsePaths, encodeInvalidationPath } from './paths.js';
import type { DeployReport } from './report.js';

export async function invalidateAndWait(plan: Plan, settings: Settings, report: DeployReport): Promise<void> {
  const cloudFront = createCloudFrontClient();
  // wait-timeout bounds everything from here: retries while CloudFront is busy, and the wait itself.
  const deadline = Date.now() + settings.waitTimeoutSeconds * 1000;
  const invalidations = await phase('Invalidate', () =>
    Promise.all(settings.distributionIds.map((id) => invalidate(cloudFront, id, plan, settings, deadline))),
  );
  report.invalidations = invalidations;
  if (!settings.wait || settings.dryRun) return;

  const pending = invalidations.filter((invalidation) => invalidation.status === 'InProgress');
  if (pending.length === 0) return;
  await phase('Wait', async () => {
    await Promise.all(
      pending.map(async (invalidation) => {
        invalidation.status = await translateAwsErrors(cloudFrontContext(invalidation.distributionId), () =>
          waitForInvalidation(cloudFront, invalidation, deadline),
        );
        core.info(`Invalidation ${invalidation.id} on ${invalidation.distributionId}: ${invalidation.status}.`);
      }),
    );
    const late = pending.filter((invalidation) => invalidation.status !== 'Completed');
    if (late.length > 0) {
      throw new ActionError(
        `Invalidation ${late.map((i) => `${i.id} on ${i.distributionId}`).join(', ')} is still InProgress after ${settings.waitTimeoutSeconds} s ('wait-timeout'). ` +
          `The files are deployed and the invalidation goes on; raise 'wait-timeout' or set 'wait: false' to not wait.`,
      );
    }
  });
}

async function invalidate(
  client: CloudFrontClient,
  distributionId: string,
  plan: Plan,
  settings: Settings,
  deadline: number,
): Promise<Invalidation> {
  const context = cloudFrontContext(distributionId);
  const paths = await translateAwsErrors(context, () => invalidationPaths(client, distributionId, plan, settings));
  if (paths.length === 0) {
    core.info(
      `${distributionId}: no invalidation, nothing CloudFront could have cached changed (only new files, or none).`,
    );
    return { distributionId, id: '', status: 'Skipped', paths: [] };
  }
  if (settings.dryRun) {
    core.info(`${distributionId}: would invalidate ${paths.join(' ')}`);
    return { distributionId, id: '', status: 'Skipped', paths };
  }
  const created = await translateAwsErrors(context, () =>
    createInvalidation(client, {
      distributionId,
      deployed: `s3://${settings.bucket}/${settings.prefix}`,
      paths,
      run: runIdentity(),
      deadline,
      onRetry: core.info,
    }),
  );
  core.info(`Invalidation ${created.id} on ${distributionId}: ${created.status} (${created.paths.join(' ')}).`);
  return created;
}

/** Explicit paths are sent as given; 'auto' maps the changed keys through the origin path, then collapses. */
async function invalidationPaths(
  client: CloudFrontClient,
  distributionId: string,
  plan: Plan,
  settings: Settings,
): Promise<string[]> {
  if (settings.paths !== 'auto') return settings.paths.map(encodeInvalidationPath);
  const keys = changedKeys(plan);
  if (keys.length === 0) return [];
  const originPrefix = await readOriginPrefix(client, distributionId, settings.bucket);
  const fullKeys = keys.map((key) => settings.prefix + key);
  const exact = autoInvalidationPaths(fullKeys, originPrefix);
  const paths = collapsePaths(exact, settings.maxInvalidationPaths);
  if (paths.length < new Set(exact).size) {
    core.info(
      `${distributionId}: ${new Set(exact).size} changed URLs collapsed into ${paths.length} path(s) ('max-invalidation-paths': ${settings.maxInvalidationPaths}).`,
    );
  }
  return paths;
}

async function readOriginPrefix(client: CloudFrontClient, distributionId: string, bucket: string): Promise<string> {
  try {
    const prefix = await originPrefixFor(client, distributionId, bucket);
    if (prefix === undefined) {
      core.warning(
        `${distributionId} has no origin on bucket '${bucket}'; 'paths: auto' assumes the bucket root is served at '/'.`,
      );
      return '';
    }
    return prefix;
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name !== 'AccessDenied' && name !== 'AccessDeniedException') throw error;
    core.warning(
      `Not allowed to read ${distributionId}'s origin (cloudfront:GetDistributionConfig); 'paths: auto' assumes the bucket root is served at '/'.`,
    );
    return '';
  }
}

function cloudFrontContext(distributionId: string): AwsContext {
  return { service: 'CloudFront', distributionId };
}

/** CloudFront is a global service, signed in us-east-1 whatever the bucket's region. */
function createCloudFrontClient(): CloudFrontClient {
  return new CloudFrontClient({ region: 'us-east-1', maxAttempts: 6, requestHandler: requestHandlerOptions() });
}

function runIdentity(): RunIdentity {
  const { runId, runAttempt, job, action } = github.context;
  if (!runId) {
    // Outside Actions (a local run) there is no run to be idempotent with.
    return { runId: `local${Date.now()}`, runAttempt: '1', job: 'local', step: 'local' };
  }
  return { runId: String(runId), runAttempt: String(runAttempt || 1), job, step: action };
}
