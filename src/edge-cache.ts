/**
 * Whether the edges will honour `cache-control: auto`: a CloudFront cache policy bounds what the headers
 * ask for (a minimum TTL above zero keeps `no-cache` or a short `s-maxage` longer, a maximum TTL caps a
 * year). Reads the policy of every behaviour that serves the bucket and warns where it defeats a class of
 * the files that behaviour serves. Only ever warns: a deploy never fails over it. Pure: the reading is
 * invalidate.ts's readEdgePolicies.
 */
import { FILE_CLASSES, type FileClass } from './classify.js';
import type { EdgeTtls, ServingBehaviour } from './cloudfront.js';
import { describeAwsError } from './errors.js';
import { urlPathsForKey } from './paths.js';

/** A file of the build: its key in the bucket (with the action's prefix) and its class. */
export interface BuildFile {
  key: string;
  fileClass: FileClass;
}

/** What one distribution's edges do with the bucket's headers, as read (or why it could not be). */
export interface EdgePolicies {
  distributionId: string;
  /** Undefined when no origin serves the bucket, or the distribution could not be read (`error`). */
  behaviours?: ServingBehaviour[];
  error?: unknown;
}

/** The edge TTL a Cache-Control value asks for, in seconds; undefined when it names none (the default TTL applies). */
export function requestedEdgeTtl(cacheControl: string): number | undefined {
  const directives = cacheControl.toLowerCase();
  const seconds = (name: string) => {
    const match = new RegExp(`(?:^|[\\s,])${name}\\s*=\\s*"?(\\d+)`).exec(directives);
    return match ? Number(match[1]) : undefined;
  };
  // s-maxage is for shared caches and wins there; no-cache, no-store and private mean "do not keep".
  const shared = seconds('s-maxage');
  if (shared !== undefined) return shared;
  if (/(?:^|[\s,])(no-cache|no-store|private)(?:$|[\s,=])/.test(directives)) return 0;
  return seconds('max-age');
}

/** How long CloudFront keeps an object with this Cache-Control under these bounds (its Expiration rules). */
export function edgeTtl(cacheControl: string, ttls: EdgeTtls): number {
  const requested = requestedEdgeTtl(cacheControl);
  if (requested === undefined) return Math.max(ttls.min, ttls.default);
  return Math.max(ttls.min, Math.min(requested, ttls.max));
}

const CLASS_WORDS: Record<FileClass, string> = {
  fingerprinted: 'fingerprinted files',
  'entry-point': 'entry points (pages, feeds)',
  'service-worker': 'service workers',
  other: 'other files',
};

/**
 * A CloudFront path pattern as a test of a URL path ('/' first): '*' any run of characters ('/' included),
 * '?' exactly one, everything else itself, case-sensitive; a leading '/' in the pattern changes nothing.
 */
export function pathPatternMatcher(pattern: string): (urlPath: string) => boolean {
  const source = [...pattern.replace(/^\//, '')]
    .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[\\^$.+()[\]{}|]/, '\\$&')))
    .join('');
  const regex = new RegExp(`^${source}$`, 's');
  // Most patterns start with a folder ('/_next/static/*'): a cheap test rules out most paths.
  const head = `/${/^\/?([^*?]*)/.exec(pattern)?.[1] ?? ''}`;
  return (urlPath) => urlPath.startsWith(head) && regex.test(urlPath.slice(1));
}

/**
 * The classes of the files each behaviour serves: those with a URL (urlPathsForKey, through its origin's
 * prefix) that its pattern matches and no behaviour tried before it does (CloudFront's first match wins).
 */
