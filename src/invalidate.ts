/**
 * The CloudFront half of a deploy: the paths to invalidate (as given, or 'auto' from what changed), one
 * invalidation per distribution, then the wait. 'wait-timeout' starts when the first CreateInvalidation is
 * sent and bounds busy retries and the wait together. Creating and waiting are two calls, so the caller
 * can record what was created before waiting.
 */
import { setTimeout as pause } from 'node:timers/promises';
import * as core from '@actions/core';
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import {
  type ContentChange,
  type Invalidation,
  type DistributionInfo,
  behavioursServing,
  callerReference,
  createInvalidation,
  describeDistribution,
  waitForInvalidation,
} from './cloudfront.js';
import type { EdgePolicies } from './edge-cache.js';
import { ActionError, describeAwsError } from './errors.js';
import { formatSeconds } from './format.js';
import { requestHandlerOptions } from './http.js';
import type { Settings } from './inputs.js';
import { phase } from './phase.js';
import { autoInvalidationPaths, collapsePaths, encodeInvalidationPath, plainestPaths } from './paths.js';
import type { DeployReport } from './report.js';
import { newDeployId } from './run.js';

export interface InvalidationTarget {
  distributionId: string;
  /**
   * Keys (relative to the prefix) whose cached URLs are wrong, with the content now deployed under each.
   * With 'paths: auto' they decide the paths. Explicit paths name URLs whose content the action cannot
   * know, so the changes (possibly none) only go into the CallerReference with the deploy: each deploy
   * invalidates the named paths once, a retry within it gets the same invalidation back.
   */
  changes: ReadonlyArray<ContentChange>;
  /** The key prefixes the distribution serves at '/' (one per origin on the bucket), when already read. */
  originPrefixes?: readonly string[];
  /**
   * Keys (relative to the prefix) whose edge copies never go stale: fingerprinted files. With 'paths: auto',
   * wildcards avoid the directories that hold them as long as narrower ones will do.
   */
  spare?: readonly string[];
}

export interface CreatedInvalidations {
  /** One per target, in order: the same objects as report.invalidations. */
  invalidations: Invalidation[];
  /** When 'wait-timeout' runs out (ms since epoch), counted from the first CreateInvalidation sent. */
  deadline: number;
}

/**
 * Attempts an invalidation on every target, even when another fails, and records each result in
 * report.invalidations (a failure as status 'Failed' with its error) before throwing one ActionError that
 * names every failure. `deploy` identifies this deploy in the CallerReference: pass the same value to
 * retry the same deploy (e.g. one recorded in the bucket), or leave the default, unique to this run.
 */
export async function createInvalidations(
  targets: readonly InvalidationTarget[],
  settings: Settings,
  report: DeployReport,
  deploy: string = newDeployId(),
): Promise<CreatedInvalidations> {
  const client = createCloudFrontClient();
  return phase('Invalidate', async () => {
    // Every distribution's paths first, so the clock starts with the first CreateInvalidation, not before
    // a slow GetDistribution or a big change's collapsing.
    const paths = await Promise.allSettled(targets.map((target) => invalidationPaths(client, target, settings)));
    const deadline = Date.now() + settings.waitTimeoutSeconds * 1000;
    // Each answer is recorded as it comes: a cancelled run may have to report before the slowest one.
    report.invalidations = [];
    const invalidations = await Promise.all(
      targets.map(async (target, index) => {
        const invalidation = await invalidate(client, target, paths[index]!, { settings, deploy, deadline, report });
        report.invalidations.push(invalidation);
        return invalidation;
      }),
    );
    report.invalidations = invalidations;

    const failed = invalidations.filter((invalidation) => invalidation.status === 'Failed');
    if (failed.length > 0) {
      const made = invalidations.filter((i) => i.id).map((i) => `${i.id} on ${i.distributionId}`);
      throw new ActionError(
        `${[...new Set(failed.map((i) => i.error))].join(' ')} The files are deployed, but no invalidation was made on ` +
          `${failed.map((i) => i.distributionId).join(', ')}, which may serve the old files until they expire` +
          `${made.length > 0 ? ` (made: ${made.join(', ')})` : ''}; the paths are in the 'invalidations' output.`,
      );
    }
    return { invalidations, deadline };
  });
}

/**
 * With 'wait: true', waits for every InProgress invalidation until the deadline. When one wait fails
 * (its status cannot be read), the others stop at once: the step fails either way. When `cancel` aborts
 * (the run is cancelled), every wait stops at once and this returns; the caller says why.
 */
