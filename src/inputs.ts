/**
 * The only reader of the action's inputs. Everything is validated here, before any network request,
 * and a bad value fails with a message that names the input and the expected form.
 */
import path from 'node:path';
import { ActionError } from './errors.js';
import { type HeaderRules, globMatcher, parseCacheControl, parseRules } from './headers.js';
import { MAX_PATHS_PER_INVALIDATION, checkInvalidationPaths } from './paths.js';
import type { Encryption, ServerSideEncryption } from './s3.js';

/** Input names, shared by the code, the tests and the README check. */
export const Input = {
  source: 'source',
  bucket: 'bucket',
  prefix: 'prefix',
  distributionId: 'distribution-id',
  paths: 'paths',
  wait: 'wait',
  waitTimeout: 'wait-timeout',
  delete: 'delete',
  concurrency: 'concurrency',
  region: 'region',
  forcePathStyle: 'force-path-style',
  dryRun: 'dry-run',
  maxInvalidationPaths: 'max-invalidation-paths',
  maxDeletes: 'max-deletes',
  cacheControl: 'cache-control',
  contentType: 'content-type',
  contentEncoding: 'content-encoding',
  include: 'include',
  exclude: 'exclude',
  force: 'force',
  deleteAfter: 'delete-after',
  maxDeleteShare: 'max-delete-share',
  lockTimeout: 'lock-timeout',
  teardown: 'teardown',
  serverSideEncryption: 'server-side-encryption',
  sseKmsKeyId: 'sse-kms-key-id',
} as const;

/**
 * Measured (npm run bench -- --concurrency-sweep, 2000 files): 64 was the fastest or within 3% of it at 0, 20
 * and 80 ms per request; 16 took 1.12x as long at 20 ms and 1.70x at 80 ms.
 */
export const DEFAULT_CONCURRENCY = 64;
export const DEFAULT_WAIT_TIMEOUT_SECONDS = 600;
export const DEFAULT_MAX_INVALIDATION_PATHS = 15;
export const DEFAULT_MAX_DELETES = 1000;
/**
 * A week: a tab left open over a weekend, or a page an edge or browser keeps for days, still finds the
 * chunks it links to; a rollback to last week's build finds its assets still there. The cost is a week of
 * storage for old assets, cents for a static site.
 */
export const DEFAULT_DELETE_AFTER = '7d';
/** A build missing more than half of the site's pages and other unhashed files is almost surely broken. */
export const DEFAULT_MAX_DELETE_SHARE = 50;
/** Long enough for a typical deploy ahead to finish (uploads only: the lock is released before waiting). */
export const DEFAULT_LOCK_TIMEOUT_SECONDS = 300;

export interface Settings {
  /** Absolute path of the folder to deploy. */
  source: string;
  bucket: string;
  /** Key prefix inside the bucket: '' or ending in '/'. The sync never touches keys outside it. */
  prefix: string;
  /** Empty: sync only. Several: each gets its own invalidation. */
  distributionIds: string[];
  /** 'auto': exactly what changed. Otherwise the paths as the user wrote them (validated; encoded when sent). */
  paths: 'auto' | string[];
  /** With 'auto': collapse into wildcards past this many paths. */
  maxInvalidationPaths: number;
  /** Refuse a deploy that would delete more; Infinity for no cap. */
  maxDeletes: number;
  headerRules: HeaderRules;
  include: string[];
  exclude: string[];
  /** Upload every file whatever the bucket holds. */
  force: boolean;
  wait: boolean;
  waitTimeoutSeconds: number;
  delete: boolean;
  /** Parallel S3 requests. */
  concurrency: number;
  /** Empty: the SDK's own resolution (AWS_REGION, profile, ...). */
  region: string;
  forcePathStyle: boolean;
  dryRun: boolean;
  /** How long removed assets stay in the bucket after the pages stopped linking them; 0: deleted at once. */
  deleteAfterMs: number;
  /** Refuse a deploy whose build lacks more than this share (%) of the site's unhashed files; 100: off. */
  maxDeleteShare: number;
  /** How long to wait for another deploy's lock on the prefix. */
  lockTimeoutSeconds: number;
  /** Remove everything under the prefix (a closed pull request's preview), with its state. */
  teardown: boolean;
  /** Sent on every write, for buckets whose policy requires it. */
  encryption?: Encryption;
}

