/** Creates a CloudFront invalidation and waits for it with the SDK's own waiter, within a deadline. */
import { createHash } from 'node:crypto';
import {
  type CloudFrontClient,
  CreateInvalidationCommand,
  GetDistributionConfigCommand,
  GetInvalidationCommand,
  waitUntilInvalidationCompleted,
} from '@aws-sdk/client-cloudfront';

/** 'Skipped': nothing that CloudFront could have cached changed, so no invalidation was made. */
export type InvalidationStatus = 'InProgress' | 'Completed' | 'Skipped';

export interface Invalidation {
  distributionId: string;
  id: string;
  status: InvalidationStatus;
  /** The paths as sent (encoded); for 'Skipped' in a dry run, the paths that would be. */
  paths: string[];
}

/** Where the run comes from, for a CallerReference that is the same when the same run retries. */
export interface RunIdentity {
  runId: string;
  runAttempt: string;
  job: string;
  step: string;
}

/**
 * CloudFront returns the existing invalidation when a CallerReference repeats with the same paths, so a
 * reference built from the run, the attempt, the step and the batch (distribution, deployed bucket and
 * prefix, paths) makes every retry of the same request (by the SDK or by a re-run of the attempt) create at
 * most one invalidation. The bucket and prefix keep matrix jobs, which share the run, job and step, apart.
 */
export function callerReference(
  run: RunIdentity,
  batch: { distributionId: string; deployed: string; paths: readonly string[] },
): string {
  const digest = createHash('sha256')
    .update([batch.distributionId, batch.deployed, ...batch.paths].join('\n'))
    .digest('hex')
    .slice(0, 16);
  // CloudFront allows 128 characters: shorten the names, never the digest.
  const names = [run.runId, run.runAttempt, run.job, run.step].join('-').slice(0, 128 - digest.length - 1);
  return `${names}-${digest}`;
}

/** CloudFront refuses new invalidations while too many paths are in progress; they finish in minutes. */
const BUSY_FIRST_DELAY_MS = 1000;
const BUSY_MAX_DELAY_MS = 30_000;

export interface InvalidationRequest {
  distributionId: string;
  /** What this step deployed, 's3://bucket/prefix'. */
  deployed: string;
  /** Already encoded. */
  paths: readonly string[];
  run: RunIdentity;
  /** While the distribution is busy, retry until this time (ms since epoch), then give up. */
  deadline: number;
  onRetry?: (message: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Creates the invalidation, backing off while CloudFront answers TooManyInvalidationsInProgress (throttling
 * is the SDK's own retry). Every attempt carries the same CallerReference, so none can create a second one.
 */
export async function createInvalidation(
  client: CloudFrontClient,
  request: InvalidationRequest,
): Promise<Invalidation> {
  const paths = [...request.paths];
  const command = new CreateInvalidationCommand({
    DistributionId: request.distributionId,
    InvalidationBatch: {
      CallerReference: callerReference(request.run, { ...request, paths }),
      Paths: { Quantity: paths.length, Items: paths },
    },
  });
  const sleep = request.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await client.send(command);
      const id = response.Invalidation?.Id;
      if (!id)
        throw new Error(
          `CloudFront answered CreateInvalidation for '${request.distributionId}' without an invalidation id.`,
        );
      return { distributionId: request.distributionId, id, status: toStatus(response.Invalidation?.Status), paths };
    } catch (error) {
      const delay = Math.min(BUSY_MAX_DELAY_MS, BUSY_FIRST_DELAY_MS * 2 ** (attempt - 1));
      if ((error as Error).name !== 'TooManyInvalidationsInProgress' || Date.now() + delay > request.deadline)
        throw error;
      request.onRetry?.(
        `${request.distributionId} has too many invalidations in progress; trying again in ${delay / 1000} s (attempt ${attempt + 1}).`,
      );
      await sleep(delay);
    }
  }
}

/** The waiter's first poll, and a small delay between polls: most invalidations finish within a minute. */
const WAIT_MIN_DELAY_SECONDS = 2;
const WAIT_MAX_DELAY_SECONDS = 15;

/**
 * Waits until the invalidation is Completed or the deadline passes, and returns the last status seen.
 * The first look is a plain GetInvalidation: the waiter retries every error until its timeout, which
 * would turn a missing cloudfront:GetInvalidation permission into a long, silent wait.
 */
export async function waitForInvalidation(
  client: CloudFrontClient,
  invalidation: Invalidation,
  deadline: number,
): Promise<InvalidationStatus> {
  const input = { DistributionId: invalidation.distributionId, Id: invalidation.id };
  const first = await client.send(new GetInvalidationCommand(input));
  if (toStatus(first.Invalidation?.Status) === 'Completed') return 'Completed';

  const remainingSeconds = (deadline - Date.now()) / 1000;
  if (remainingSeconds <= WAIT_MIN_DELAY_SECONDS) return 'InProgress';
  try {
    await waitUntilInvalidationCompleted(
      { client, maxWaitTime: remainingSeconds, minDelay: WAIT_MIN_DELAY_SECONDS, maxDelay: WAIT_MAX_DELAY_SECONDS },
      input,
    );
    return 'Completed';
  } catch (error) {
    if ((error as Error).name === 'TimeoutError') return 'InProgress';
    throw error;
  }
}

/**
 * The key prefix that the distribution maps to '/': the OriginPath of the origin serving this bucket
 * (its domain starts with '<bucket>.s3', REST or website endpoint). Undefined when no origin serves it.
 */
export async function originPrefixFor(
  client: CloudFrontClient,
  distributionId: string,
  bucket: string,
): Promise<string | undefined> {
  const response = await client.send(new GetDistributionConfigCommand({ Id: distributionId }));
  const origins = response.DistributionConfig?.Origins?.Items ?? [];
  const origin = origins.find((candidate) => candidate.DomainName?.startsWith(`${bucket}.s3`));
  if (!origin) return undefined;
  const originPath = (origin.OriginPath ?? '').replace(/^\/+|\/+$/g, '');
  return originPath ? `${originPath}/` : '';
}

function toStatus(status: string | undefined): InvalidationStatus {
  return status === 'Completed' ? 'Completed' : 'InProgress';
}