export async function waitForInvalidations(
  created: CreatedInvalidations,
  settings: Settings,
  report: DeployReport,
  cancel?: AbortSignal,
): Promise<void> {
  if (!settings.wait || settings.dryRun) return;
  const pending = created.invalidations.filter((invalidation) => invalidation.status === 'InProgress');
  if (pending.length === 0) return;
  const client = createCloudFrontClient();
  await phase('Wait', async () => {
    const stop = new AbortController();
    cancel?.addEventListener('abort', () => stop.abort(), { once: true });
    if (cancel?.aborted) stop.abort();
    await Promise.all(
      pending.map(async (invalidation) => {
        const until = { deadline: created.deadline, abortSignal: stop.signal };
        try {
          invalidation.status = await waitForInvalidation(client, invalidation, until);
        } catch (error) {
          invalidation.error = explain(error, invalidation.distributionId);
          stop.abort();
        }
        const why = invalidation.error ? ` (${invalidation.error})` : '';
        core.info(`Invalidation ${invalidation.id} on ${invalidation.distributionId}: ${invalidation.status}${why}.`);
      }),
    );
    report.invalidations = created.invalidations;
    if (cancel?.aborted) return;

    const unreadable = pending.filter((invalidation) => invalidation.error);
    if (unreadable.length > 0) {
      const others = pending.length > unreadable.length ? '; stopped waiting for the others' : '';
      throw new ActionError(
        `${[...new Set(unreadable.map((i) => i.error))].join(' ')} Could not check invalidation ` +
          `${unreadable.map((i) => `${i.id} on ${i.distributionId}`).join(', ')}${others}. ` +
          `The files are deployed and the invalidations go on.`,
      );
    }
    const late = pending.filter((invalidation) => invalidation.status !== 'Completed');
    if (late.length > 0) {
      throw new ActionError(
        `Invalidation ${late.map((i) => `${i.id} on ${i.distributionId}`).join(', ')} is still InProgress ${formatSeconds(Date.now() - (created.deadline - settings.waitTimeoutSeconds * 1000))} after the first CreateInvalidation ('wait-timeout': ${settings.waitTimeoutSeconds} s). ` +
          `The files are deployed and the invalidation goes on; raise 'wait-timeout' or set 'wait: false' to not wait.`,
      );
    }
  });
}

/** One distribution's invalidation; never throws: a failure is recorded as 'Failed' with its error. */
async function invalidate(
  client: CloudFrontClient,
  target: InvalidationTarget,
  computed: PromiseSettledResult<string[]>,
  options: { settings: Settings; deploy: string; deadline: number; report: DeployReport },
): Promise<Invalidation> {
  const { distributionId } = target;
  const { settings } = options;
  const failed = (error: unknown, paths: string[]): Invalidation => {
    const message = explain(error, distributionId);
    core.info(`✗ ${distributionId}: ${message}`);
    return { distributionId, id: '', status: 'Failed', paths, error: message };
  };
  if (computed.status === 'rejected') return failed(computed.reason, []);
  const paths = computed.value;
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
  const create = async (sent: string[]) => {
    const reference = callerReference({
      deploy: options.deploy,
      distributionId,
      deployed: `s3://${settings.bucket}/${settings.prefix}`,
      paths: sent,
      changes: target.changes,
    });
    // From the moment it is sent until CloudFront answers, the invalidation may exist without this run
    // knowing its id; not while backing off from a busy distribution, which refused it.
    const { awaitingAnswer } = options.report;
    awaitingAnswer.set(distributionId, sent);
    const created = await createInvalidation(client, {
      distributionId,
      paths: sent,
      callerReference: reference,
      deadline: options.deadline,
      onRetry: core.info,
      sleep: async (ms) => {
        awaitingAnswer.delete(distributionId);
        await pause(ms);
        awaitingAnswer.set(distributionId, sent);
      },
    }).finally(() => awaitingAnswer.delete(distributionId));
    core.info(`Invalidation ${created.id} on ${distributionId}: ${created.status} (${created.paths.join(' ')}).`);
    return created;
  };
  try {
    return await create(paths);
  } catch (error) {
    // Auto paths follow CloudFront's documented rules; should it still refuse one, a wider set of the
    // plainest paths covers the same URLs, rather than leaving every later deploy stuck on the same batch.
    if (settings.paths !== 'auto' || (error as { name?: string }).name !== 'InvalidArgument')
      return failed(error, paths);
    const wider = collapsePaths(plainestPaths(paths), settings.maxInvalidationPaths);
    core.warning(
      `${distributionId} refused the invalidation paths (${explain(error, distributionId)}); invalidating wider ones instead: ${wider.join(' ')}.`,
    );
    try {
      return await create(wider);
    } catch (retryError) {
      return failed(retryError, wider);
    }
  }
}