export function classesServed(
  behaviours: readonly ServingBehaviour[],
  files: readonly BuildFile[],
): Map<ServingBehaviour, Set<FileClass>> {
  const served = new Map(behaviours.map((behaviour) => [behaviour, new Set<FileClass>()]));
  const matchers = new Map<string, (urlPath: string) => boolean>();
  const matcher = (pattern: string) => {
    let matches = matchers.get(pattern);
    if (!matches) {
      matches = pathPatternMatcher(pattern);
      matchers.set(pattern, matches);
    }
    return matches;
  };
  for (const prefix of new Set(behaviours.map((behaviour) => behaviour.originPrefix))) {
    const checks = behaviours
      .filter((behaviour) => behaviour.originPrefix === prefix)
      .map((behaviour) => ({
        classes: served.get(behaviour) as Set<FileClass>,
        matches: matcher(behaviour.pathPattern),
        earlier: behaviour.before.map(matcher),
      }));
    for (const { key, fileClass } of files) {
      let urls: string[] | undefined; // worked out only for a file whose class some behaviour still lacks
      for (const { classes, matches, earlier } of checks) {
        if (classes.has(fileClass)) continue;
        urls ??= urlPathsForKey(key, prefix);
        if (urls.some((url) => matches(url) && !earlier.some((before) => before(url)))) classes.add(fileClass);
      }
    }
  }
  return served;
}

/**
 * One line per distribution: a warning when a behaviour's policy defeats a class of the files it serves
 * (naming the behaviour, the class, what its header asks for, what the edges will do instead, and the fix)
 * or could not be read (why, with the permission to grant); otherwise a note that they honour the classes.
 */
export function edgePolicyReport(
  policies: readonly EdgePolicies[],
  values: Readonly<Record<FileClass, string>>,
  files: readonly BuildFile[],
): Array<{ level: 'warning' | 'info'; message: string }> {
  const lines: Array<{ level: 'warning' | 'info'; message: string }> = [];
  const warn = (message: string) => lines.push({ level: 'warning', message });
  for (const { distributionId, behaviours, error } of policies) {
    if (error !== undefined) {
      warn(
        `Could not read ${distributionId}'s cache behaviours to check that they honour 'cache-control: auto' (${describe(error, distributionId, 'cloudfront:GetCachePolicy')}).`,
      );
      continue;
    }
    const problems: string[] = [];
    const served = classesServed(behaviours ?? [], files);
    for (const behaviour of behaviours ?? []) {
      const where = `behaviour '${behaviour.pathPattern}' (${behaviour.source})`;
      if (!behaviour.ttls) {
        problems.push(
          `${where} could not be read (${describe(behaviour.error, distributionId, 'cloudfront:GetCachePolicy')})`,
        );
        continue;
      }
      const { min, max } = behaviour.ttls;
      for (const fileClass of FILE_CLASSES) {
        const value = values[fileClass];
        const requested = requestedEdgeTtl(value);
        if (!served.get(behaviour)?.has(fileClass) || requested === undefined) continue;
        const actual = edgeTtl(value, behaviour.ttls);
        if (actual > requested) {
          problems.push(
            `${where}: its minimum TTL (${min} s) keeps ${CLASS_WORDS[fileClass]} at the edges ${actual} s, not the ${requested} s of '${value}', so a deploy without an invalidation reaches visitors only after ${actual} s; set the minimum TTL to 0`,
          );
        } else if (actual < requested) {
          problems.push(
            `${where}: its maximum TTL (${max} s) caps the ${requested} s of '${value}' for ${CLASS_WORDS[fileClass]}: edges ask S3 for them again every ${actual} s; raise the maximum TTL to ${requested}`,
          );
        }
      }
    }
    if (problems.length > 0) warn(`${distributionId}: ${problems.join('; ')}.`);
    else if (behaviours && behaviours.length > 0) {
      const which = behaviours.map((b) => `'${b.pathPattern}' (${b.source})`).join(', ');
      lines.push({ level: 'info', message: `${distributionId}: behaviour ${which} honours 'cache-control: auto'.` });
    }
  }
  return lines;
}

function describe(error: unknown, distributionId: string, permission: string): string {
  const name = (error as { name?: string } | undefined)?.name;
  if (name === 'AccessDenied' || name === 'AccessDeniedException') return `not allowed: grant ${permission}`;
  return describeAwsError(error, { service: 'CloudFront', distributionId });
}