/** Reads one raw input by name ('' when unset); core.getInput in the action, a plain object in tests. */
export type InputReader = (name: string) => string;

/** `env`: only to tell AWS from an S3-compatible store (AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL), for 'region'. */
export function parseInputs(
  read: InputReader,
  workspace = process.cwd(),
  env: Readonly<Record<string, string | undefined>> = process.env,
): Settings {
  const teardown = parseBoolean(read, Input.teardown, false);
  const source = teardown ? read(Input.source).trim() || '.' : required(read, Input.source);
  const prefix = parsePrefix(read(Input.prefix));
  if (teardown && prefix === '') {
    throw new ActionError(
      `Input 'teardown' removes everything under 'prefix', and 'prefix' is empty: that would be the whole bucket. Tear down one prefix at a time (e.g. prefix: pr-42/).`,
    );
  }
  const distributionIds = parseDistributionIds(read(Input.distributionId));
  const wait = parseBoolean(read, Input.wait, false);
  if (wait && distributionIds.length === 0) {
    throw new ActionError(`Input 'wait' is true but 'distribution-id' is empty: there is no invalidation to wait for.`);
  }
  return {
    source: path.resolve(workspace, source),
    bucket: parseBucket(required(read, Input.bucket)),
    prefix,
    distributionIds,
    paths: parsePaths(read(Input.paths)),
    maxInvalidationPaths: parseInteger(read, Input.maxInvalidationPaths, {
      fallback: DEFAULT_MAX_INVALIDATION_PATHS,
      min: 1,
      max: MAX_PATHS_PER_INVALIDATION,
    }),
    maxDeletes: parseMaxDeletes(read),
    headerRules: headerRules(read),
    include: parseGlobs(read, Input.include),
    exclude: parseGlobs(read, Input.exclude),
    force: parseBoolean(read, Input.force, false),
    wait,
    waitTimeoutSeconds: parseInteger(read, Input.waitTimeout, {
      fallback: DEFAULT_WAIT_TIMEOUT_SECONDS,
      min: 1,
      max: 6 * 3600,
    }),
    delete: teardown || parseBoolean(read, Input.delete, false),
    concurrency: parseInteger(read, Input.concurrency, { fallback: DEFAULT_CONCURRENCY, min: 1, max: 256 }),
    region: parseRegion(read(Input.region).trim(), Boolean(env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL)),
    forcePathStyle: parseBoolean(read, Input.forcePathStyle, false),
    dryRun: parseBoolean(read, Input.dryRun, false),
    deleteAfterMs: parseDuration(read, Input.deleteAfter, DEFAULT_DELETE_AFTER),
    maxDeleteShare: parsePercent(read, Input.maxDeleteShare, DEFAULT_MAX_DELETE_SHARE),
    lockTimeoutSeconds: parseInteger(read, Input.lockTimeout, {
      fallback: DEFAULT_LOCK_TIMEOUT_SECONDS,
      min: 0,
      max: 6 * 3600,
    }),
    teardown,
    ...parseEncryption(read),
  };
}

/** In the order the deploy state records them (the key order of a stored rule set must not vary). */
function headerRules(read: InputReader): HeaderRules {
  const { cacheControl, cacheControlAuto } = parseCacheControl(read(Input.cacheControl), Input.cacheControl);
  return {
    cacheControl,
    contentType: parseRules(read(Input.contentType), Input.contentType),
    contentEncoding: parseRules(read(Input.contentEncoding), Input.contentEncoding),
    ...(cacheControlAuto ? { cacheControlAuto } : {}),
  };
}

