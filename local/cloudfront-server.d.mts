/** A cache behaviour's settings: a cache policy, or (no policy) the legacy TTLs. */
export interface LocalBehavior {
  /** The cache policy's id; a managed one (CachingOptimized...) or one of `cachePolicies`. */
  cachePolicyId?: string;
  /** Without a policy: the legacy MinTTL (0 by default), DefaultTTL and MaxTTL (left out by default). */
  legacyTtls?: { min?: number; default?: number; max?: number };
  /** 's3-origin' (the bucket's origin) by default. */
  targetOriginId?: string;
}
export interface LocalCachePolicy {
  id: string;
  name: string;
  minTtl: number;
  defaultTtl: number;
  maxTtl: number;
}
export interface LocalDistribution {
  id: string;
  /** The S3 origin's domain, 'site-bucket.s3.us-east-1.amazonaws.com' by default. */
  bucketDomain?: string;
  /** The origin path, '' by default. */
  originPath?: string;
  /** Its cloudfront.net domain, 'd<id in lower case>.cloudfront.net' by default. */
  domainName?: string;
  /** Alternate domain names (CNAMEs); none by default. */
  aliases?: string[];
  /** The server's completeAfterMs for this distribution's invalidations, unless set here. */
  completeAfterMs?: number;
  /** The default cache behaviour: the managed CachingOptimized policy by default. */
  defaultBehavior?: LocalBehavior;
  /** Ordered cache behaviours (none by default). */
  behaviors?: Array<LocalBehavior & { pathPattern: string }>;
}
export interface FaultOptions {
  /** How many calls (1 by default). */
  times?: number;
  /** Only calls on this distribution (all by default). */
  distributionId?: string;
}
export interface StoredInvalidation {
  id: string;
  status: 'InProgress' | 'Completed';
  callerReference: string;
  paths: string[];
  createTime: Date;
}
export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** When it arrived, ms since the epoch. */
  at: number;
}
export type Operation =
  | 'CreateInvalidation'
  | 'GetInvalidation'
  | 'GetDistribution'
  | 'GetDistributionConfig'
  | 'ListInvalidations'
  | 'GetCachePolicy';
export interface LocalCloudFrontServer {
  url: string;
  port: number;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** The distribution's invalidations, oldest first; throws for an unknown distribution. */
  invalidations(distributionId: string): StoredInvalidation[];
  /**
   * The next `times` calls of the operation answer with this AWS error code and its HTTP status. With
   * `afterHandling`, the operation takes effect first and only its answer is the error (a lost response).
   */
  failNext(
    operation: Operation,
    errorCode: string,
    times?: number | (FaultOptions & { afterHandling?: boolean }),
  ): void;
  /** The next calls of the operation take effect at once but are answered `ms` later. */
  delayNext(operation: Operation, ms: number, options?: FaultOptions): void;
  /** Drops every injected error and delay still queued. */
  clearFailures(): void;
  close(): Promise<void>;
}
export type CloudFrontServer = LocalCloudFrontServer;
export interface CloudFrontServerOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** An invalidation is InProgress until this many ms after it was created (1000 by default). */
  completeAfterMs?: number;
  /** true (the default) keeps the per-request log lines off. */
  quiet?: boolean;
  /** One distribution, 'E2EXAMPLE0000', by default. */
  distributions?: LocalDistribution[];
  /** Cache policies besides the managed ones (CachingOptimized, CachingOptimizedForUncompressedObjects, CachingDisabled). */
  cachePolicies?: LocalCachePolicy[];
}
export declare function startCloudFrontServer(options?: CloudFrontServerOptions): Promise<LocalCloudFrontServer>;
