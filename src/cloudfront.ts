/** Creates a CloudFront invalidation and waits for it, within a deadline. */
import { createHash } from 'node:crypto';
import { setTimeout as pause } from 'node:timers/promises';
import {
  type CacheBehavior,
  type CloudFrontClient,
  CreateInvalidationCommand,
  type DefaultCacheBehavior,
  type DistributionConfig,
  GetCachePolicyCommand,
  GetDistributionCommand,
  GetInvalidationCommand,
  type Origin,
} from '@aws-sdk/client-cloudfront';

/**
 * 'Skipped': nothing that CloudFront could have cached changed, so no invalidation was made.
 * 'Failed': CreateInvalidation failed (or the paths could not be worked out); nothing covers the change.
 */
export type InvalidationStatus = 'InProgress' | 'Completed' | 'Skipped' | 'Failed';

export interface Invalidation {
  distributionId: string;
  /** Empty when none was made ('Skipped', 'Failed'). */
  id: string;
  status: InvalidationStatus;
  /** The paths as sent (encoded); for 'Skipped' in a dry run, or 'Failed', the paths that would have been. */
  paths: string[];
  /** Why it failed ('Failed'), or why its status could not be checked (the status is then the last seen). */
  error?: string;
}

/** A key (relative to the prefix) whose cached URLs are wrong, and what is now behind it. */
export interface ContentChange {
  key: string;
  /** The hex MD5 of the bytes now deployed, or 'deleted'. */
  content: string;
}

export interface InvalidationBatch {
  /** Identifies one deploy: the same for a retry of that deploy, different for any other. */
  deploy: string;
  distributionId: string;
  /** What the deploy wrote to, 's3://bucket/prefix'. */
  deployed: string;
  paths: readonly string[];
  changes: ReadonlyArray<ContentChange>;
}

const DIGEST_LENGTH = 32;

/**
 * CloudFront returns the existing invalidation when a CallerReference repeats with the same paths. That is
 * right only if the existing one was created after the content now served was last written, so the
 * reference names the deploy as well as the distribution, the deployed bucket and prefix, the paths, and
 * the content behind them: the same deploy retrying the same content gets its own invalidation back; any
 * other content (a matrix leg writing other bytes) gets another. Content alone would not do: a path that
 * went A -> B -> A (a revert) would get A's first invalidation back, created before B was cached.
 * Order does not matter: paths and changes are a set.
 */
export function callerReference(batch: InvalidationBatch): string {
  const changes = batch.changes.map(({ key, content }) => JSON.stringify([key, content])).sort();
  const digest = createHash('sha256')
    .update(JSON.stringify([batch.deploy, batch.distributionId, batch.deployed, [...batch.paths].sort(), changes]))
    .digest('hex')
    .slice(0, DIGEST_LENGTH);
  // CloudFront allows 128 characters: the deploy is there for people reading it, the digest decides.
  return `${batch.deploy.slice(0, 128 - DIGEST_LENGTH - 1)}-${digest}`;
}

/** CloudFront refuses new invalidations while too many paths are in progress; they finish in minutes. */
const BUSY_FIRST_DELAY_MS = 1000;
const BUSY_MAX_DELAY_MS = 30_000;