/** Explicit paths are sent as given; 'auto' maps the changed keys through the origin path. */
async function invalidationPaths(
  client: CloudFrontClient,
  target: InvalidationTarget,
  settings: Settings,
): Promise<string[]> {
  if (settings.paths !== 'auto') return settings.paths.map(encodeInvalidationPath);
  if (target.changes.length === 0) return [];
  const originPrefixes =
    target.originPrefixes ??
    rootWhenNone((await describeDistribution(client, target.distributionId, settings.bucket)).originPrefixes);
  const { paths, urls } = pathsForKeys(
    target.changes.map((change) => settings.prefix + change.key),
    originPrefixes,
    { max: settings.maxInvalidationPaths, spare: (target.spare ?? []).map((key) => settings.prefix + key) },
  );
  if (paths.length < urls) {
    core.info(
      `${target.distributionId}: ${urls} changed URLs collapsed into ${paths.length} path(s) ('max-invalidation-paths': ${settings.maxInvalidationPaths}).`,
    );
  }
  return paths;
}

/** Bucket keys -> the encoded URL paths that serve them, collapsed to at most `max`; `urls` counts them before. */
function pathsForKeys(
  keys: readonly string[],
  originPrefixes: readonly string[],
  collapse: { max: number; spare: readonly string[] },
): { paths: string[]; urls: number } {
  // A bucket served through several origins (a blue/green path, a second behaviour): every URL of each.
  const urlsOf = (of: readonly string[]) => [
    ...new Set(originPrefixes.flatMap((originPrefix) => autoInvalidationPaths(of, originPrefix))),
  ];
  const exact = urlsOf(keys);
  return { paths: collapsePaths(exact, collapse.max, urlsOf(collapse.spare)), urls: exact.length };
}

/**
 * Reads every distribution before the deploy writes anything: a wrong id fails the first deploy, not only
 * the one that first has something to invalidate (with 'paths: auto' and nothing changed, nothing else would
 * call CloudFront). One GetDistribution each, which 'paths: auto' needs anyway for the origin path.
 */
export async function describeDistributions(
  distributionIds: readonly string[],
  bucket: string,
): Promise<Map<string, DistributionInfo>> {
  const client = createCloudFrontClient();
  const described = await Promise.all(
    distributionIds.map(async (distributionId) => {
      try {
        const info = await describeDistribution(client, distributionId, bucket);
        if (info.originPrefixes.length === 0) {
          core.warning(
            `${distributionId} has no origin on bucket '${bucket}'; 'paths: auto' assumes the bucket root is served at '/'.`,
          );
        }
        return [distributionId, info] as const;
      } catch (error) {
        const name = (error as { name?: string }).name;
        if (name === 'AccessDenied' || name === 'AccessDeniedException') {
          // A role scoped to one distribution answers AccessDenied for any other id, typo included.
          throw new ActionError(
            `Could not read CloudFront distribution '${distributionId}': either the id is wrong, or the role lacks cloudfront:GetDistribution on it (see the README's IAM policy). Nothing was changed.`,
          );
        }
        throw new ActionError(`${explain(error, distributionId)} Nothing was changed.`);
      }
    }),
  );
  return new Map(described);
}

/** The bucket root when no origin serves the bucket (a warning said so). */
export function rootWhenNone(originPrefixes: readonly string[]): readonly string[] {
  return originPrefixes.length > 0 ? originPrefixes : [''];
}

/**
 * With 'cache-control: auto': what each distribution's cache behaviours do with the bucket's headers (see
 * edge-cache.ts). Never rejects: what cannot be read is returned with its error.
 */
export function readEdgePolicies(
  settings: Settings,
  distributions: ReadonlyMap<string, DistributionInfo>,
): Promise<EdgePolicies[]> {
  const client = createCloudFrontClient();
  return Promise.all(
    settings.distributionIds.map(async (distributionId): Promise<EdgePolicies> => {
      try {
        const config = distributions.get(distributionId)?.config;
        const behaviours = await behavioursServing(client, config, settings.bucket);
        return behaviours ? { distributionId, behaviours } : { distributionId };
      } catch (error) {
        return { distributionId, error };
      }
    }),
  );
}

/** A failed CloudFront call in the user's terms; the stack only in debug logs. */
function explain(error: unknown, distributionId: string): string {
  if (error instanceof Error && error.stack) core.debug(error.stack);
  return describeAwsError(error, { service: 'CloudFront', distributionId });
}

/**
 * CloudFront is a global service, signed in us-east-1 whatever the bucket's region. Every step's client
 * shares one pair of agents (none is destroyed): one kept-alive connection, and one proxy tunnel, to the
 * one host, instead of a TLS handshake per step.
 */
function createCloudFrontClient(): CloudFrontClient {
  cloudFrontAgents ??= requestHandlerOptions();
  return new CloudFrontClient({ region: 'us-east-1', maxAttempts: 6, requestHandler: cloudFrontAgents });
}
let cloudFrontAgents: ReturnType<typeof requestHandlerOptions> | undefined;

/**
 * The run, attempt, job and step, for people reading the reference in the console, and a random part:
 * matrix legs and repeated reusable-workflow calls share all four, and one of them may put back content
 * (A -> B -> A) whose first invalidation was created before B was cached. Retries inside this run reuse
 * the reference; a new process is a new deploy unless its caller passes the deploy it resumes.
 */