const DURATION_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** '7d', '36h', '90m', '30s', or '0'. */
function parseDuration(read: InputReader, name: string, fallback: string): number {
  const value = read(name).trim() || fallback;
  if (value === '0') return 0;
  const match = /^(\d+)\s*([smhd])$/.exec(value);
  if (!match) {
    throw new ActionError(`Input '${name}' must be a duration like 7d, 36h, 90m or 0, got '${value}'.`);
  }
  return Number(match[1]) * (DURATION_UNITS[match[2] as string] as number);
}

/** '50%' or '50'. */
function parsePercent(read: InputReader, name: string, fallback: number): number {
  const value = read(name).trim().replace(/%$/, '');
  if (value === '') return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 100) {
    throw new ActionError(`Input '${name}' must be a percentage from 1% to 100%, got '${read(name).trim()}'.`);
  }
  return Number(value);
}

const SSE_VALUES: readonly ServerSideEncryption[] = ['AES256', 'aws:kms', 'aws:kms:dsse'];

function parseEncryption(read: InputReader): { encryption?: Encryption } {
  const sse = read(Input.serverSideEncryption).trim();
  const kmsKeyId = read(Input.sseKmsKeyId).trim();
  if (sse === '') {
    if (kmsKeyId) {
      throw new ActionError(
        `Input '${Input.sseKmsKeyId}' needs '${Input.serverSideEncryption}: aws:kms' (or aws:kms:dsse).`,
      );
    }
    return {};
  }
  if (!SSE_VALUES.includes(sse as ServerSideEncryption)) {
    throw new ActionError(
      `Input '${Input.serverSideEncryption}' must be one of ${SSE_VALUES.join(', ')}, got '${sse}'.`,
    );
  }
  if (kmsKeyId && sse === 'AES256') {
    throw new ActionError(`Input '${Input.sseKmsKeyId}' applies to aws:kms encryption, not AES256.`);
  }
  return { encryption: { serverSideEncryption: sse as ServerSideEncryption, ...(kmsKeyId ? { kmsKeyId } : {}) } };
}

function required(read: InputReader, name: string): string {
  const value = read(name).trim();
  if (!value) throw new ActionError(`Input '${name}' is required but empty.`);
  return value;
}

const TRUE_VALUES = ['true', 'True', 'TRUE'];
const FALSE_VALUES = ['false', 'False', 'FALSE'];

/** The YAML 1.2 core booleans, exactly as core.getBooleanInput accepts them; anything else is a typo. */
function parseBoolean(read: InputReader, name: string, fallback: boolean): boolean {
  const value = read(name).trim();
  if (value === '') return fallback;
  if (TRUE_VALUES.includes(value)) return true;
  if (FALSE_VALUES.includes(value)) return false;
  throw new ActionError(`Input '${name}' must be true or false, got '${value}'.`);
}

function parseInteger(
  read: InputReader,
  name: string,
  { fallback, min, max }: { fallback: number; min: number; max: number },
): number {
  const value = read(name).trim();
  if (value === '') return fallback;
  if (!/^-?\d+$/.test(value)) throw new ActionError(`Input '${name}' must be a whole number, got '${value}'.`);
  const number = Number(value);
  if (number < min || number > max) {
    throw new ActionError(`Input '${name}' must be between ${min} and ${max}, got ${value}.`);
  }
  return number;
}

/** S3's naming rules for general purpose buckets; a typo here would otherwise surface as a vague 4xx. */
function parseBucket(value: string): string {
  if (/^s3:\/\//i.test(value) || value.includes('/')) {
    throw new ActionError(
      `Input 'bucket' must be a bucket name only, got '${value}'. Put the folder inside the bucket in 'prefix' (e.g. bucket: my-site, prefix: docs/).`,
    );
  }
  const valid =
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(value) && !value.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(value);
  if (!valid) {
    throw new ActionError(
      `Input 'bucket' is not a valid S3 bucket name: '${value}'. Names are 3-63 characters of lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit.`,
    );
  }
  return value;
}

/** 'site', '/site/', 'site/' all mean the keys under 'site/'. */
function parsePrefix(value: string): string {
  const trimmed = value.trim().replace(/^\/+/, '').replace(/\/+$/, '');
  if (trimmed === '') return '';
  const segments = trimmed.split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..') || trimmed.includes('\\')) {
    throw new ActionError(
      `Input 'prefix' must be a plain key prefix like 'site/' or 'docs/v2/', got '${value}' (no '..', '.', '//' or backslashes).`,
    );
  }
  return `${trimmed}/`;
}