export interface InvalidationRequest {
  distributionId: string;
  /** Already encoded. */
  paths: readonly string[];
  callerReference: string;
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
      CallerReference: request.callerReference,
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

/** Between status checks: 2 s, doubling to 15 s. Most invalidations finish within a minute. */
const WAIT_FIRST_DELAY_MS = 2000;
const WAIT_MAX_DELAY_MS = 15_000;

/**
 * Checks the invalidation until it is Completed, the deadline passes or the signal aborts (another wait
 * failed), and returns the last status seen. The first check is made even past the deadline (creating may
 * have used it all), the last one at the deadline. Not the SDK's waiter: it retries every error silently
 * until its timeout (a missing cloudfront:GetInvalidation would be a long, silent wait), and after an
 * abort its pending sleep kept the process alive up to 15 s more and then polled once more.
 */
export async function waitForInvalidation(
  client: CloudFrontClient,
  invalidation: Invalidation,
  until: { deadline: number; abortSignal: AbortSignal },
): Promise<InvalidationStatus> {
  const { deadline, abortSignal } = until;
  const input = { DistributionId: invalidation.distributionId, Id: invalidation.id };
  try {
    for (let delay = WAIT_FIRST_DELAY_MS; ; delay = Math.min(delay * 2, WAIT_MAX_DELAY_MS)) {
      const response = await client.send(new GetInvalidationCommand(input), { abortSignal });
      if (toStatus(response.Invalidation?.Status) === 'Completed') return 'Completed';
      const remaining = deadline - Date.now();
      if (remaining <= 0) return 'InProgress';
      await pause(Math.min(delay, remaining), undefined, { signal: abortSignal });
    }
  } catch (error) {
    if (abortSignal.aborted) return 'InProgress';
    throw error;
  }
}

/** What a deploy needs to know of a distribution, from one GetDistribution. */
export interface DistributionInfo {
  /**
   * The key prefixes the distribution maps to '/': the OriginPath of each origin serving this bucket (its
   * domain starts with '<bucket>.s3', REST or website endpoint), most often one. Empty when none serves it.
   */
  originPrefixes: string[];
  /**
   * Where visitors reach it: its first alternate domain name that is not a wildcard ('*.example.com' names
   * no host), else its cloudfront.net domain.
   */
  domain: string;
  /** Its configuration (origins, behaviours, cache policies), for the edge-cache check. */
  config: DistributionConfig | undefined;
}

export async function describeDistribution(
  client: CloudFrontClient,
  distributionId: string,
  bucket: string,
): Promise<DistributionInfo> {
  const response = await client.send(new GetDistributionCommand({ Id: distributionId }));
  const distribution = response.Distribution;
  const config = distribution?.DistributionConfig;
  const prefixes = bucketOrigins(config, bucket).map(originPrefix);
  return {
    originPrefixes: [...new Set(prefixes)],
    domain: config?.Aliases?.Items?.find((alias) => !alias.startsWith('*')) ?? distribution?.DomainName ?? '',
    config,
  };
}

/** The key prefix an origin maps to '/': its OriginPath without slashes around, then one '/'. */
function originPrefix(origin: Origin): string {
  const originPath = (origin.OriginPath ?? '').replace(/^\/+|\/+$/g, '');
  return originPath ? `${originPath}/` : '';
}

function bucketOrigins(config: DistributionConfig | undefined, bucket: string): Origin[] {
  return (config?.Origins?.Items ?? []).filter((candidate) => candidate.DomainName?.startsWith(`${bucket}.s3`));
}

/** How long edges keep an object, in seconds, whatever its headers say (bounds) or when they say nothing. */
export interface EdgeTtls {
  min: number;
  default: number;
  max: number;
}

/**
 * The managed cache policies an S3 origin is usually given, as AWS documents them ("Use managed cache
 * policies"): known without a GetCachePolicy, so without that permission.
 */
export const MANAGED_CACHE_POLICIES: Readonly<Record<string, { name: string; ttls: EdgeTtls }>> = {
  '658327ea-f89d-4fab-a63d-7e88639e58f6': {
    name: 'Managed-CachingOptimized',
    ttls: { min: 1, default: 86_400, max: 31_536_000 },
  },
  'b2884449-e4de-46a7-ac36-70bc7f1ddd6d': {
    name: 'Managed-CachingOptimizedForUncompressedObjects',
    ttls: { min: 1, default: 86_400, max: 31_536_000 },
  },
  '4135ea2d-6df8-44a3-9df3-4b5a84be39ad': { name: 'Managed-CachingDisabled', ttls: { min: 0, default: 0, max: 0 } },
};

/** A cache behaviour that serves the bucket, with the TTL bounds it puts on the bucket's headers. */
export interface ServingBehaviour {
  /** '*' for the default behaviour. */
  pathPattern: string;
  /**
   * The path patterns of the behaviours CloudFront tries before this one, whatever origin they target: the
   * first that matches a request wins, so this one serves only what none of them matches.
   */
  before: string[];
  /** The key prefix its origin maps to '/' (see DistributionInfo.originPrefixes). */
  originPrefix: string;
  /** Where the bounds come from: 'cache policy Managed-CachingOptimized', 'legacy cache settings'. */
  source: string;
  /** Undefined when the policy could not be read (then `error` says why). */
  ttls?: EdgeTtls;
  error?: unknown;
}

/**
 * The behaviours (default and ordered, by TargetOriginId) that serve the bucket's origin, each with its TTL
 * bounds: from its cache policy (GetCachePolicy, unless a managed one AWS documents), or from the legacy
 * MinTTL / DefaultTTL / MaxTTL of a behaviour without one. Undefined when no origin serves the bucket. A
 * policy that cannot be read is returned with its error, never thrown.
 */
export async function behavioursServing(
  client: CloudFrontClient,
  config: DistributionConfig | undefined,
  bucket: string,
): Promise<ServingBehaviour[] | undefined> {
  const origins = new Map(bucketOrigins(config, bucket).map((origin) => [origin.Id, originPrefix(origin)]));
  if (!config || origins.size === 0) return undefined;
  const behaviours: Array<[string, DefaultCacheBehavior | CacheBehavior]> = [
    ...(config.CacheBehaviors?.Items ?? []).map((b): [string, CacheBehavior] => [b.PathPattern ?? '', b]),
    ...(config.DefaultCacheBehavior ? [['*', config.DefaultCacheBehavior] as [string, DefaultCacheBehavior]] : []),
  ];
  const policies = new Map<string, Promise<{ name: string; ttls: EdgeTtls }>>();
  const policy = (id: string) => {
    let read = policies.get(id);
    if (!read) {
      read = readCachePolicy(client, id);
      policies.set(id, read);
    }
    return read;
  };
  const patterns = behaviours.map(([pathPattern]) => pathPattern);
  return Promise.all(
    behaviours.flatMap(([pathPattern, behaviour], index) => {
      const prefix = origins.get(behaviour.TargetOriginId);
      if (prefix === undefined) return [];
      const where = { pathPattern, before: patterns.slice(0, index), originPrefix: prefix };
      return [serving(where, behaviour)];
    }),
  );

  async function serving(
    where: Pick<ServingBehaviour, 'pathPattern' | 'before' | 'originPrefix'>,
    behaviour: DefaultCacheBehavior | CacheBehavior,
  ): Promise<ServingBehaviour> {
    const id = behaviour.CachePolicyId;
    if (!id) {
      // Legacy settings: CloudFront's defaults where a field is absent.
      const ttls = {
        min: behaviour.MinTTL ?? 0,
        default: behaviour.DefaultTTL ?? 86_400,
        max: behaviour.MaxTTL ?? 31_536_000,
      };
      return { ...where, source: 'legacy cache settings', ttls };
    }
    try {
      const { name, ttls } = await policy(id);
      return { ...where, source: `cache policy ${name}`, ttls };
    } catch (error) {
      return { ...where, source: `cache policy ${id}`, error };
    }
  }
}

async function readCachePolicy(client: CloudFrontClient, id: string): Promise<{ name: string; ttls: EdgeTtls }> {
  const managed = MANAGED_CACHE_POLICIES[id];
  if (managed) return managed;
  const config = (await client.send(new GetCachePolicyCommand({ Id: id }))).CachePolicy?.CachePolicyConfig;
  const min = config?.MinTTL ?? 0;
  // CloudFront's documented defaults for fields left out.
  const fallback = Math.max(min, 86_400);
  const ttls = { min, default: config?.DefaultTTL ?? fallback, max: config?.MaxTTL ?? Math.max(31_536_000, fallback) };
  return { name: config?.Name ?? id, ttls };
}

function toStatus(status: string | undefined): InvalidationStatus {
  return status === 'Completed' ? 'Completed' : 'InProgress';
}