function lines(value: string): string[] {
  return value
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** One id per line (commas and spaces also separate them), each checked, duplicates dropped. */
function parseDistributionIds(value: string): string[] {
  const ids = [...new Set(value.split(/[\s,]+/).filter((id) => id !== ''))];
  for (const id of ids) {
    if (!/^[A-Z0-9]{8,32}$/.test(id)) {
      throw new ActionError(
        `Input 'distribution-id' must be a CloudFront distribution id like E1A2B3C4D5E6F7 (upper-case letters and digits), got '${id}'.`,
      );
    }
  }
  return ids;
}

function parsePaths(value: string): 'auto' | string[] {
  const paths = lines(value);
  if (paths.length === 0) return ['/*'];
  if (paths.length === 1 && paths[0] === 'auto') return 'auto';
  const problem = checkInvalidationPaths(paths);
  if (problem) throw new ActionError(`Input 'paths': ${problem}`);
  return paths;
}

function parseMaxDeletes(read: InputReader): number {
  const value = read(Input.maxDeletes).trim();
  if (value === '-1') return Number.POSITIVE_INFINITY;
  if (/^-\d+$/.test(value))
    throw new ActionError(`Input 'max-deletes' must be 0 or more, or -1 for no cap, got ${value}.`);
  return parseInteger(read, Input.maxDeletes, { fallback: DEFAULT_MAX_DELETES, min: 0, max: Number.MAX_SAFE_INTEGER });
}

function parseGlobs(read: InputReader, name: string): string[] {
  const globs = lines(read(name));
  for (const glob of globs) globMatcher(glob, name);
  return globs;
}

/**
 * AWS's regions, by partition (as in the SDK's partitions data): without a custom endpoint a name outside
 * them ('eu-central') is a typo that would only fail later as an unreachable host.
 */
const AWS_REGION =
  /^((us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov|us-iso|us-isob|us-isof|eu-isoe)-[a-z]+-\d+|eusc-de-[a-z]+-\d+)$/;
/**
 * Behind AWS_ENDPOINT_URL_S3, any name the store uses (fr-par, nyc3, garage, auto, MinIO's own): a host
 * label as the SDK requires, narrowed to lower case, since the region inside a signature is compared as
 * written and 'EU-WEST-1' would only fail later as a vague 400.
 */
const ANY_REGION = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

function parseRegion(value: string, customEndpoint: boolean): string {
  if (value === '' || AWS_REGION.test(value) || (customEndpoint && ANY_REGION.test(value))) return value;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) || /^[\w.-]+(\.[a-z]{2,}|:\d+)\/?$/i.test(value)) {
    throw new ActionError(
      `Input 'region' is a region name, not an endpoint: got '${value}'. Give an S3-compatible store's address in the environment variable AWS_ENDPOINT_URL_S3 (often with force-path-style: true), and its region here (e.g. auto for R2, us-east-1 for MinIO).`,
    );
  }
  if (/^arn:/i.test(value)) {
    throw new ActionError(`Input 'region' is a region name like eu-west-1, not an ARN: got '${value}'.`);
  }
  const guess = value.toLowerCase().replace(/[\s_.]+/g, '-');
  const hint = guess !== value && AWS_REGION.test(guess) ? ` Did you mean '${guess}'?` : '';
  if (customEndpoint || !ANY_REGION.test(value)) {
    throw new ActionError(
      `Input 'region' must be a region name of lower-case letters, digits and dashes, like eu-west-1, fr-par or auto, got '${value}'.${hint}`,
    );
  }
  throw new ActionError(
    `Input 'region' must be an AWS region like us-east-1 or eu-central-1, got '${value}'. For an S3-compatible store, set the environment variable AWS_ENDPOINT_URL_S3 to its address; then its own region names (fr-par, auto) are accepted.`,
  );
}
